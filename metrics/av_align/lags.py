"""AV-Align as a function of an audio offset: chance correction and offset estimation.

`lagged_scores` scores the same audio peaks shifted by many offsets against the same video
peaks, under any preset's matching rule and score formula, vectorised over the offsets (the
study scores thousands of clip-offset pairs). An offset d means "the audio is d seconds late":
the score at d matches the audio peaks moved to a − d against the video peaks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .presets import AVAlignPreset, ChanceParams
from .scoring import match_window


def lagged_scores(audio: Sequence[float], video: Sequence[float], fps: float, preset: AVAlignPreset,
                  offsets: Sequence[float], circle: tuple[float, float] | None = None) -> np.ndarray:
    """`(len(offsets),) float64`: the raw score of `preset` for audio peaks a − d against video
    peaks, for each offset d (seconds). With `circle` = (start, end) seconds the moved audio
    times wrap around that span (a circular shift that keeps every peak); else they move
    unwrapped. NaN where both peak sets are empty. At d = 0 without `circle` this equals
    `match_peaks`."""
    d = np.asarray(offsets, dtype=np.float64)
    vid = np.sort(np.asarray(video, dtype=np.float64))
    n_a, n_v = len(audio), vid.size
    if n_a == 0 and n_v == 0:
        return np.full(d.size, math.nan)
    moved = np.asarray(audio, dtype=np.float64)[None, :] - d[:, None]
    if circle is not None:
        start, end = circle
        moved = start + np.mod(moved - start, end - start)
    moved = np.sort(moved, axis=1)  # the presets match audio peaks in time order
    w = match_window(preset, fps)
    lo, hi = vid - w, vid + w
    # in_window[l, j, k]: audio peak j (at offset l) lies in the open window of video peak k,
    # written as the official code writes it: v - w < a < v + w
    in_window = (lo[None, None, :] < moved[:, :, None]) & (moved[:, :, None] < hi[None, None, :])
    hits_a = in_window.any(axis=2).sum(axis=1)
    if preset.matching == "first-match":
        matched = hits_a
    else:
        matched = _greedy_counts(in_window)
    if preset.matching == "both-directions":
        # SVG_baseline writes this direction centred on the audio peak (kept for exact edges)
        near_v = (moved[:, :, None] - w < vid[None, None, :]) & (vid[None, None, :] < moved[:, :, None] + w)
        hits_v = near_v.any(axis=1).sum(axis=1)
    else:
        hits_v = matched
    return _score(preset, n_a, n_v, matched, hits_a, hits_v)


def _greedy_counts(in_window: np.ndarray) -> np.ndarray:
    """Per offset, the pairs of greedy one-to-one matching: each audio peak in time order
    takes the first unused video peak whose window holds it."""
    n_offsets, n_a, n_v = in_window.shape
    used = np.zeros((n_offsets, n_v), dtype=bool)
    if n_v == 0:
        return used.sum(axis=1)
    rows = np.arange(n_offsets)
    for j in range(n_a):
        free = in_window[:, j, :] & ~used
        has = free.any(axis=1)
        used[rows[has], free[has].argmax(axis=1)] = True
    return used.sum(axis=1)


def _score(preset: AVAlignPreset, n_a: int, n_v: int, matched: np.ndarray, hits_a: np.ndarray,
           hits_v: np.ndarray) -> np.ndarray:
    matched, hits_a, hits_v = (x.astype(np.float64) for x in (matched, hits_a, hits_v))
    if preset.score == "iou":
        return matched / (n_a + n_v - matched)
    if preset.score == "eq9":
        return (hits_a + hits_v) / (2 * (n_a + n_v - matched))
    p1 = hits_a / n_a if n_a > 0 else np.zeros_like(hits_a)
    p2 = hits_v / n_v if n_v > 0 else np.zeros_like(hits_v)
    denom = p1 + p2 - p1 * p2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((p1 > 0) | (p2 > 0), p1 * p2 / np.where(denom > 0, denom, 1.0), 0.0)


def null_offsets(duration: float, fps: float, preset: AVAlignPreset, chance: ChanceParams) -> np.ndarray:
    """Circular offsets (seconds) of the chance distribution on a circle of `duration` seconds:
    every `chance.lag_step_frames` frames in [g, duration − g], g = `exclude_windows` windows."""
    step = chance.lag_step_frames / fps
    guard = chance.exclude_windows * match_window(preset, fps)
    offsets = np.arange(guard, duration - guard + 1e-9, step)
    return offsets


def chance_statistic(score: float, null: np.ndarray, chance: ChanceParams) -> float:
    """`score` relative to the chance scores `null` (see `ChanceParams.statistic`); NaN when
    the score is undefined or there is no null."""
    null = null[np.isfinite(null)]
    if math.isnan(score) or null.size == 0:
        return math.nan
    mean = float(null.mean())
    if chance.statistic == "z":
        return (score - mean) / max(float(null.std()), chance.min_std)
    if chance.statistic == "percentile":
        return float(np.mean((null < score) + 0.5 * (null == score)))
    if chance.statistic == "excess":
        return score - mean
    return (score - mean) / (1.0 - mean) if mean < 1.0 else 0.0


def chance_corrected(audio: Sequence[float], video: Sequence[float], fps: float, circle: tuple[float, float],
                     preset: AVAlignPreset, raw: float) -> float:
    """The chance-corrected score of a clip whose raw score is `raw` (preset.chance must be
    set): `raw` against the same peaks circularly shifted by `null_offsets` around `circle`
    (start, end seconds: the span the peaks were detected in)."""
    chance = preset.chance
    if chance is None:
        raise ValueError(f"preset {preset.name} has no chance correction")
    offsets = null_offsets(circle[1] - circle[0], fps, preset, chance)
    return chance_statistic(raw, lagged_scores(audio, video, fps, preset, offsets, circle=circle), chance)


@dataclass(frozen=True)
class OffsetEstimate:
    """The audio offset (seconds; positive = audio late) at which the raw score peaks.

    `offset` is the centre of the widest run of consecutive swept offsets that share the best
    score (the score is flat across a match window); `confidence` is that score's z-score
    among all swept offsets (0 when the sweep is flat); `offsets`/`scores` are the sweep.
    """

    offset: float
    offset_frames: float
    score: float
    confidence: float
    offsets: np.ndarray
    scores: np.ndarray


def estimate_offset(audio: Sequence[float], video: Sequence[float], fps: float, preset: AVAlignPreset,
                    max_offset: float = 1.0, step: float | None = None) -> OffsetEstimate:
    """Sweep offsets in [−max_offset, max_offset] seconds (every `step` s, default a quarter
    frame), unwrapped: audio peaks moved past the ends stay counted as unmatched."""
    step = step or 0.25 / fps
    n = int(math.floor(max_offset / step + 1e-9))
    offsets = np.arange(-n, n + 1) * step
    scores = lagged_scores(audio, video, fps, preset, offsets)
    if not np.any(np.isfinite(scores)):
        return OffsetEstimate(math.nan, math.nan, math.nan, math.nan, offsets, scores)
    best = float(np.nanmax(scores))
    at_best = np.flatnonzero(scores == best)
    runs = np.split(at_best, np.flatnonzero(np.diff(at_best) > 1) + 1)
    centres = [(offsets[r[0]] + offsets[r[-1]]) / 2 for r in runs]
    pick = max(range(len(runs)), key=lambda i: (len(runs[i]), -abs(centres[i])))
    spread = float(np.nanstd(scores))
    confidence = (best - float(np.nanmean(scores))) / spread if spread > 0 else 0.0
    offset = float(centres[pick])
    return OffsetEstimate(offset, offset * fps, best, confidence, offsets, scores)
