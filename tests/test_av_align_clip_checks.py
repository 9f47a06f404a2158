"""AV-Align's per-clip checks beyond the malformed-input suite: the time axis of a
variable-frame-rate clip, the warnings in a run's per-sample records and in score-files, the
warnings kept by saved states, the cache key of a pair, and the Python API's messages."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from avbench.benchmark import run_dir as rd
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics import av_align_clip
from avbench.metrics.av_align import AVAlign, load_audio
from avbench.metrics.av_align.clip_checks import AUDIO_LENGTH, variable_frame_rate
from avbench.metrics.av_align.flow import video_flow
from avbench.metrics.errors import InputError
from avbench.metrics.media import decode_audio_track, load_audio as load_media_audio, read_audio
from avbench.metrics.metric import Sample
from av_align_plain import plain_score, plain_signals
from malformed_support import assert_no_traceback, assert_real_number, avbench
from media_fixtures import vfr_mp4

PRESET = "tempotokens-2025"


def test_a_vfr_clip_on_its_timestamps_scores_as_its_constant_rate_source(tmp_path):
    vfr, cfr = vfr_mp4(tmp_path)
    runs = {}
    for axis in ("frames", "timestamps"):
        out = tmp_path / f"{axis}.json"
        done = avbench("av-align", str(vfr), str(cfr), "--time-axis", axis, "--json", str(out), "--workers", "1",
                       "--quiet")
        assert_no_traceback(done)
        assert done.returncode == 0, done.stderr
        runs[axis] = (done, json.loads(out.read_text()))
    plain_cfr = plain_score(*plain_signals(cfr, cfr.with_suffix(".wav")), PRESET)
    plain_vfr = plain_score(*plain_signals(vfr, vfr.with_suffix(".wav")), PRESET)  # index / average fps
    assert plain_vfr != plain_cfr  # the canonical time axis misplaces this clip's frames

    done, record = runs["frames"]
    on_frames = {c["sample_id"]: c for c in record["clips"]}
    assert "time_axis" not in record["parameters"] and "not canonical" not in done.stdout
    assert on_frames["cfr"]["score"] == plain_cfr and on_frames["cfr"]["warnings"] == []
    assert on_frames["vfr"]["score"] == plain_vfr
    assert [w.split(": ")[1] for w in on_frames["vfr"]["warnings"]] == ["variable-frame-rate"]

    done, record = runs["timestamps"]
    on_times = {c["sample_id"]: c for c in record["clips"]}
    assert record["parameters"]["time_axis"] == "timestamps" and "time axis timestamps: not canonical" in done.stdout
    assert on_times["cfr"]["score"] == plain_cfr and on_times["cfr"]["video_peaks"] == on_frames["cfr"]["video_peaks"]
    assert on_times["vfr"]["score"] == plain_cfr and on_times["vfr"]["warnings"] == []


@settings(max_examples=200, deadline=None)
@given(fps=st.sampled_from([8, 10, 12, 15, 24, 25, 30000 / 1001, 30, 50, 60, 120, 240]),
       ticks=st.sampled_from([1000, 12288, 15360, 90000]), n=st.integers(2, 600))
def test_constant_rate_timestamps_rounded_to_a_time_base_are_never_variable(fps, ticks, n):
    times = np.round(np.arange(n) / fps * ticks) / ticks
    assert variable_frame_rate("clip.mp4", times, fps) is None


def test_dropped_frames_are_a_variable_frame_rate():
    times = np.array([0, 1, 2, 3, 5, 7, 9], dtype=np.float64) / 24  # every other frame gone after the 4th
    warning = variable_frame_rate("clip.mp4", times, 7 / (9 / 24))
    assert warning is not None and str(warning).startswith("clip.mp4: variable-frame-rate: ")


def _warned_folder(folder: Path) -> Path:
    write_clip(SyntheticClip(name="a"), folder)
    write_clip(SyntheticClip(name="b", audio_seconds=0.5), folder)  # a quarter of the video's 2 s
    return folder


def test_a_runs_per_sample_records_and_notes_carry_the_warnings(tmp_path):
    clips = _warned_folder(tmp_path / "clips")
    inputs = tmp_path / "inputs.csv"
    inputs.write_text("sample_id,video_path,audio_path\na,clips/a.mp4,clips/a.wav\nb,clips/b.mp4,clips/b.wav\n")
    done = avbench("score", "--benchmark", "custom", "--items", str(clips), "--inputs", str(inputs), "--out",
                   str(tmp_path / "run"), "--metrics", "av_align", "--workers", "1", "--quiet")
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    rows = {r["sample_id"]: r for r in rd.read_samples(tmp_path / "run")}
    assert rows["a"]["warnings"] == []
    assert len(rows["b"]["warnings"]) == 1
    assert rows["b"]["warnings"][0].startswith(f"{clips / 'b.wav'}: {AUDIO_LENGTH}: ")
    assert_real_number(rows["b"]["value"])
    assert rows["b"]["value"] == plain_score(*plain_signals(clips / "b.mp4", clips / "b.wav"), PRESET)
    notes = rd.read_results(tmp_path / "run")["metrics"]["av_align"]["notes"]
    assert any(note.startswith("1 sample(s) scored with warnings") for note in notes)
    assert "note: 1 sample(s) scored with warnings" in done.stdout


def test_score_files_reports_the_warnings(tmp_path):
    clips = _warned_folder(tmp_path / "clips")
    out = tmp_path / "out.json"
    done = avbench("score-files", str(clips), "--metrics", "av_align", "--workers", "1", "--quiet", "--json", str(out))
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    warnings = record["warnings"]["av_align"]
    assert list(warnings) == ["b"] and len(warnings["b"]) == 1 and f": {AUDIO_LENGTH}: " in warnings["b"][0]
    assert f"  [av_align] warning: {warnings['b'][0]}" in done.stderr.splitlines()


def test_a_saved_state_keeps_each_clips_warnings(tmp_path):
    clips = _warned_folder(tmp_path / "clips")
    metric = AVAlign(PRESET)
    for name in ("a", "b"):
        metric.update(av_align_clip(clips / f"{name}.mp4", clips / f"{name}.wav", PRESET), name)
    metric.generated.save(tmp_path / "state.npz")
    loaded = AVAlign(PRESET)
    loaded.set_state(loaded.load_state(tmp_path / "state.npz"))
    assert loaded.sample_warnings() == metric.sample_warnings()
    assert list(loaded.sample_warnings()) == ["b"] and f": {AUDIO_LENGTH}: " in loaded.sample_warnings()["b"][0]
    assert loaded.compute().details["n_warned"] == 1


def test_a_clips_features_are_keyed_by_its_video_and_its_audio(tmp_path):
    video = Path("v.mp4")
    one = Sample("one", video, Path("one.wav"), video_sha256="v" * 64, audio_sha256="1" * 64)
    other = replace(one, sample_id="other", audio=Path("other.wav"), audio_sha256="2" * 64)
    track = replace(one, sample_id="track", audio=None, audio_sha256=None)
    metric = AVAlign(PRESET)
    keys = [metric.sample_key(s) for s in (one, other, track)]
    assert keys[0] != keys[1] and len({json.dumps(k, sort_keys=True) for k in keys}) == 3
    assert all(k["video"] == "v" * 64 for k in keys)


def test_the_python_api_says_what_is_wrong(tmp_path):
    missing = tmp_path / "gone.mp4"
    for call in (lambda: video_flow(missing), lambda: av_align_clip(missing, missing.with_suffix(".wav"))):
        with pytest.raises(InputError) as caught:
            call()
        assert caught.value.path == str(missing)
        assert caught.value.problem in ("no such file", "video file does not exist")
    with pytest.raises(InputError, match="^gone.mp4: no such file$"):
        video_flow("gone.mp4")
    for call in (lambda: load_audio(None), lambda: load_media_audio(None), lambda: read_audio(None),
                 lambda: decode_audio_track(None)):
        with pytest.raises(InputError, match=r"^no (audio|media) file given \(None\)$"):
            call()
    for call in (lambda: load_audio(tmp_path / "gone.wav"), lambda: load_media_audio(tmp_path / "gone.wav")):
        with pytest.raises(InputError, match=f"^{tmp_path / 'gone.wav'}: no such file$"):
            call()
    mp3 = tmp_path / "bad.mp3"
    mp3.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff" * 100 + bytes(range(256)) * 10)
    for call in (lambda: load_audio(mp3), lambda: load_media_audio(mp3)):
        with pytest.raises(InputError) as caught:
            call()
        assert caught.value.path == str(mp3) and "cannot be decoded" in caught.value.problem
        assert "does not exist" not in caught.value.problem
    mute, wav = write_clip(SyntheticClip(name="mute"), tmp_path)
    wav.unlink()
    with pytest.raises(InputError, match="no audio: no audio file is paired with it .* the video has no audio track"):
        av_align_clip(mute)  # audio None: the video's own track, which it has not
    with_track, _ = write_clip(SyntheticClip(name="track", audio_in_container=True), tmp_path)
    assert_real_number(av_align_clip(with_track, None).score)
