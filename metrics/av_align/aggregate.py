"""Set-level AV-Align: a mergeable accumulator over clips (torchmetrics-style)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..bootstrap import bootstrap_mean_ci
from .clip import ClipResult


@dataclass(frozen=True)
class AVAlignSummary:
    """Unweighted mean over clips with a defined score, with counts and a bootstrap 95% CI."""

    variant: str
    mean: float
    n: int  # clips with a defined score (in the mean)
    n_undefined: int  # clips with no peak on either side (NaN, excluded)
    n_failed: int  # clips that could not be scored
    ci95: tuple[float, float] | None
    bootstrap: dict = field(default_factory=dict)


class AVAlign:
    """Accumulates per-clip scores keyed by clip id; `merge` of shards equals one pass.

    The bootstrap resamples scores sorted by key, so the CI does not depend on the order in
    which clips or shards arrived.
    """

    def __init__(self, variant: str, n_resamples: int = 10_000, seed: int = 0):
        self.variant = variant
        self.n_resamples = n_resamples
        self.seed = seed
        self.scores: dict[str, float] = {}
        self.failures: dict[str, str] = {}

    def update(self, result: ClipResult, key: str | None = None) -> None:
        self.scores[key or result.video] = result.score

    def fail(self, key: str, error: str) -> None:
        self.failures[key] = error

    def merge(self, other: "AVAlign") -> "AVAlign":
        if other.variant != self.variant:
            raise ValueError(f"cannot merge AV-Align {other.variant} into {self.variant}")
        overlap = (self.scores.keys() | self.failures.keys()) & (other.scores.keys() | other.failures.keys())
        if overlap:
            raise ValueError(f"shards overlap on {len(overlap)} clip(s), e.g. {sorted(overlap)[0]}")
        self.scores.update(other.scores)
        self.failures.update(other.failures)
        return self

    def compute(self) -> AVAlignSummary:
        ordered = [self.scores[k] for k in sorted(self.scores)]
        defined = [s for s in ordered if not math.isnan(s)]
        return AVAlignSummary(
            variant=self.variant,
            mean=float(np.mean(defined)) if defined else math.nan,
            n=len(defined),
            n_undefined=len(ordered) - len(defined),
            n_failed=len(self.failures),
            ci95=bootstrap_mean_ci(defined, n_resamples=self.n_resamples, seed=self.seed),
            bootstrap={"method": "percentile", "level": 0.95, "n_resamples": self.n_resamples, "seed": self.seed},
        )
