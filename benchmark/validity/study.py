"""Score every clip under every condition with every preset, and summarise how well each
preset separates synced from unsynced pairs."""
from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from avbench.metrics.av_align import AVAlignPreset, ClipSignals, envelope_rate, onset_envelope, score_signals
from avbench.metrics.av_align.presets import OnsetParams
from avbench.metrics.discrimination import best_threshold_accuracy, clustered_auroc, paired_accuracy

from avbench.metrics.av_align.runner import pool_context
from .clips import StudyClip
from .conditions import Condition, conditions, fitted, partners, shift_groups, shifted

FPS_BUCKETS = (("≤12 fps", 12.5), ("13–20 fps", 20.5), ("≥21 fps", math.inf))
SCORE_COLUMNS = ("clip", "split", "fps", "fps_bucket", "condition", "group", "synced", "shift_s", "shift_frames",
                 "preset", "score", "raw_score", "n_audio_peaks", "n_video_peaks")


@dataclass(frozen=True)
class StudySettings:
    """The negatives (frame and second shifts; another clip's audio, seeded) and the bootstrap."""

    shift_frames: tuple[float, ...] = (1, 2, 4)
    shift_seconds: tuple[float, ...] = (0.5,)
    seed: int = 0
    n_resamples: int = 2000

    @property
    def groups(self) -> list[str]:
        return shift_groups(self.shift_frames, self.shift_seconds)


def fps_bucket(fps: float) -> str:
    return next(name for name, upper in FPS_BUCKETS if fps < upper)


def _condition_audio(clip: StudyClip, condition: Condition, partner: StudyClip | None, sample_rate: int) -> np.ndarray:
    if condition.partner is not None:
        return fitted(partner.waveform, clip.waveform.size)
    if condition.shift:
        return shifted(clip.waveform, condition.shift, sample_rate)
    return clip.waveform


def score_clip(clip: StudyClip, partner: StudyClip | None, presets: Sequence[AVAlignPreset],
               settings: StudySettings) -> list[tuple]:
    """The rows of one clip (`SCORE_COLUMNS`): every condition × preset. Each condition's
    onset envelope is computed once per distinct onset setting; the flow trajectory is the clip's."""
    sample_rate = presets[0].onset.sample_rate
    rows = []
    for condition in conditions(clip.fps, settings.shift_frames, settings.shift_seconds,
                                None if partner is None else partner.name):
        audio = _condition_audio(clip, condition, partner, sample_rate)
        envelopes: dict[OnsetParams, np.ndarray] = {}
        for preset in presets:
            if preset.onset not in envelopes:
                envelopes[preset.onset] = onset_envelope(audio, preset.onset)
            signals = ClipSignals(clip.trajectory, envelopes[preset.onset], clip.fps, clip.n_frames, envelope_rate(preset))
            result = score_signals(signals, preset, clip.video)
            rows.append((clip.name, clip.split, clip.fps, fps_bucket(clip.fps), condition.label, condition.group,
                         condition.synced, condition.shift, condition.shift_frames, preset.name, result.score,
                         result.match.score, len(result.audio_peaks), len(result.video_peaks)))
    return rows


def score_clips(clips: Sequence[StudyClip], presets: Sequence[AVAlignPreset], settings: StudySettings,
                workers: int = 1, progress: bool = False) -> pd.DataFrame:
    """One row per clip × condition × preset (`SCORE_COLUMNS`), clips in `workers` processes.
    Only audio is recomputed per condition; all presets must share the onset sample rate."""
    from tqdm import tqdm

    if len({p.onset.sample_rate for p in presets}) != 1:
        raise ValueError("all presets of a study must share the onset sample rate of the loaded waveforms")
    by_name = {c.name: c for c in clips}
    partner_of = partners([c.name for c in clips], settings.seed)
    jobs = [(clip, by_name.get(partner_of.get(clip.name, ""))) for clip in clips]
    bar = tqdm(total=len(jobs), desc="validity", unit="clip", disable=not progress)
    rows_of: dict[str, list[tuple]] = {}
    if workers <= 1 or len(jobs) <= 1:
        for clip, partner in jobs:
            rows_of[clip.name] = score_clip(clip, partner, presets, settings)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
            futures = {pool.submit(score_clip, clip, partner, list(presets), settings): clip.name for clip, partner in jobs}
            for future in as_completed(futures):
                rows_of[futures[future]] = future.result()
                bar.update()
    bar.close()
    rows = [row for clip in clips for row in rows_of[clip.name]]
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


@dataclass(frozen=True)
class Separation:
    """How one preset separates positives from negatives on one facet of the study."""

    preset: str
    facet: str  # "all", "negatives" (one negative group) or "fps" (one fps bucket)
    group: str
    n_clips: int
    n_pos: int
    n_neg: int
    n_undefined: int  # pairs with no peak on either side (excluded)
    auroc: float
    ci95: tuple[float, float] | None
    balanced_accuracy: float
    threshold: float
    paired_accuracy: float

    def record(self) -> dict:
        lo, hi = self.ci95 if self.ci95 else (math.nan, math.nan)
        return {"preset": self.preset, "facet": self.facet, "group": self.group, "n_clips": self.n_clips,
                "n_pos": self.n_pos, "n_neg": self.n_neg, "n_undefined": self.n_undefined, "auroc": self.auroc,
                "ci95_low": lo, "ci95_high": hi, "balanced_accuracy": self.balanced_accuracy,
                "threshold": self.threshold, "paired_accuracy": self.paired_accuracy}


def separation(scores: pd.DataFrame, preset: str, facet: str, group: str, settings: StudySettings) -> Separation:
    """AUROC (clip-bootstrap CI), best-threshold balanced accuracy and paired accuracy of the
    rows of `scores` (one preset; positives and the negatives to pool)."""
    undefined = int(scores["score"].isna().sum())
    defined = scores.dropna(subset=["score"])
    pos, neg, pos_pair, neg_pair = [], [], [], []
    for _, rows in defined.groupby("clip", sort=True):
        p = rows.loc[rows["synced"], "score"].to_numpy()
        q = rows.loc[~rows["synced"], "score"].to_numpy()
        pos.append(p)
        neg.append(q)
        if p.size:
            pos_pair.extend([p[0]] * q.size)
            neg_pair.extend(q)
    auc = clustered_auroc(pos, neg, n_resamples=settings.n_resamples, seed=settings.seed)
    all_pos = np.concatenate(pos) if pos else np.empty(0)
    all_neg = np.concatenate(neg) if neg else np.empty(0)
    acc = best_threshold_accuracy(all_pos, all_neg)
    return Separation(preset, facet, group, len(pos), all_pos.size, all_neg.size, undefined, auc.auroc, auc.ci95,
                      acc.balanced_accuracy, acc.threshold, paired_accuracy(pos_pair, neg_pair))


def summarise(scores: pd.DataFrame, settings: StudySettings) -> pd.DataFrame:
    """Per preset: all negatives; each negative group against all positives; each fps
    bucket (its clips' positives and negatives). One row per facet (`Separation.record`)."""
    out = []
    for preset, rows in scores.groupby("preset", sort=False):
        out.append(separation(rows, preset, "all", "all negatives", settings))
        for group in settings.groups:
            subset = rows[rows["synced"] | (rows["group"] == group)]
            if (subset["group"] == group).any():
                out.append(separation(subset, preset, "negatives", group, settings))
        for bucket, _ in FPS_BUCKETS:
            subset = rows[rows["fps_bucket"] == bucket]
            if len(subset):
                out.append(separation(subset, preset, "fps", bucket, settings))
    return pd.DataFrame([s.record() for s in out])
