"""Peak picking, matching and the per-clip score of every AV-Align preset.

Pure functions on a flow trajectory (pixels per frame, one value per frame) and peak times
(seconds). Comparisons are written in the same floating-point form as the reference scripts
so that window edges decide identically.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .presets import AVAlignPreset


def video_peak_indices(trajectory: Sequence[float], floor: float | None) -> list[int]:
    """Frame indices i in 1..N-2 with traj[i-1] < traj[i] > traj[i+1] (strict) and, when
    `floor` is set, traj[i] >= floor. `trajectory` is (N,) mean flow magnitudes."""
    traj = np.asarray(trajectory, dtype=np.float64)
    if traj.size < 3:
        return []
    mid = traj[1:-1]
    is_peak = (traj[:-2] < mid) & (mid > traj[2:])
    if floor is not None:
        is_peak &= mid >= floor
    return [int(i) + 1 for i in np.flatnonzero(is_peak)]


def frame_times(indices: Sequence[int], fps: float) -> list[float]:
    """Frame indices → seconds, as `i / fps`."""
    return [i / fps for i in indices]


def video_peak_times(trajectory: Sequence[float], fps: float, preset: AVAlignPreset,
                     timestamps: Sequence[float] | None = None) -> list[float]:
    """Seconds of the video peaks of `trajectory` under `preset` (its absolute and relative
    floors): i / fps, or frame i's timestamp where `timestamps` (seconds per frame) are given."""
    indices = video_peak_indices(trajectory, preset.flow_floor)
    if preset.flow_floor_relative is not None and indices:
        floor = preset.flow_floor_relative * float(np.max(trajectory))
        indices = [i for i in indices if trajectory[i] >= floor]
    if timestamps is not None:
        return [float(timestamps[i]) for i in indices]
    return frame_times(indices, fps)


def video_peak_span(n_frames: int, fps: float, preset: AVAlignPreset) -> tuple[float, float]:
    """(start, end) seconds from the earliest to the latest time a video peak can have (frames
    2..N−2: index 1 repeats index 0, so it is never a strict maximum), widened by the window."""
    w = match_window(preset, fps)
    return 2 / fps - w, (n_frames - 2) / fps + w


def match_window(preset: AVAlignPreset, fps: float) -> float:
    """Half-width of the open matching window in seconds: `window_frames` / fps, plus
    `window_seconds` where a preset sets it."""
    w = preset.window_frames / fps
    return w + preset.window_seconds if preset.window_seconds else w


@dataclass(frozen=True)
class PeakMatch:
    """The outcome of matching audio peaks A against video peaks V for one clip.

    `pairs` are (audio index, video index) of the preset's matching rule (greedy one-to-one
    for `greedy-one-to-one` and `both-directions`, first hit for `first-match`);
    `audio_hits`/`video_hits` count the peaks of each side with any peak of the other side in
    the window. `score` is NaN when both A and V are empty.
    """

    score: float
    pairs: tuple[tuple[int, int], ...]
    audio_hits: int
    video_hits: int


def _greedy_pairs(audio: Sequence[float], video: Sequence[float], w: float) -> list[tuple[int, int]]:
    used = [False] * len(video)
    pairs = []
    for ai, a in enumerate(audio):
        for vj, v in enumerate(video):
            if not used[vj] and v - w < a < v + w:
                used[vj] = True
                pairs.append((ai, vj))
                break
    return pairs


def _first_match_pairs(audio: Sequence[float], video: Sequence[float], w: float) -> list[tuple[int, int]]:
    pairs = []
    for ai, a in enumerate(audio):
        for vj, v in enumerate(video):
            if v - w < a < v + w:
                pairs.append((ai, vj))
                break
    return pairs


def _audio_hits(audio: Sequence[float], video: Sequence[float], w: float) -> int:
    return sum(any(v - w < a < v + w for v in video) for a in audio)


def _video_hits(audio: Sequence[float], video: Sequence[float], w: float) -> int:
    # SVG_baseline writes this direction centred on the audio peak; kept for exact edges.
    return sum(any(a - w < v < a + w for a in audio) for v in video)


def match_peaks(audio: Sequence[float], video: Sequence[float], fps: float, preset: AVAlignPreset) -> PeakMatch:
    """Score one clip from its audio and video peak times (seconds) under `preset` (the raw
    score: chance correction, where a preset asks for it, is `lags.chance_corrected`)."""
    w = match_window(preset, fps)
    n_a, n_v = len(audio), len(video)
    if preset.matching == "first-match":
        pairs = _first_match_pairs(audio, video, w)
    else:
        pairs = _greedy_pairs(audio, video, w)
    if preset.matching == "both-directions":
        hits_a, hits_v = _audio_hits(audio, video, w), _video_hits(audio, video, w)
    else:
        hits_a, hits_v = len({ai for ai, _ in pairs}), len({vj for _, vj in pairs})

    if n_a == 0 and n_v == 0:
        score = math.nan
    elif preset.score == "iou":
        matched = len(pairs)
        score = matched / (n_a + n_v - matched)
    elif preset.score == "eq9":
        score = (hits_a + hits_v) / (2 * (n_a + n_v - len(pairs)))
    else:  # pr-iou
        p1 = hits_a / n_a if n_a > 0 else 0
        p2 = hits_v / n_v if n_v > 0 else 0
        score = p1 * p2 / (p1 + p2 - p1 * p2) if p1 > 0 or p2 > 0 else 0.0
    return PeakMatch(score=float(score), pairs=tuple(pairs), audio_hits=hits_a, video_hits=hits_v)
