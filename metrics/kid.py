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

from pathlib import Path

import numpy as np

from .errors import InputError
from .inception_features import InceptionFrames
from .keyed_state import KeyedState
from .metric import MetricResult, NetworkMetric
from .presets import KIDPreset, presets_of


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


class KID(InceptionFrames, NetworkMetric):
    """Kernel Inception Distance between generated and reference frames (Inception pool3).

    Features are kept per sample and subsets drawn from the rows in sample-id order, so merged
    shards equal one pass.

    Files: each sample's video. Arrays: `update(frames (T, H, W, 3) uint8, reference=False,
    sample_id=None)`. `compute()` → the mean over subsets, with their std in `details["std"]`.
    """

    name, title = "kid", "KID"
    default_preset = "kid/ttur"
    kind = "set"
    needs_reference = True
    higher_is_better = False

    @classmethod
    def presets(cls) -> dict[str, KIDPreset]:
        return presets_of("kid")

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset.name, self.preset.version,
                          {"weights_sha256": self.weights().get(self.preset.weights, "")})

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def update(self, frames: np.ndarray, reference: bool = False, source: str | None = None,
               sample_id: str | None = None) -> None:
        """Add the preset's frames of one video (or a stack of images) to a set."""
        state = self._state(reference)
        state.add(sample_id or state.next_id(), {"features": self.video_rows(frames, source)})

    def compute(self) -> MetricResult:
        p = self.preset
        reference = self.reference
        if len(reference) == 0:
            raise InputError(None, "kid: no reference set (give reference media or reference features)")
        found = (reference.preset, reference.version)
        if found != (p.name, p.version):
            raise InputError(None, f"kid: reference features are {found[0]} v{found[1]}, not {p.name} v{p.version}")
        generated, real = self.generated.stacked("features"), reference.stacked("features")
        mean, std = kernel_distance(generated, real, p.subsets, p.subset_size, p.degree, p.gamma, p.coef0, p.seed)
        return self.result(mean, len(generated), details={"std": std, "unit": "frames", "n_reference": len(real)})
