"""The contract shared by FVD, FID, KID and FAD (torchmetrics-like).

A set metric holds one mergeable state per set — `generated` and `reference` — fed by
`update(media, reference=...)` or `update_features(features, reference=...)`; `merge(other)`
combines shards; `compute()` returns a `SetMetricResult` that names the preset and its version.
A reference state can also come from a file (`set_reference`), e.g. `avbench stats build`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Protocol

import numpy as np

from .errors import InputError
from .feature_store import STORE_FORMAT, FeatureStore
from .frechet import STATS_FORMAT, GaussianStats, frechet_distance_of_stats


@dataclass(frozen=True)
class SetMetricResult:
    """One set metric's value with everything needed to reproduce it."""

    metric: str
    value: float
    preset: str
    version: str
    n_generated: int
    n_reference: int
    weights_sha256: str
    std: float | None = None  # KID: std over subsets

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        spread = f" ± {self.std:.6g}" if self.std is not None else ""
        return (
            f"{self.metric.upper()} {self.value:.6g}{spread}  [preset {self.preset} v{self.version}; "
            f"n = {self.n_generated} generated, {self.n_reference} reference]"
        )


class FeatureExtractor(Protocol):
    dim: int
    weights_sha256: str


class SetMetric(ABC):
    """Base class: subclasses set `metric`, `preset`, `extractor`, then call `super().__init__()`,
    and define `_new_state()` and `_value(generated, reference)`."""

    metric: str
    preset: Any
    extractor: FeatureExtractor

    def __init__(self) -> None:
        self.generated = self._new_state()
        self.reference = self._new_state()

    @abstractmethod
    def _new_state(self):
        """An empty mergeable state of this metric (Gaussian statistics or stored features)."""

    @abstractmethod
    def _value(self, generated, reference) -> SetMetricResult:
        """The metric of the generated state against the reference state."""

    def update_features(self, features, reference: bool = False) -> None:
        """Add extracted features `(N, dim)` to the generated or the reference set."""
        (self.reference if reference else self.generated).update(features)

    def merge(self, other: "SetMetric") -> None:
        """Add another shard's generated and reference states to these (in place). A reference
        loaded from a file belongs to no shard: set it once, after merging."""
        if type(other) is not type(self) or other.preset != self.preset:
            raise InputError(None, f"cannot merge {type(other).__name__}({other.preset.name}) into "
                                   f"{type(self).__name__}({self.preset.name})")
        self.generated.check_compatible(other.generated, "merge")
        self.reference.check_compatible(other.reference, "merge")
        self.generated.merge(other.generated)
        self.reference.merge(other.reference)

    def set_reference(self, state) -> None:
        """Use precomputed reference state (e.g. loaded from a stats file) instead of reference media."""
        self.reference.check_compatible(state, "use")
        self.reference = state

    def compute(self) -> SetMetricResult:
        return self._value(self.generated, self.reference)

    def _result(self, value: float, std: float | None = None) -> SetMetricResult:
        return SetMetricResult(
            metric=self.metric,
            value=value,
            preset=self.preset.name,
            version=self.preset.version,
            n_generated=self.generated.n,
            n_reference=self.reference.n,
            weights_sha256=self.reference.weights_sha256 or self.generated.weights_sha256,
            std=std,
        )


def score_sets(metric: SetMetric, generated: Iterable, reference: Iterable) -> SetMetricResult:
    """Feed every item of `generated` and `reference` to `metric.update` and compute it."""
    for item in generated:
        metric.update(item)
    for item in reference:
        metric.update(item, reference=True)
    return metric.compute()


class FrechetMetric(SetMetric):
    """A set metric whose states are Gaussian statistics and whose value is the Fréchet distance."""

    def _new_state(self) -> GaussianStats:
        return GaussianStats(
            dim=self.extractor.dim,
            preset=self.preset.name,
            version=self.preset.version,
            weights_sha256=self.extractor.weights_sha256,
        )

    def _value(self, generated: GaussianStats, reference: GaussianStats) -> SetMetricResult:
        spec = self.preset.stats
        return self._result(frechet_distance_of_stats(generated, reference, spec.covariance, spec.eps))


def load_state(path: str | Path) -> GaussianStats | FeatureStore:
    """A saved set state (Gaussian statistics or stored features), whichever the file holds."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            fmt = str(npz["format"]) if "format" in npz.files else "none"
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(path, f"cannot read a saved state: {exc}") from None
    if fmt == STATS_FORMAT:
        return GaussianStats.load(path)
    if fmt == STORE_FORMAT:
        return FeatureStore.load(path)
    raise InputError(path, f"not an avbench statistics file (format {fmt})")

