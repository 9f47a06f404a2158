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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .errors import AvbenchError, InputError
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


class LogitsState:
    """Stored logits of a set, `(N, C)` float32: update appends, merge concatenates in order."""

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self._chunks: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks)

    def update(self, logits: Any, source: str | Path | None = None) -> None:
        """Append `(B, C)` logits (numpy or torch)."""
        if hasattr(logits, "detach"):
            logits = logits.detach().cpu().numpy()
        logits = np.asarray(logits, dtype=np.float32)
        if logits.ndim != 2 or logits.shape[1] != self.num_classes:
            problem = f"expected (B, {self.num_classes}) logits, got shape {logits.shape}"
            if logits.ndim == 2 and logits.shape[1] == _TORCHVISION_CLASSES:
                problem += f"; {_NOT_COMPARABLE}"
            raise InputError(source, problem)
        if not np.isfinite(logits).all():
            raise InputError(source, "logits contain NaN or inf")
        self._chunks.append(logits.copy())

    def merge(self, other: "LogitsState") -> "LogitsState":
        """Append `other`'s logits after this state's (in place); returns self."""
        if other.num_classes != self.num_classes:
            raise AvbenchError(f"cannot merge logits of {other.num_classes} classes into {self.num_classes}")
        self._chunks.extend(c.copy() for c in other._chunks)
        return self

    @property
    def logits(self) -> np.ndarray:
        if not self._chunks:
            return np.zeros((0, self.num_classes), dtype=np.float32)
        return np.concatenate(self._chunks, axis=0)


@dataclass(frozen=True)
class ISResult:
    """One Inception Score, named by its preset and version."""

    metric: str
    preset: str
    version: str
    mean: float
    std: float
    n_samples: int
    split_sizes: tuple[int, ...]
    n_unused: int
    split_scores: tuple[float, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    weights_sha256: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        line = (f"{self.metric.upper()} {self.mean:.6g} ± {self.std:.3g}  [preset {self.preset} v{self.version}; "
                f"n = {self.n_samples}, {len(self.split_sizes)} split(s)]")
        return "\n".join([line, *(f"  note: {n}" for n in self.notes)])


def result_from_state(
    metric: str, preset: str, version: str, state: LogitsState, scoring: ISScoring, min_split: int | None = None,
    weights_sha256: dict[str, str] | None = None,
) -> ISResult:
    """Finalise a logits state into an `ISResult`; notes a split smaller than `min_split`."""
    if len(state) == 0:
        raise AvbenchError(f"{metric} [{preset}]: no samples were scored")
    value = inception_score(softmax64(state.logits), scoring)
    notes = []
    if min_split is not None and min(value.split_sizes) < min_split:
        notes.append(
            f"splits of {min(value.split_sizes)} samples are below the protocol's {min_split}: "
            "IS grows with split size, so this number is not comparable with published ones"
        )
    if value.n_unused:
        notes.append(f"{value.n_unused} samples beyond the last full split were left out")
    return ISResult(
        metric=metric,
        preset=preset,
        version=version,
        mean=value.mean,
        std=value.std,
        n_samples=value.n_samples,
        split_sizes=value.split_sizes,
        n_unused=value.n_unused,
        split_scores=value.split_scores,
        notes=tuple(notes),
        weights_sha256=dict(weights_sha256 or {}),
    )


def save_state(path: str | Path, state: LogitsState, metric: str, preset: str, version: str) -> None:
    """Write a logits state as `.npz` with the metric, preset and version inside."""
    from .fileio import atomic_write

    with atomic_write(path) as fh:
        np.savez(
            fh,
            logits=state.logits,
            metric=np.array(metric),
            preset=np.array(preset),
            version=np.array(version),
        )


def load_state(path: str | Path, metric: str, preset: str, version: str) -> LogitsState:
    """Read a state written by `save_state`; refuses one of another metric, preset or version."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            found = (str(npz["metric"]), str(npz["preset"]), str(npz["version"]))
            logits = npz["logits"]
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(path, f"not an Inception Score state file ({exc})") from None
    if found != (metric, preset, version):
        raise InputError(path, f"state is {found[0]} [{found[1]} {found[2]}], expected {metric} [{preset} {version}]")
    state = LogitsState(logits.shape[1])
    if len(logits):
        state.update(logits, source=path)
    return state


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


def get_frame_preset(name: str) -> FrameISPreset:
    try:
        return FRAME_PRESETS[name]
    except KeyError:
        raise AvbenchError(f"unknown Inception Score preset {name!r}; known: {', '.join(FRAME_PRESETS)}") from None


class InceptionScore:
    """Mergeable frame-level IS: `update` frames (each one sample), `merge` shards, `compute`.

    The state is the 1008 bias-free logits of every frame in order; the Inception network loads
    on `load()` or the first `update`.
    """

    metric = "is"

    def __init__(self, preset: str = "is/openai", weights_path: str | Path | None = None,
                 device: str = "cpu", batch_size: int = 32, extractor: Any = None):
        """`extractor` (a `metrics.inception_features.InceptionFeatures` of the same pipeline) is reused when given."""
        self.preset = get_frame_preset(preset)
        self.state = LogitsState(TF_INCEPTION_CLASSES)
        self._weights_path = weights_path
        self._device = device
        self._batch_size = batch_size
        self.extractor = extractor

    def load(self) -> None:
        """Load the Inception network now; raises WeightsError when its weights are absent."""
        from .inception_features import InceptionFeatures

        self.extractor = InceptionFeatures.shared(self.extractor, self.preset, self._weights_path,
                                                  self._device, self._batch_size)

    def update(self, frames: np.ndarray, source: str | None = None) -> None:
        """Add uint8 RGB images `(N, H, W, 3)`, each one sample."""
        if self.extractor is None:
            self.load()
        self.state.update(self.extractor.frame_features(frames, source), source)

    def update_video(self, frames: np.ndarray, source: str | None = None) -> None:
        """Add every `frame_stride`-th frame of one video's `(T, H, W, 3)` uint8 frames."""
        self.update(np.asarray(frames)[:: self.preset.frame_stride], source)

    def update_logits(self, logits: Any, source: str | None = None) -> None:
        self.state.update(logits, source)

    def merge(self, other: "InceptionScore") -> "InceptionScore":
        if other.preset != self.preset:
            raise AvbenchError(f"cannot merge {other.preset.name} state into {self.preset.name}")
        self.state.merge(other.state)
        return self

    def compute(self) -> ISResult:
        sha = {self.preset.weights: self.extractor.weights_sha256} if self.extractor is not None else {}
        return result_from_state(self.metric, self.preset.name, self.preset.version, self.state, self.preset.scoring,
                                 weights_sha256=sha)
