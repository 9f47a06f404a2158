"""`avbench av-align` and `avbench demo` end to end: records, plots, cache reuse."""
from __future__ import annotations

import csv
import json
import math

import pytest

import avbench.metrics.av_align.runner as run_module
from avbench.benchmark.cli import main
from avbench.benchmark.synthetic import demo_clips, write_clip


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    for clip in demo_clips():
        write_clip(clip, folder)
    return folder


def test_json_csv_and_plots(demo_folder, tmp_path):
    out_json, out_csv, plots = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "plots"
    code = main(["av-align", str(demo_folder), "--json", str(out_json), "--csv", str(out_csv),
                 "--plot", str(plots), "--quiet", "--workers", "2"])
    assert code == 0
    record = json.loads(out_json.read_text())
    assert {"preset", "parameters", "mean", "n", "n_undefined", "n_failed", "ci95", "clips", "failures"} <= set(record)
    assert record["preset"] == "tempotokens-2025" and record["parameters"]["flow_floor"] == 0.1
    assert record["versions"]["opencv"] and record["versions"]["librosa"]
    clips = {c["video"].rsplit("/", 1)[-1]: c for c in record["clips"]}
    assert len(clips) == 7 and record["n_failed"] == 0
    for c in clips.values():
        assert {"video", "audio", "fps", "n_frames", "audio_peaks", "video_peaks", "score"} <= set(c)
        assert c["fps"] == 24.0 and c["n_frames"] == 48
    # the mean is the unweighted mean of the defined clip scores
    defined = [c["score"] for c in clips.values() if c["score"] is not None]
    assert record["mean"] == pytest.approx(sum(defined) / len(defined), rel=1e-12)
    assert record["ci95"][0] <= record["mean"] <= record["ci95"][1]
    # known events: the in-sync clip matches every visual event; static video has no peak
    assert clips["in_sync.mp4"]["score"] == max(defined)
    assert len(clips["in_sync.mp4"]["video_peaks"]) == 4
    assert clips["static_video.mp4"]["video_peaks"] == []
    assert clips["silent_audio.mp4"]["audio_peaks"] == []
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 7 and {r["preset"] for r in rows} == {"tempotokens-2025"}
    pngs = sorted(p.name for p in plots.glob("*.png"))
    assert len(pngs) == 7 and all((plots / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_another_preset_reuses_cached_signals(demo_folder, tmp_path, monkeypatch):
    assert main(["av-align", str(demo_folder), "--quiet", "--json", str(tmp_path / "a.json")]) == 0

    def no_decoding(*args, **kwargs):
        raise AssertionError("flow or audio recomputed although cached")

    monkeypatch.setattr(run_module, "clip_flow", no_decoding)
    monkeypatch.setattr(run_module, "clip_waveform", no_decoding)
    assert main(["av-align", str(demo_folder), "--quiet", "--preset", "tempotokens-2023",
                 "--json", str(tmp_path / "b.json")]) == 0
    b = json.loads((tmp_path / "b.json").read_text())
    assert b["preset"] == "tempotokens-2023" and b["n_failed"] == 0
    cache_files = list(run_module.ArrayCache("av-align").dir.rglob("*"))
    assert not [p for p in cache_files if p.name.endswith(".tmp")]


def test_no_cache_flag_recomputes_and_writes_nothing(demo_folder, tmp_path, isolated_cache):
    cache = isolated_cache / "av-align"
    before = sorted(cache.rglob("*.npz")) if cache.exists() else []
    assert main(["av-align", str(demo_folder / "in_sync.mp4"), "--quiet", "--no-cache"]) == 0
    after = sorted(cache.rglob("*.npz")) if cache.exists() else []
    assert before == after


def test_presets_differ_as_specified_on_the_demo(demo_folder, capsys):
    assert main(["demo", "--out", str(demo_folder)]) == 0
    table = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line and line.split()[0] in
            {c.name for c in demo_clips()}}
    assert len(rows) == 7
    in_sync = [float(x) for x in rows["in_sync"]]
    shifted = [float(x) for x in rows["shift_5_frames"]]
    # tempotokens-2025 and paper-eq9 rank the synced clip above the 5-frame shift
    assert in_sync[0] > shifted[0] and in_sync[2] > shifted[2]
    assert not any(math.isnan(float(x)) for x in rows["silent_audio"] if x != "undefined")
    # the silent clip's zeros come with their reason, once, not once per preset
    warnings = [line for line in table.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {demo_folder / 'silent_audio.wav'}: silent-audio: every sample is 0; "
                        "no audio onset can be found"]


def _manifest(path, rows):
    path.write_text("sample_id,video_path,audio_path\n" + "".join(f"{i},{v},{a}\n" for i, v, a in rows))
    return path


def _clips_by_id(record):
    return {c["sample_id"]: c for c in record["clips"]}


def test_manifest_rows_sharing_a_video_are_scored_apart(demo_folder, tmp_path):
    video = demo_folder / "in_sync.mp4"
    rows = [("a", video, demo_folder / "in_sync.wav"), ("b", video, demo_folder / "shift_5_frames.wav")]
    out_json, out_csv, plots = tmp_path / "both.json", tmp_path / "both.csv", tmp_path / "plots"
    assert main(["av-align", "--manifest", str(_manifest(tmp_path / "both.csv.in", rows)), "--estimate-offset",
                 "--json", str(out_json), "--csv", str(out_csv), "--plot", str(plots), "--quiet", "--workers", "2"]) == 0
    together = _clips_by_id(json.loads(out_json.read_text()))
    assert set(together) == {"a", "b"} and {c["video"] for c in together.values()} == {str(video)}
    # independently: each row on its own, in a run of its own, with nothing read from the cache
    for row in rows:
        alone_json = tmp_path / f"{row[0]}.json"
        assert main(["av-align", "--manifest", str(_manifest(tmp_path / f"{row[0]}.csv.in", [row])), "--estimate-offset",
                     "--json", str(alone_json), "--quiet", "--workers", "1", "--no-cache"]) == 0
        alone = _clips_by_id(json.loads(alone_json.read_text()))[row[0]]
        assert together[row[0]] == alone
        assert alone["audio"] == str(row[2])
    # the two rows are different clips: the shifted audio is found about 5 frames late
    assert abs(together["a"]["offset"]["offset_frames"]) <= 1.0
    assert abs(together["b"]["offset"]["offset_frames"] - 5) <= 1.0
    csv_rows = {r["sample_id"]: r for r in csv.DictReader(out_csv.open())}
    assert set(csv_rows) == {"a", "b"}
    for sample_id, row in csv_rows.items():
        assert row["video"] == str(video) and row["audio"] == together[sample_id]["audio"]
        assert float(row["offset_frames"]) == together[sample_id]["offset"]["offset_frames"]
        assert float(row["score"]) == together[sample_id]["score"]
    assert sorted(p.name for p in plots.iterdir()) == ["a.png", "b.png"]
    assert (plots / "a.png").read_bytes() != (plots / "b.png").read_bytes()


def test_same_stem_in_subfolders_stays_apart(tmp_path):
    from dataclasses import replace

    from avbench.metrics.av_align import av_align_clip

    synced, shifted = demo_clips()[0], demo_clips()[3]
    write_clip(replace(synced, name="clip"), tmp_path / "clips" / "x")
    write_clip(replace(shifted, name="clip"), tmp_path / "clips" / "y")
    out, plots = tmp_path / "r.json", tmp_path / "plots"
    assert main(["av-align", str(tmp_path / "clips"), "--json", str(out), "--plot", str(plots), "--quiet",
                 "--workers", "1"]) == 0
    record = json.loads(out.read_text())
    clips = _clips_by_id(record)
    assert set(clips) == {"x/clip", "y/clip"} and record["n_failed"] == 0
    for sample_id, clip in clips.items():
        video = tmp_path / "clips" / f"{sample_id}.mp4"
        assert clip["video"] == str(video)
        assert clip["score"] == av_align_clip(video, video.with_suffix(".wav")).score  # no cache, no pairing
    assert clips["x/clip"]["score"] != clips["y/clip"]["score"]
    assert sorted(p.name for p in plots.iterdir()) == ["x%2Fclip.png", "y%2Fclip.png"]


def test_failure_records_name_the_sample_and_its_files(demo_folder, tmp_path, capsys):
    video, missing = demo_folder / "in_sync.mp4", tmp_path / "missing.wav"
    manifest = _manifest(tmp_path / "m.csv", [("good", video, demo_folder / "in_sync.wav"), ("broken", video, missing)])
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert main(["av-align", "--manifest", str(manifest), "--json", str(out_json), "--csv", str(out_csv), "--quiet",
                 "--workers", "1"]) == 0
    record = json.loads(out_json.read_text())
    assert [c["sample_id"] for c in record["clips"]] == ["good"] and record["n_failed"] == 1
    (failure,) = record["failures"]
    assert failure == {"sample_id": "broken", "video": str(video), "audio": str(missing),
                       "error": f"{missing}: audio file for {video} does not exist"}
    rows = {r["sample_id"]: r for r in csv.DictReader(out_csv.open())}
    assert rows["broken"]["video"] == str(video) and rows["broken"]["error"] == failure["error"]
    assert rows["broken"]["score"] == "" and rows["good"]["error"] == ""
    assert capsys.readouterr().err.count("failed: ") == 1


def test_a_clip_listed_twice_is_scored_once_and_the_repeat_recorded(demo_folder, tmp_path, capsys):
    video = demo_folder / "in_sync.mp4"
    out = tmp_path / "r.json"
    assert main(["av-align", str(video), str(video), "--json", str(out), "--quiet", "--workers", "1"]) == 0
    record = json.loads(out.read_text())
    assert [c["sample_id"] for c in record["clips"]] == ["in_sync"] and record["n"] == 1
    assert record["failures"] == [{"sample_id": "in_sync", "video": str(video), "audio": str(video.with_suffix(".wav")),
                                   "error": f"{video}: sample id 'in_sync' listed twice"}]
    assert capsys.readouterr().err.count("failed: ") == 1


def test_sample_ids_follow_one_rule(demo_folder, tmp_path):
    from avbench.metrics.media import pair_videos

    manifest = _manifest(tmp_path / "m.csv", [("row", demo_folder / "flicker_video.mp4", "")])
    pairs = pair_videos([demo_folder, demo_folder / "in_sync.mp4"], manifest=manifest)
    samples = [p.to_sample() for p in pairs]
    assert [s.sample_id for s in samples] == ["row", "in_sync", "shift_1_frame", "shift_2_frames", "shift_5_frames",
                                              "silent_audio", "static_video", "in_sync"]
    assert [(s.video, s.audio) for s in samples] == [(p.video, p.audio) for p in pairs]
    assert samples[0].audio is None and samples[1].audio == demo_folder / "in_sync.wav"
