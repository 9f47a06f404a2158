"""Inception Score from stored logits: the split/KL routine, the mergeable logits state, and the
frame-level presets `is/openai` (TF Inception 2015-12-05, 1008 logits without the fc bias) and
`is/torch-fidelity` (the same after torch-fidelity's seeded shuffle).

IS = exp(E_x KL(p(y|x) || p(y))) per split; the result is the mean and the ddof-0 standard
deviation over splits. Splits are consecutive slices at `i*N//splits` (OpenAI, torch-fidelity,
StyleGAN-V), after an optional seeded permutation `np.random.RandomState(seed).permutation(N)`.
Softmax and the KL run in float64. Logits are kept (not probabilities) so shards merge by
concatenation in sample order and every preset can be recomputed from one stored state.

Scores of a 1000-class torchvision Inception are not comparable with the TF 1008-class IS
(CIFAR-10 real data: about 9.9-10.6 vs 11.24); `is/openai` refuses logits of any other width.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from .errors import AvbenchError, InputError
from .inception_features import InceptionFrames
from .keyed_state import KeyedState
from .metric import Features, MetricResult, NetworkMetric
from .presets import TTUR_FRAMES, FrameTransform

EpsMode = Literal["none", "add_to_probs", "inside_logs"]

TF_INCEPTION_CLASSES = 1008
_TORCHVISION_CLASSES = 1000
_NOT_COMPARABLE = (
    "1000-class torchvision Inception scores are not comparable with the TF 1008-class Inception "
    "Score (is/openai)"
)


@dataclass(frozen=True)
class ISScoring:
    """How class probabilities become an Inception Score.

    Exactly one of `splits` (a fixed number of splits at `i*N//splits`) and `split_size`
    (consecutive sets of exactly this many samples; a remainder is left out and counted) is set.
    `eps_mode`: "none" (OpenAI; 0·log 0 read as 0), "add_to_probs" (TGANv2: p ← p + eps before
    the KL), "inside_logs" (TGAN v1: p·(log(p + eps) − log(mean p + eps))).
    """

    splits: int | None = 10
    split_size: int | None = None
    shuffle_seed: int | None = None
    eps: float = 0.0
    eps_mode: EpsMode = "none"

    def __post_init__(self) -> None:
        if (self.splits is None) == (self.split_size is None):
            raise ValueError("ISScoring: set exactly one of splits and split_size")
        if (self.eps_mode == "none") != (self.eps == 0.0):
            raise ValueError("ISScoring: eps must be 0 exactly when eps_mode is 'none'")


@dataclass(frozen=True)
class ISValue:
    """An Inception Score: mean and ddof-0 std over splits, with the split sizes used."""

    mean: float
    std: float
    split_scores: tuple[float, ...]
    split_sizes: tuple[int, ...]
    n_samples: int
    n_unused: int


def split_bounds(n: int, splits: int) -> list[tuple[int, int]]:
    """Half-open sample ranges of `splits` consecutive splits of `n` samples: `i*n//splits`."""
    if splits < 1:
        raise ValueError("splits must be >= 1")
    return [(i * n // splits, (i + 1) * n // splits) for i in range(splits)]


def softmax64(logits: np.ndarray) -> np.ndarray:
    """Row softmax of `(N, C)` logits in float64."""
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x


def _split_score(p: np.ndarray, eps: float, eps_mode: EpsMode) -> float:
    from scipy.special import xlogy

    if eps_mode == "add_to_probs":
        p = p + eps
    q = p.mean(axis=0, keepdims=True)
    if eps_mode == "inside_logs":
        kl = p * (np.log(p + eps) - np.log(q + eps))
    else:
        kl = xlogy(p, p) - xlogy(p, q)
    return float(np.exp(kl.sum(axis=1).mean()))


def inception_score(probs: np.ndarray, scoring: ISScoring) -> ISValue:
    """Inception Score of `(N, C)` class probabilities (float64) under `scoring`."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise InputError(None, f"Inception Score needs (N, C) probabilities with N >= 1, got shape {probs.shape}")
    n = probs.shape[0]
    if scoring.shuffle_seed is not None:
        probs = probs[np.random.RandomState(scoring.shuffle_seed).permutation(n)]
    if scoring.split_size is not None:
        n_sets = max(1, n // scoring.split_size)
        size = min(n, scoring.split_size)
        bounds = [(i * size, (i + 1) * size) for i in range(n_sets)]
    else:
        bounds = split_bounds(n, scoring.splits)
    if any(stop <= start for start, stop in bounds):
        raise InputError(None, f"{n} samples are too few for {len(bounds)} splits")
    scores = [_split_score(probs[a:b], scoring.eps, scoring.eps_mode) for a, b in bounds]
    return ISValue(
        mean=float(np.mean(scores)),
        std=float(np.std(scores)),
        split_scores=tuple(scores),
        split_sizes=tuple(b - a for a, b in bounds),
        n_samples=n,
        n_unused=n - bounds[-1][1],
    )


def inception_score_from_logits(logits: np.ndarray, scoring: ISScoring) -> ISValue:
    """Inception Score of `(N, C)` logits: float64 softmax, then `inception_score`.

    Warns when C = 1000 (a torchvision Inception): such numbers are not comparable with is/openai.
    """
    logits = np.asarray(logits)
    if logits.ndim == 2 and logits.shape[1] == _TORCHVISION_CLASSES:
        warnings.warn(_NOT_COMPARABLE, stacklevel=2)
    return inception_score(softmax64(logits), scoring)


@dataclass(frozen=True)
class FrameISPreset:
    """Frame-level IS: the Inception pipeline (weights, layer, frame transform, stride) + scoring."""

    name: str
    version: str
    weights: str
    layer: str
    frames: FrameTransform
    frame_stride: int  # every frame_stride-th frame of a video is one sample
    scoring: ISScoring
    notes: str = ""
    metric: str = field(default="is", init=False)


FRAME_PRESETS: dict[str, FrameISPreset] = {
    p.name: p
    for p in (
        FrameISPreset("is/openai", "1", "inception-torch-fidelity", "logits_unbiased", TTUR_FRAMES, 1,
                      ISScoring(splits=10),
                      "openai/improved-gan: TF Inception 2015-12-05 logits without bias, 1008 classes, "
                      "10 splits at i*N//10, no shuffle, ddof-0 std; uint8, TF1 bilinear 299, (x-128)/128"),
        FrameISPreset("is/torch-fidelity", "1", "inception-torch-fidelity", "logits_unbiased", TTUR_FRAMES, 1,
                      ISScoring(splits=10, shuffle_seed=2020),
                      "torch-fidelity isc: as is/openai after np.random.RandomState(2020).permutation"),
    )
}


class LogitsMetric(NetworkMetric):
    """An Inception Score: per-sample logits `{"features": (rows, classes)}` kept by sample id; the
    preset's `scoring` turns the logits of all samples, in sample-id order, into the score. Every
    row is one IS sample (a frame, or a video's clip)."""

    kind = "set"
    higher_is_better = True
    num_classes: ClassVar[int]

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset.name, self.preset.version, self.weights())

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def state_payload(self, features: Features) -> Features:
        logits = np.asarray(features["features"])
        if logits.ndim != 2 or logits.shape[1] != self.num_classes:
            problem = f"expected (B, {self.num_classes}) logits, got shape {logits.shape}"
            if logits.ndim == 2 and logits.shape[1] == _TORCHVISION_CLASSES:
                problem += f"; {_NOT_COMPARABLE}"
            raise InputError(None, problem)
        if not np.isfinite(logits).all():
            raise InputError(None, "logits contain NaN or inf")
        return {"features": logits.astype(np.float32, copy=False)}

    def update_logits(self, logits: Any, sample_id: str | None = None) -> None:
        """Add `(B, classes)` logits (numpy or torch) as one sample."""
        if hasattr(logits, "detach"):
            logits = logits.detach().cpu().numpy()
        state = self.generated
        self.update_features(sample_id or state.next_id(), {"features": logits})

    def logits(self) -> np.ndarray:
        """The logits of every sample, in sample-id order, `(N, classes)` float32."""
        rows = self.generated.stacked("features")
        return rows.reshape(-1, self.num_classes)

    def notes(self, value: ISValue) -> list[str]:
        """What a reader of this score must know (a split below the preset's size, ...)."""
        return [f"{value.n_unused} samples beyond the last full split were left out"] if value.n_unused else []

    def compute(self) -> MetricResult:
        logits = self.logits()
        if len(logits) == 0:
            raise AvbenchError(f"{self.name} [{self.preset.name}]: no samples were scored")
        value = inception_score(softmax64(logits), self.preset.scoring)
        return self.result(value.mean, len(self.generated), notes=tuple(self.notes(value)),
                           details={"std": value.std, "n_scored": value.n_samples,
                                    "split_sizes": list(value.split_sizes), "n_unused": value.n_unused,
                                    "split_scores": list(value.split_scores)})


class InceptionScore(InceptionFrames, LogitsMetric):
    """Frame-level Inception Score (TF Inception 2015-12-05, 1008 bias-free logits).

    Every `frame_stride`-th frame of every video is one IS sample.

    Files: each sample's video. Arrays: `update(frames (T, H, W, 3) uint8 RGB, sample_id=None)`
    adds one video's frames (or a stack of images). `compute()` → `MetricResult` (mean; the std
    over splits in `details["std"]`).
    """

    name, title = "is", "IS"
    default_preset = "is/openai"
    num_classes = TF_INCEPTION_CLASSES

    @classmethod
    def presets(cls) -> dict[str, FrameISPreset]:
        return dict(FRAME_PRESETS)

    def update(self, frames: np.ndarray, source: str | None = None, sample_id: str | None = None) -> None:
        self.update_logits(self.video_rows(frames, source), sample_id)
