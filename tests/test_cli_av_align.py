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
