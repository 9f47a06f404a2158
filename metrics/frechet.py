"""Mergeable Gaussian statistics of feature sets and the Fréchet distance between them.

A feature set is summarised by its sufficient statistics `n`, `Σx` and `Σxxᵀ`, accumulated in
float64, so shards of a set merge by addition and the mean and either covariance estimator
(unbiased `/(n-1)` as TF-GAN/TTUR/np.cov, biased `/n` as StyleGAN-V) derive from the same sums.

The trace term `Tr((Σ1Σ2)^½)` uses the symmetric route of TF-GAN in float64:
`A = Σ1^½` from `eigh(Σ1)`, then `Tr((AΣ2A)^½)` from the eigenvalues of the symmetric matrix
`AΣ2A`. It is the same quantity scipy's `sqrtm(Σ1Σ2)` and torch-fidelity's `eigvals(Σ1Σ2)` give
(the FID/FVD reference implementations), without their complex arithmetic or scipy's version-dependent failures, and it
stays finite when the covariances are rank-deficient (fewer samples than dimensions).
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from .errors import InputError
from .metric import MetricResult, NetworkMetric
from .set_state import SetState, as_feature_rows, load_state_npz, save_state_npz

COVARIANCE_ESTIMATORS = ("unbiased", "biased")
STATS_FORMAT = "avbench-gaussian-stats/1"


@dataclass
class GaussianStats(SetState):
    """Running `n`, `Σx` (d,) and `Σxxᵀ` (d, d) of a feature set, all float64."""

    n: int = 0
    total: np.ndarray | None = None
    total_outer: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.total is None:
            self.total = np.zeros(self.dim, dtype=np.float64)
        if self.total_outer is None:
            self.total_outer = np.zeros((self.dim, self.dim), dtype=np.float64)

    def update(self, features) -> None:
        """Add a batch of features `(N, dim)` (numpy or torch, any float dtype)."""
        x = as_feature_rows(features, self.dim).astype(np.float64)
        self.n += x.shape[0]
        self.total += x.sum(axis=0)
        self.total_outer += x.T @ x

    def add(self, sample_id: str, features: dict[str, np.ndarray]) -> None:
        """Add one sample's feature rows `features["features"]` (the state contract of `metrics.metric`;
        the sums do not need the sample id)."""
        self.update(features["features"])

    def merge(self, other: "GaussianStats") -> None:
        """Add another shard's statistics to these (in place)."""
        self.check_compatible(other, "merge")
        self.n += other.n
        self.total += other.total
        self.total_outer += other.total_outer
        self.adopt_provenance(other)

    def mean(self) -> np.ndarray:
        """Mean feature `(dim,)` float64."""
        if self.n < 1:
            raise InputError(None, f"no features were accumulated for {self.preset}")
        return self.total / self.n

    def covariance(self, estimator: str) -> np.ndarray:
        """Covariance `(dim, dim)` float64: `"unbiased"` divides by n-1, `"biased"` by n."""
        if estimator not in COVARIANCE_ESTIMATORS:
            raise ValueError(f"covariance estimator must be one of {COVARIANCE_ESTIMATORS}, got {estimator!r}")
        if self.n < 2:
            raise InputError(None, f"{self.preset} needs at least 2 feature vectors per set, got {self.n}")
        mu = self.mean()
        if estimator == "biased":
            cov = self.total_outer / self.n - np.outer(mu, mu)
        else:
            cov = (self.total_outer - self.n * np.outer(mu, mu)) / (self.n - 1)
        return (cov + cov.T) / 2

    def save(self, path: str | Path) -> None:
        """Write the sums and their provenance to `.npz`."""
        arrays = {"n": np.array(self.n, dtype=np.int64), "total": self.total, "total_outer": self.total_outer}
        save_state_npz(path, STATS_FORMAT, self, arrays)

    @classmethod
    def load(cls, path: str | Path) -> "GaussianStats":
        """Read statistics written by `save`; a foreign or damaged file is an InputError."""
        data = load_state_npz(path, STATS_FORMAT, ("n", "total", "total_outer"))
        total = data["total"].astype(np.float64)
        outer = data["total_outer"].astype(np.float64)
        if total.ndim != 1 or outer.shape != (total.shape[0], total.shape[0]):
            raise InputError(path, f"inconsistent statistics shapes {total.shape} and {outer.shape}")
        return cls(
            dim=total.shape[0], preset=data["preset"], version=data["version"],
            weights_sha256=data["weights_sha256"], n=int(data["n"]), total=total, total_outer=outer,
        )


def _psd_sqrt_eigenvalues(eigenvalues: torch.Tensor) -> torch.Tensor:
    """Square roots of a PSD matrix's eigenvalues; rounding noise at or below the numerical
    rank threshold (as `np.linalg.matrix_rank`) counts as zero, so a rank-deficient covariance
    does not add `sqrt(1e-16)`-sized terms per null direction."""
    tol = eigenvalues.abs().max() * eigenvalues.numel() * torch.finfo(eigenvalues.dtype).eps
    return torch.where(eigenvalues > tol, eigenvalues, torch.zeros_like(eigenvalues)).sqrt()


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """`Tr((Σ1Σ2)^½)` for two symmetric PSD `(d, d)` matrices, in float64 by the eigh route."""
    s1 = torch.as_tensor(np.asarray(sigma1, dtype=np.float64))
    s2 = torch.as_tensor(np.asarray(sigma2, dtype=np.float64))
    w, v = torch.linalg.eigh(s1)
    sqrt_s1 = (v * _psd_sqrt_eigenvalues(w)) @ v.T
    inner = sqrt_s1 @ s2 @ sqrt_s1
    inner = (inner + inner.T) / 2
    return float(_psd_sqrt_eigenvalues(torch.linalg.eigvalsh(inner)).sum())


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 0.0
) -> float:
    """`||μ1-μ2||² + Tr(Σ1) + Tr(Σ2) - 2·Tr((Σ1Σ2)^½)` in float64.

    `eps` > 0 adds `eps·I` to both covariances first (pytorch-fid's regulariser); the canonical
    presets use 0 because this route needs no fallback for singular products.
    """
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    sigma1, sigma2 = np.asarray(sigma1, dtype=np.float64), np.asarray(sigma2, dtype=np.float64)
    d = mu1.shape[0]
    if mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise InputError(None, f"mismatched statistics: {mu1.shape}, {sigma1.shape}, {mu2.shape}, {sigma2.shape}")
    if eps:
        sigma1 = sigma1 + eps * np.eye(d)
        sigma2 = sigma2 + eps * np.eye(d)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2))


def frechet_distance_of_stats(a: GaussianStats, b: GaussianStats, covariance: str, eps: float = 0.0) -> float:
    """Fréchet distance between two accumulated feature sets of the same pipeline."""
    a.check_compatible(b, "compare")
    return frechet_distance(a.mean(), a.covariance(covariance), b.mean(), b.covariance(covariance), eps=eps)


class FrechetMetric(NetworkMetric):
    """A metric whose states are Gaussian statistics of network features and whose value is the
    Fréchet distance of the generated set to the reference set (lower is better)."""

    kind = "set"
    needs_reference = True
    higher_is_better = False
    unit: ClassVar[str]  # what one feature vector is: clips, frames, audio examples

    @abstractmethod
    def feature_dim(self) -> int:
        """Length of the feature vectors the statistics are taken over."""

    def new_state(self) -> GaussianStats:
        return GaussianStats(dim=self.feature_dim(), preset=self.preset.name, version=self.preset.version,
                             weights_sha256=self.weights().get(self.preset.weights, ""))

    def load_state(self, path: str | Path) -> GaussianStats:
        return GaussianStats.load(path)

    def compute(self) -> MetricResult:
        generated, reference = self.generated, self.reference
        if reference.n == 0:
            raise InputError(None, f"{self.name}: no reference set (give reference media or reference statistics)")
        spec = self.preset.stats
        value = frechet_distance_of_stats(generated, reference, spec.covariance, spec.eps)
        return self.result(value, generated.n, details={"n_reference": reference.n, "unit": self.unit,
                                                        "covariance": spec.covariance})
