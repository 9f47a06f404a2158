"""The streaming, parallel, cached AV-Align path against a deliberately plain implementation of
the metric as docs/av-align.md defines it: all frames in memory, every formula written out
(tests/av_align_plain.py)."""
from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest
import soundfile as sf

from avbench.benchmark.synthetic import SyntheticClip, render_audio, render_frames, write_clip
from avbench.metrics.av_align import CANONICAL_PRESETS, get_preset, score_signals
from avbench.metrics.av_align.runner import Measured, measure_clips
from avbench.metrics.media import pair_videos, probe
from av_align_plain import plain_score, plain_signals
from media_fixtures import truncated_mp4


def measure(pairs, **kwargs):
    """The runner's signals and failures of `pairs` (sample ids as the av-align verb names
    them), keyed by video path so each clip finds its plain computation."""
    samples = [pair.to_sample() for pair in pairs]
    run = measure_clips(samples, get_preset(), **kwargs)
    video_of = {s.sample_id: str(s.video) for s in samples}
    assert len(video_of) == len(samples)
    return Measured({video_of[i]: s for i, s in run.signals.items()}, {video_of[i]: e for i, e in run.failures.items()})


def scored(measured, preset):
    """Every measured clip scored under `preset`, in the order measured."""
    return [score_signals(signals, get_preset(preset), video) for video, signals in measured.signals.items()]


def _events(n):
    return (n // 6, n // 3 + 1, n // 2 + 2, (3 * n) // 4)


def _clip(name, fps, w, h, codec, sr, ch, audio_factor=1.0, **kw):
    fps = Fraction(fps)
    n = int(2 * fps)
    duration = float(n / fps)
    return SyntheticClip(name=name, fps=fps, n_frames=n, width=w, height=h, codec=codec, sample_rate=sr,
                         channels=ch, event_frames=_events(n), audio_seconds=duration * audio_factor, **kw)


CLIPS = [
    _clip("fps8_mp4v_mono16k", 8, 161, 121, "mp4v", 16000, 1),
    _clip("fps12_h264_stereo48k_long_audio", 12, 160, 120, "h264", 48000, 2, audio_factor=1.5),
    _clip("fps24_odd_h264_mono16k_short_audio", 24, 97, 73, "h264", 16000, 1, audio_factor=0.5),
    _clip("fps2997_mp4v_stereo48k", Fraction(30000, 1001), 128, 96, "mp4v", 48000, 2),
    _clip("fps30_h264_shift1", 30, 200, 150, "h264", 22050, 1, audio_shift_frames=1),
    _clip("fps25_odd_mp4v_shift2_short", 25, 121, 89, "mp4v", 48000, 2, audio_factor=0.7, audio_shift_frames=2),
    _clip("fps24_static_h264", 24, 160, 120, "h264", 16000, 1, video="static"),
    _clip("fps15_flicker_mp4v", 15, 144, 108, "mp4v", 48000, 2, video="flicker"),
]


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref-clips")
    for clip in CLIPS:
        write_clip(clip, folder)
    return folder


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_parallel_cached_streaming_path_equals_plain_implementation(clip_folder, tmp_path):
    pairs = pair_videos([clip_folder])
    assert len(pairs) == len(CLIPS) and all(p.source == "beside" for p in pairs)
    first = measure(pairs, workers=2, progress=False, cache_root=tmp_path)
    cached = measure(pairs, workers=2, progress=False, cache_root=tmp_path)
    uncached = measure(pairs, workers=1, progress=False, use_cache=False)
    assert not first.failures
    plain = {str(p.video): plain_signals(p.video, p.audio) for p in pairs}
    compared = 0
    for preset in CANONICAL_PRESETS:
        for run in (first, cached, uncached):
            results = scored(run, preset)
            assert len(results) == len(CLIPS)
            for r in results:
                traj, fps, audio_peaks = plain[r.video]
                assert r.fps == fps and r.n_frames == len(traj)
                assert r.signals.trajectory.tolist() == traj
                assert r.audio_peaks == audio_peaks
                expected = plain_score(traj, fps, audio_peaks, preset)
                assert _same(r.score, expected), (r.video, preset, r.score, expected)
                compared += 1
    assert compared == 3 * len(CANONICAL_PRESETS) * len(CLIPS)
    # the set is not degenerate: the in-sync-like clips score above the flicker clip
    scores = {r.video.split("/")[-1]: r.score for r in scored(first, "tempotokens-2025")}
    assert scores["fps8_mp4v_mono16k.mp4"] > scores["fps15_flicker_mp4v.mp4"]


def test_a_partly_decodable_clip_scores_as_the_official_code_on_the_frames_that_decode(tmp_path):
    video = truncated_mp4(tmp_path, faststart=True)  # the index lists frames whose data is gone
    listed = probe(video).n_frames
    traj, fps, audio_peaks = plain_signals(video, video.with_suffix(".wav"))
    assert 2 < len(traj) < listed  # the official script reads until read() fails and scores those
    pairs = pair_videos([video])
    first = measure(pairs, workers=1, progress=False, cache_root=tmp_path / "cache")
    cached = measure(pairs, workers=1, progress=False, cache_root=tmp_path / "cache")
    warning = (f"{video}: partial-decode: {len(traj)} of the {listed} frames the container lists decode; "
               f"scored on those {len(traj)}, as the official code does")
    for run in (first, cached):
        assert not run.failures
        for preset in CANONICAL_PRESETS:
            r = scored(run, preset)[0]
            assert r.n_frames == len(traj) and r.fps == fps
            assert r.signals.trajectory.tolist() == traj and r.audio_peaks == audio_peaks
            assert _same(r.score, plain_score(traj, fps, audio_peaks, preset)), (preset, r.score)
            assert [w for w in r.warnings if ": partial-decode: " in w] == [warning]


def test_score_above_one_under_2023_and_floor_difference(clip_folder):
    pairs = pair_videos([clip_folder / "fps24_static_h264.mp4"])
    run = measure(pairs, workers=1, progress=False)
    r2025 = scored(run, "tempotokens-2025")[0]
    r2023 = scored(run, "tempotokens-2023")[0]
    # a static video: codec noise gives sub-0.1 px maxima that only the 2023 preset counts
    assert r2025.video_peaks == [] and r2025.score == 0.0
    assert len(r2023.video_peaks) > 0


def _mux_pcm(clip: SyntheticClip, path):
    """The clip's frames and its int16 audio samples in an mkv (pcm_s16le track)."""
    audio = np.round(render_audio(clip) * 32767).astype(np.int16)
    with av.open(str(path), "w") as container:
        vs = container.add_stream("libx264", rate=clip.fps)
        vs.width, vs.height, vs.pix_fmt = clip.width, clip.height, "yuv420p"
        as_ = container.add_stream("pcm_s16le", rate=clip.sample_rate)
        as_.layout = "stereo" if clip.channels == 2 else "mono"
        for frame in render_frames(clip):
            for p in vs.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(p)
        for p in vs.encode():
            container.mux(p)
        for start in range(0, len(audio), 1024):
            chunk = np.ascontiguousarray(audio[start:start + 1024].reshape(1, -1))
            af = av.AudioFrame.from_ndarray(chunk, format="s16", layout=as_.layout.name)
            af.sample_rate = clip.sample_rate
            for p in as_.encode(af):
                container.mux(p)
        for p in as_.encode():
            container.mux(p)
    return audio


@pytest.mark.parametrize("channels,rate", [(2, 48000), (1, 16000)])
def test_audio_track_of_a_container_equals_the_same_samples_in_a_wav(tmp_path, channels, rate):
    clip = replace(CLIPS[1], name=f"track_{channels}", channels=channels, sample_rate=rate)
    video = tmp_path / "v" / f"{clip.name}.mkv"
    video.parent.mkdir()
    samples = _mux_pcm(clip, video)
    wav = tmp_path / "a" / f"{clip.name}.wav"
    wav.parent.mkdir()
    sf.write(wav, samples, rate, subtype="PCM_16")
    track_pairs, paired_pairs = pair_videos([video]), pair_videos([video], audio_dir=wav.parent)
    assert track_pairs[0].source == "track" and paired_pairs[0].source == "audio-dir"
    track = measure(track_pairs, workers=1, progress=False, use_cache=False)
    paired = measure(paired_pairs, workers=1, progress=False, use_cache=False)
    env_track = track.signals[str(video)].envelope
    env_wav = paired.signals[str(video)].envelope
    np.testing.assert_array_equal(env_track, env_wav)
    for preset in CANONICAL_PRESETS:
        assert _same(scored(track, preset)[0].score, scored(paired, preset)[0].score)
