"""Kernel Inception Distance: unbiased MMD² with a polynomial kernel, averaged over subsets.

The estimator is torch-fidelity's (from MMD-GAN, Bińkowski et al. 2018): for each of `subsets`
rounds, draw `subset_size` rows of each set without replacement from one
`numpy.random.RandomState(seed)` (first set, then second), compute
`k(x, y) = (γ·x·y + c)^degree` (γ = 1/d by default) and the unbiased MMD²
`(ΣK_XX − tr K_XX + ΣK_YY − tr K_YY)/(m(m−1)) − 2ΣK_XY/m²`; report the mean and the ddof-0
standard deviation over rounds. Kernels are computed in float64 (torch-fidelity uses the
features' float32).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .errors import InputError
from .feature_store import FeatureStore
from .inception_features import InceptionFeatures
from .presets import KIDPreset, get_preset
from .set_metric import SetMetric, SetMetricResult, score_sets


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int, gamma: float | None, coef0: float) -> np.ndarray:
    """`(γ·x·yᵀ + coef0)^degree` for rows `x (m, d)`, `y (n, d)`; γ defaults to 1/d."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (x @ y.T * gamma + coef0) ** degree


def unbiased_mmd2(k_xx: np.ndarray, k_xy: np.ndarray, k_yy: np.ndarray) -> float:
    """Unbiased MMD² of two equal-size samples from their kernel matrices `(m, m)`."""
    m = k_xx.shape[0]
    off_xx = k_xx.sum() - np.trace(k_xx)
    off_yy = k_yy.sum() - np.trace(k_yy)
    return float((off_xx + off_yy) / (m * (m - 1)) - 2.0 * k_xy.sum() / (m * m))


def kernel_distance(
    features1: np.ndarray,
    features2: np.ndarray,
    subsets: int,
    subset_size: int,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    seed: int = 2020,
) -> tuple[float, float]:
    """KID `(mean, std)` between feature sets `(N1, d)` and `(N2, d)` (see module docstring)."""
    n1, n2 = len(features1), len(features2)
    if min(n1, n2) < subset_size or subset_size < 2:
        raise InputError(
            None,
            f"KID needs at least subset_size={subset_size} (>= 2) feature vectors per set, got {n1} and {n2}",
        )
    x_all = np.asarray(features1, dtype=np.float64)
    y_all = np.asarray(features2, dtype=np.float64)
    rng = np.random.RandomState(seed)
    values = np.zeros(subsets)
    for i in range(subsets):
        x = x_all[rng.choice(n1, subset_size, replace=False)]
        y = y_all[rng.choice(n2, subset_size, replace=False)]
        values[i] = unbiased_mmd2(
            polynomial_kernel(x, x, degree, gamma, coef0),
            polynomial_kernel(x, y, degree, gamma, coef0),
            polynomial_kernel(y, y, degree, gamma, coef0),
        )
    return float(values.mean()), float(values.std())


class KID(SetMetric):
    """KID between generated and reference frames (Inception pool3, stored features).

    `update(frames (T, H, W, 3) uint8, reference=False)`; `compute()` → mean ± std over subsets.
    """

    metric = "kid"

    def __init__(
        self,
        preset: str | KIDPreset = "kid/ttur",
        weights_path: str | None = None,
        device: str = "cpu",
        batch_size: int = 32,
        extractor: InceptionFeatures | None = None,
    ):
        self.preset: KIDPreset = get_preset(preset, "kid")
        self.extractor = InceptionFeatures.shared(extractor, self.preset, weights_path, device, batch_size)
        super().__init__()

    def _new_state(self) -> FeatureStore:
        return FeatureStore(
            dim=self.extractor.dim,
            preset=self.preset.name,
            version=self.preset.version,
            weights_sha256=self.extractor.weights_sha256,
        )

    def update(self, frames: np.ndarray, reference: bool = False, source: str | None = None) -> None:
        """Add the preset's frames of one video (or a stack of images) to a set."""
        self.update_features(self.extractor.video_features(frames, source), reference)

    def _value(self, generated: FeatureStore, reference: FeatureStore) -> SetMetricResult:
        p = self.preset
        mean, std = kernel_distance(
            generated.features(), reference.features(),
            p.subsets, p.subset_size, p.degree, p.gamma, p.coef0, p.seed,
        )
        return self._result(mean, std=std)


def kid(generated: Iterable[np.ndarray], reference: Iterable[np.ndarray], **kwargs) -> SetMetricResult:
    """KID between two iterables of `(T, H, W, 3)` uint8 frame stacks; kwargs go to `KID`."""
    return score_sets(KID(**kwargs), generated, reference)
