"""Seeded percentile bootstrap confidence intervals over samples."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

_CHUNK_ELEMENTS = 1 << 22


def bootstrap_mean_ci(values: Sequence[float], level: float = 0.95, n_resamples: int = 10_000,
                      seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the mean of finite `values`; None when there are none.

    Resamples with replacement `n_resamples` times from `numpy.random.default_rng(seed)`.
    """
    x = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    step = max(1, _CHUNK_ELEMENTS // x.size)  # bounds memory for large sample sets
    for start in range(0, n_resamples, step):
        stop = min(start + step, n_resamples)
        means[start:stop] = x[rng.integers(0, x.size, size=(stop - start, x.size))].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def bootstrap_ci(items: Sequence[Any], statistic: Callable[[list[Any]], float], n_resamples: int = 10_000,
                 seed: int = 0) -> tuple[float, float] | None:
    """Percentile 95% CI of `statistic` over `items` resampled with replacement (index draws from
    `numpy.random.default_rng(seed)`, as `bootstrap_mean_ci`); None for fewer than 2 items."""
    if len(items) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = np.array([statistic([items[i] for i in rng.integers(0, len(items), size=len(items))])
                       for _ in range(n_resamples)])
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)
