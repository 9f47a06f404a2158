"""One long clip on every core: a clip measured in segments across workers
(metrics/av_align/segments.py) gets exactly the trajectory, peaks and scores of the plain
sequential implementation (tests/av_align_plain.py), whatever the encoding (short and open
GOPs, B-frames, seeks landing on non-key frames); clips whose frames cannot be found by seeking
(variable frame rate, frames that do not decode) are measured whole and still match."""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, strategies as st

from avbench.benchmark.synthetic import SyntheticClip
from avbench.metrics.av_align import CANONICAL_PRESETS, get_preset, score_signals
from avbench.metrics.av_align.runner import ClipOptions, _flow_key, clip_flow, measure_clips
from avbench.metrics.av_align.segments import (MIN_SEGMENT_PAIRS, Segment, SegmentFlow, joined_trajectory,
                                               pieces_per_clip, plan_segments, splittable)
from avbench.metrics.cache import ArrayCache
from avbench.metrics.media import decode_audio_track, frame_timestamps, pair_videos, probe
from avbench.metrics.metric import Sample
from av_align_plain import plain_score, plain_signals
from media_fixtures import encoded_clip, truncated_mp4, vfr_mp4

REPO = Path(__file__).resolve().parents[1]

LONG = SyntheticClip(name="long", n_frames=160, width=128, height=96, event_frames=tuple(range(7, 155, 9)),
                     distractor="shake", distractor_amount=2.0)

# (codec, encoder options, container): each puts segment starts on frames that are not key frames
ENCODINGS = {
    "h264_gop17_bframes": ("libx264", {"crf": "12", "preset": "veryfast", "g": "17"}, ".mp4"),
    "h264_open_gop": ("libx264", {"crf": "12", "preset": "medium", "x264-params": "keyint=40:open-gop=1:bframes=3"},
                      ".mkv"),
    "mpeg4_bframes": ("mpeg4", {"g": "25", "bf": "2"}, ".mp4"),
    "vp9_gop30": ("libvpx-vp9", {"g": "30"}, ".webm"),
}


def _measure_one(video: Path, **kwargs):
    samples = [pair.to_sample() for pair in pair_videos([video])]
    assert len(samples) == 1
    measured = measure_clips(samples, get_preset(), progress=False, **kwargs)
    return samples[0], measured


def _assert_equals_plain(video: Path, audio: Path, signals) -> None:
    traj, fps, audio_peaks = plain_signals(video, audio)
    assert signals.fps == fps and signals.n_frames == len(traj)
    assert signals.trajectory.tolist() == traj
    for preset in CANONICAL_PRESETS:
        result = score_signals(signals, get_preset(preset))
        assert result.audio_peaks == audio_peaks
        expected = plain_score(traj, fps, audio_peaks, preset)
        assert (math.isnan(expected) and math.isnan(result.score)) or result.score == expected, preset


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_long_clip_in_segments_equals_the_sequential_plain_implementation(encoding, tmp_path):
    codec, options, suffix = ENCODINGS[encoding]
    video = encoded_clip(tmp_path, LONG, codec, options, suffix)
    sample, measured = _measure_one(video, workers=2, use_cache=False)
    assert not measured.failures
    assert measured.segments == {sample.sample_id: len(plan_segments(LONG.n_frames, 4))} and measured.segments[sample.sample_id] > 2
    _assert_equals_plain(video, video.with_suffix(".wav"), measured.signals[sample.sample_id])


def test_real_generated_media_in_segments_equals_the_plain_implementation(tmp_path):
    video = REPO / "tests/data/media/mmdiffusion_landscape.mp4"  # 884 frames with their own audio track
    samples, rate = decode_audio_track(video)
    wav = tmp_path / "landscape.wav"  # the plain implementation reads audio files only
    sf.write(wav, samples.T if samples.ndim == 2 else samples, rate)
    sample = Sample("landscape", video, wav)
    measured = measure_clips([sample], get_preset(), workers=2, use_cache=False, progress=False)
    assert not measured.failures and measured.segments.get("landscape", 0) > 1
    _assert_equals_plain(video, wav, measured.signals["landscape"])


def test_the_cache_entry_of_a_segmented_clip_is_the_sequential_one(tmp_path):
    video = encoded_clip(tmp_path, LONG, *ENCODINGS["h264_gop17_bframes"])
    sample, measured = _measure_one(video, workers=2, cache_root=tmp_path / "cache")
    assert measured.segments
    preset = get_preset()
    entry = ArrayCache("av-align/flow", tmp_path / "cache").get(_flow_key(sample.with_hashes(), preset, ClipOptions()))
    sequential = clip_flow(video, preset, None)
    assert entry is not None and set(entry) == set(sequential)
    for name, value in sequential.items():
        assert np.array_equal(np.asarray(entry[name]), np.asarray(value)), name
        assert np.asarray(entry[name]).dtype == np.asarray(value).dtype, name
    # a rerun reads it: nothing is measured again, and the signals are the same
    _, again = _measure_one(video, workers=2, cache_root=tmp_path / "cache")
    assert not again.segments and set(again.signals) == set(measured.signals)
    for sample_id, signals in again.signals.items():
        first = measured.signals[sample_id].to_features()
        assert set(signals.to_features()) == set(first)
        assert all(np.array_equal(value, first[name]) for name, value in signals.to_features().items())


def test_a_variable_frame_rate_clip_is_not_split_and_matches_the_plain_implementation(tmp_path):
    vfr, cfr = vfr_mp4(tmp_path, seconds=6)
    assert splittable(probe(cfr).n_frames, probe(cfr).fps, frame_timestamps(cfr))
    assert not splittable(probe(vfr).n_frames, probe(vfr).fps, frame_timestamps(vfr))
    sample, measured = _measure_one(vfr, workers=2, use_cache=False)
    assert not measured.failures and not measured.segments
    signals = measured.signals[sample.sample_id]
    assert any("variable-frame-rate" in w for w in signals.warnings)
    _assert_equals_plain(vfr, vfr.with_suffix(".wav"), signals)


def test_a_long_clip_whose_frames_do_not_all_decode_is_measured_whole(tmp_path):
    """Its container lists frames whose data is gone: the segments cannot prove the trajectory
    (a segment's read fails, or the count is short), so the sequential read decides: the frames
    that decode, as the official script, with the partial-decode warning."""
    video = truncated_mp4(tmp_path, faststart=True, n_frames=200)
    listed = probe(video).n_frames
    assert listed == 200 and len(plan_segments(listed, 4)) > 1
    sample, measured = _measure_one(video, workers=2, use_cache=False)
    assert not measured.failures and not measured.segments
    signals = measured.signals[sample.sample_id]
    assert signals.n_frames < listed and any("partial-decode" in w for w in signals.warnings)
    _assert_equals_plain(video, video.with_suffix(".wav"), signals)


@given(n_frames=st.integers(2, 5000), pieces=st.integers(1, 64))
def test_segments_cover_every_pair_once(n_frames, pieces):
    segments = plan_segments(n_frames, pieces)
    assert 1 <= len(segments) <= pieces
    assert segments[0].start == 1 and segments[-1].stop is None
    stops = [s.stop for s in segments[:-1]] + [n_frames]
    assert all(a == b.start for a, b in zip(stops, segments[1:]))
    sizes = [stop - s.start for s, stop in zip(segments, stops)]
    assert sum(sizes) == n_frames - 1
    assert len(segments) == 1 or min(sizes) >= MIN_SEGMENT_PAIRS


def test_clips_costing_more_than_their_share_are_split():
    assert pieces_per_clip([100.0] * 4, 1) == [1, 1, 1, 1]
    assert pieces_per_clip([100.0] * 4, 2) == [1, 1, 1, 1]  # four equal clips already fill two workers
    assert pieces_per_clip([1000.0, 10.0, 10.0], 2) == [4, 1, 1]
    assert pieces_per_clip([1000.0], 8) == [16]


def _flow(values, head=("a", "b"), tail=("c", "d"), n_frames=10):
    return SegmentFlow(np.asarray(values, dtype=np.float64), head, tail, n_frames, 24.0)


def test_a_trajectory_is_joined_only_when_every_overlap_and_the_frame_count_agree():
    segments = [Segment(1, 4), Segment(4, None)]
    first = _flow([1.0, 1.0, 2.0, 3.0], head=("f0", "f1"), tail=("f3", "f4"), n_frames=5)
    last = _flow([4.0, 5.0], head=("f3", "f4"), tail=(), n_frames=3)  # frames 3, 4, 5
    assert joined_trajectory(segments, [first, last], 6).tolist() == [1.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert joined_trajectory(segments, [first, last], 7) is None  # the container lists a frame not read
    assert joined_trajectory(segments, [first, None], 6) is None  # a segment could not be read
    moved = _flow([4.0, 5.0], head=("f4", "f5"), tail=(), n_frames=3)  # its seek landed one frame late
    assert joined_trajectory(segments, [first, moved], 6) is None


def test_a_uniform_rate_is_required_to_split():
    regular = np.arange(100) / 25.0
    assert splittable(100, 25.0, regular)
    assert not splittable(None, 25.0, regular)  # the container does not list its frames
    assert not splittable(100, None, regular)
    assert not splittable(101, 25.0, regular)  # a frame without a timestamp
    jittered = regular.copy()
    jittered[50:] += 0.6 / 25.0
    assert not splittable(100, 25.0, jittered)


def test_one_worker_measures_every_clip_whole(tmp_path):
    video = encoded_clip(tmp_path, LONG, *ENCODINGS["h264_gop17_bframes"])
    _, measured = _measure_one(video, workers=1, use_cache=False)
    assert not measured.failures and not measured.segments


def test_a_short_clip_beside_a_long_one_is_not_split(tmp_path):
    encoded_clip(tmp_path, LONG, *ENCODINGS["h264_gop17_bframes"])
    encoded_clip(tmp_path, SyntheticClip(name="short", n_frames=40, fps=Fraction(24)), *ENCODINGS["h264_gop17_bframes"])
    samples = [pair.to_sample() for pair in pair_videos([tmp_path])]
    measured = measure_clips(samples, get_preset(), workers=2, use_cache=False, progress=False)
    assert not measured.failures and set(measured.segments) == {"long"}
    for sample in samples:
        _assert_equals_plain(sample.video, sample.audio, measured.signals[sample.sample_id])
