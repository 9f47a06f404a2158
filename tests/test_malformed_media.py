"""The malformed-input suite, media and audio: bad videos and broken audio through the installed
`avbench av-align`, each in a batch beside a good clip. An item is refused with one line naming
its file and the problem (ERROR), scored with a named warning (WARNED) or scored (SCORED); a
scored item's number is the official algorithm's on the same files (tests/av_align_plain.py)."""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import soundfile as sf

from avbench.benchmark.synthetic import SyntheticClip, render_audio, write_clip
from av_align_plain import plain_score, plain_signals
from malformed_support import (ERROR, SCORED, WARNED, Case, assert_clear_error, assert_clear_record,
                               assert_no_traceback, assert_real_number, avbench)
from media_fixtures import truncated_mp4, vfr_mp4, zero_fps_mp4

PRESET = "tempotokens-2025"
GOOD = SyntheticClip(name="good")


@dataclass(frozen=True)
class Setup:
    """One case's bad item: its files (`audio` None = the video's own track), the file and the
    problem its record must name (an error's words, or a warning's code), extra CLI flags, and
    whether the official algorithm defines its number (frame index / fps time axis)."""

    video: Path
    audio: Path | None
    file: str
    problem: str
    flags: tuple[str, ...] = ()
    official: bool = True


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> tuple[Path, Path]:
    """The good clip every batch holds, and its wav."""
    video, audio = write_clip(GOOD, tmp_path_factory.mktemp("good"))
    return video, audio


def _wav(path: Path, samples: np.ndarray, rate: int = GOOD.sample_rate, subtype: str = "PCM_16") -> Path:
    sf.write(path, samples, rate, subtype=subtype)
    return path


def _good_audio(seconds: float | None = None, **changes) -> np.ndarray:
    return render_audio(replace(GOOD, audio_seconds=seconds, **changes))


# --- media ------------------------------------------------------------------------------------

def text_as_mp4(good, tmp):
    video = tmp / "notes.mp4"
    video.write_text("this is not a video\n")
    return Setup(video, good[1], "notes.mp4", "not a readable media container")


def index_cut_off_mp4(good, tmp):
    video = truncated_mp4(tmp, faststart=False)  # the index, at the end, is gone
    return Setup(video, video.with_suffix(".wav"), video.name, "not a readable media container")


def one_frame_video(good, tmp):
    video, audio = write_clip(SyntheticClip(name="one_frame", n_frames=1, event_frames=(), audio_seconds=2.0), tmp)
    return Setup(video, audio, "one_frame.mp4", "1 decodable frame(s); AV-Align needs at least 2")


def zero_fps_container(good, tmp):
    video = zero_fps_mp4(tmp)
    return Setup(video, video.with_suffix(".wav"), "zero_fps.mp4", "container reports no frame rate")


def no_audio_anywhere(good, tmp):
    video, audio = write_clip(SyntheticClip(name="mute"), tmp)
    audio.unlink()
    return Setup(video, None, "mute.mp4", "no audio: no audio file is paired with it")


def missing_video(good, tmp):
    return Setup(tmp / "gone.mp4", good[1], "gone.mp4", "video file does not exist")


def partial_decode(good, tmp):
    video = truncated_mp4(tmp, faststart=True)  # the index lists frames whose data is gone
    return Setup(video, video.with_suffix(".wav"), video.name, "partial-decode")


def partial_decode_strict(good, tmp):
    video = truncated_mp4(tmp, faststart=True)
    return Setup(video, video.with_suffix(".wav"), video.name, "partial-decode", ("--strict",))


def variable_frame_rate(good, tmp):
    video, _ = vfr_mp4(tmp)
    return Setup(video, video.with_suffix(".wav"), "vfr.mp4", "variable-frame-rate")


def variable_frame_rate_on_timestamps(good, tmp):
    video, _ = vfr_mp4(tmp)
    return Setup(video, video.with_suffix(".wav"), "vfr.mp4", "", ("--time-axis", "timestamps"), official=False)


def audio_track_of_the_video(good, tmp):
    video, _ = write_clip(replace(GOOD, name="track", audio_in_container=True), tmp)
    return Setup(video, None, "track.mp4", "", official=False)  # librosa cannot open an mp4 without ffmpeg


# --- audio ------------------------------------------------------------------------------------

def empty_wav(good, tmp):
    return Setup(good[0], _wav(tmp / "empty.wav", np.zeros(0, np.float32)), "empty.wav", "the audio holds no samples")


def one_sample_wav(good, tmp):
    return Setup(good[0], _wav(tmp / "one.wav", np.full(1, 0.5, np.float32)), "one.wav", "audio too short: 1 sample(s)")


def huge_sample_wav(good, tmp):
    y = _good_audio()
    y[len(y) // 2] = 3e38  # finite in float32, infinite once squared in the spectrogram
    return Setup(good[0], _wav(tmp / "huge.wav", y, subtype="FLOAT"), "huge.wav", "the onset envelope overflows")


def nan_sample_wav(good, tmp):
    y = _good_audio()
    y[100] = np.nan
    return Setup(good[0], _wav(tmp / "nan.wav", y, subtype="FLOAT"), "nan.wav", "not finite")


def bad_header_mp3(good, tmp):
    audio = tmp / "bad.mp3"
    audio.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff" * 100 + bytes(range(256)) * 10)
    return Setup(good[0], audio, "bad.mp3", "cannot be decoded")


def junk_wav(good, tmp):
    audio = tmp / "junk.wav"
    audio.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    return Setup(good[0], audio, "junk.wav", "cannot read audio (Error in WAV file")


def missing_wav(good, tmp):
    return Setup(good[0], tmp / "gone.wav", "gone.wav", "does not exist")


def folder_as_audio(good, tmp):
    (tmp / "sounds.wav").mkdir()
    return Setup(good[0], tmp / "sounds.wav", "sounds.wav", "is a folder")


def header_claims_more_data(good, tmp):
    whole = _wav(tmp / "whole.wav", _good_audio())
    data = whole.read_bytes()
    cut = tmp / "cut.wav"
    cut.write_bytes(data[: len(data) * 3 // 4])  # the header still declares every sample
    return Setup(good[0], cut, "cut.wav", "truncated-audio")


def tenth_of_a_second(good, tmp):
    return Setup(good[0], _wav(tmp / "tenth.wav", _good_audio(0.1)), "tenth.wav", "audio-length")


def four_times_longer(good, tmp):
    return Setup(good[0], _wav(tmp / "long.wav", _good_audio(8.0)), "long.wav", "audio-length")


def silent_wav(good, tmp):
    return Setup(good[0], _wav(tmp / "silence.wav", np.zeros(2 * GOOD.sample_rate, np.float32)), "silence.wav",
                 "silent-audio")


def slightly_short_wav(good, tmp):  # 5% short: within the audio-length tolerance
    return Setup(good[0], _wav(tmp / "short.wav", _good_audio(1.9)), "short.wav", "")


def stereo_48k_wav(good, tmp):
    y = _good_audio(sample_rate=48000, channels=2)
    return Setup(good[0], _wav(tmp / "stereo.wav", y, rate=48000), "stereo.wav", "")


def same_video_other_audio(good, tmp):
    """The good clip's video listed again with other audio: its own number, never the good row's."""
    return Setup(good[0], _wav(tmp / "late.wav", _good_audio(audio_shift_frames=3)), "late.wav", "")


BUILDERS: dict[str, Callable[[tuple[Path, Path], Path], Setup]] = {f.__name__: f for f in (
    text_as_mp4, index_cut_off_mp4, one_frame_video, zero_fps_container, no_audio_anywhere, missing_video,
    partial_decode_strict, partial_decode, variable_frame_rate, variable_frame_rate_on_timestamps,
    audio_track_of_the_video,
    empty_wav, one_sample_wav, huge_sample_wav, nan_sample_wav, bad_header_mp3, junk_wav, missing_wav,
    folder_as_audio, header_claims_more_data, tenth_of_a_second, four_times_longer, silent_wav,
    slightly_short_wav, stereo_48k_wav, same_video_other_audio,
)}

CASES: list[Case] = [
    Case("text_as_mp4", "media", ERROR),
    Case("index_cut_off_mp4", "media", ERROR),
    Case("one_frame_video", "media", ERROR),
    Case("zero_fps_container", "media", ERROR),
    Case("no_audio_anywhere", "media", ERROR),
    Case("missing_video", "media", ERROR),
    Case("partial_decode_strict", "media", ERROR),
    Case("partial_decode", "media", WARNED),
    Case("variable_frame_rate", "media", WARNED),
    Case("variable_frame_rate_on_timestamps", "media", SCORED),
    Case("audio_track_of_the_video", "media", SCORED),
    Case("empty_wav", "audio", ERROR),
    Case("one_sample_wav", "audio", ERROR),
    Case("huge_sample_wav", "audio", ERROR),
    Case("nan_sample_wav", "audio", ERROR),
    Case("bad_header_mp3", "audio", ERROR),
    Case("junk_wav", "audio", ERROR),
    Case("missing_wav", "audio", ERROR),
    Case("folder_as_audio", "audio", ERROR),
    Case("header_claims_more_data", "audio", WARNED),
    Case("tenth_of_a_second", "audio", WARNED),
    Case("four_times_longer", "audio", WARNED),
    Case("silent_wav", "audio", WARNED),
    Case("slightly_short_wav", "audio", SCORED),
    Case("stereo_48k_wav", "audio", SCORED),
    Case("same_video_other_audio", "audio", SCORED),
]


def _manifest(path: Path, rows: list[tuple[str, Path, Path | None]]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sample_id", "video_path", "audio_path"])
        writer.writerows((sample_id, video, audio or "") for sample_id, video, audio in rows)
    return path


def test_every_builder_has_one_case():
    assert sorted(BUILDERS) == sorted(c.name for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_media_in_a_batch(case, good, tmp_path):
    setup = BUILDERS[case.name](good, tmp_path)
    manifest = _manifest(tmp_path / "manifest.csv", [("ok", *good), ("bad", setup.video, setup.audio)])
    out_json, out_csv = tmp_path / "run.json", tmp_path / "run.csv"
    done = avbench("av-align", "--manifest", str(manifest), "--json", str(out_json), "--csv", str(out_csv),
                   "--workers", "1", "--quiet", *setup.flags)
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr  # the batch went on: the good clip is scored
    record = json.loads(out_json.read_text())
    clips = {c["sample_id"]: c for c in record["clips"]}
    failures = {f["sample_id"]: f["error"] for f in record["failures"]}
    with open(out_csv, newline="") as fh:
        rows = {r["sample_id"]: r for r in csv.DictReader(fh)}
    assert_real_number(clips["ok"]["score"])
    assert clips["ok"]["warnings"] == [] and rows["ok"]["warnings"] == ""
    stderr = done.stderr.splitlines()

    if case.outcome == ERROR:
        assert "bad" not in clips and rows["bad"]["score"] == ""  # no number in its place
        assert_clear_record(failures["bad"], setup.file, setup.problem)
        assert rows["bad"]["error"] == failures["bad"]
        assert f"failed: {failures['bad']}" in stderr and "failed: 1" in done.stdout
        return

    bad = clips["bad"]
    assert "bad" not in failures and rows["bad"]["error"] == ""
    assert_real_number(bad["score"])
    assert rows["bad"]["score"] == repr(bad["score"])
    if setup.official:  # exactly the official algorithm's number on these files
        traj, fps, audio_peaks = plain_signals(setup.video, setup.audio)
        assert bad["audio_peaks"] == audio_peaks and bad["n_frames"] == len(traj)
        expected = plain_score(traj, fps, audio_peaks, PRESET)
        assert not math.isnan(expected) and bad["score"] == expected
    if case.outcome == WARNED:
        named = [w for w in bad["warnings"] if f": {setup.problem}: " in w]
        assert len(named) == 1, bad["warnings"]
        assert_clear_record(named[0], setup.file, setup.problem)
        assert rows["bad"]["warnings"] == " | ".join(bad["warnings"])
        assert f"warning: bad: {named[0]}" in stderr
        assert record["n_warned"] == 1 and "with warnings: 1" in done.stdout
    else:
        assert bad["warnings"] == [] and rows["bad"]["warnings"] == ""
        assert record["n_warned"] == 0 and not [line for line in stderr if line.startswith("warning:")]


LONE = ("one_frame_video", "partial_decode_strict", "empty_wav")


@pytest.mark.parametrize("name", LONE)
def test_a_lone_bad_clip_is_refused_in_one_line(name, good, tmp_path):
    assert next(c for c in CASES if c.name == name).outcome == ERROR
    setup = BUILDERS[name](good, tmp_path)
    manifest = _manifest(tmp_path / "manifest.csv", [("bad", setup.video, setup.audio)])
    done = avbench("av-align", "--manifest", str(manifest), "--workers", "1", "--quiet", *setup.flags)
    line = assert_clear_error(done, setup.file, setup.problem)
    assert line.startswith("avbench av-align: no clip could be scored: ")
