"""How well a score separates positives (e.g. synced audio-video pairs) from negatives.

AUROC is the Mann-Whitney probability that a random positive scores above a random negative,
ties counting one half; the balanced accuracy at the best threshold is (TPR + TNR) / 2 at the
threshold that maximises it (1/2 + Youden's J / 2), so it does not reward a classifier for the
ratio of negatives to positives. NaN scores are the caller's to drop (they are undefined, not
low).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.stats import rankdata


def _finite(values: Sequence[float], name: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} scores must be finite (drop undefined scores first)")
    return x


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """P(score of a positive > score of a negative) + P(equal) / 2; NaN if either set is empty."""
    pos, neg = _finite(positives, "positive"), _finite(negatives, "negative")
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks: ties count one half
    u = ranks[:pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


@dataclass(frozen=True)
class ThresholdAccuracy:
    """Best threshold `t` (predict positive when score >= t), its balanced accuracy, and the
    true-positive and true-negative rates there."""

    threshold: float
    balanced_accuracy: float
    tpr: float
    tnr: float


def best_threshold_accuracy(positives: Sequence[float], negatives: Sequence[float]) -> ThresholdAccuracy:
    """Balanced accuracy (TPR + TNR) / 2 maximised over thresholds at every observed score
    (and +inf: all negative). Ties between thresholds go to the lowest one."""
    pos, neg = _finite(positives, "positive"), _finite(negatives, "negative")
    if pos.size == 0 or neg.size == 0:
        return ThresholdAccuracy(float("nan"), float("nan"), float("nan"), float("nan"))
    thresholds = np.append(np.unique(np.concatenate([pos, neg])), np.inf)
    pos_sorted, neg_sorted = np.sort(pos), np.sort(neg)
    true_pos = pos.size - np.searchsorted(pos_sorted, thresholds, side="left")
    true_neg = np.searchsorted(neg_sorted, thresholds, side="left")
    # compared in integers, so equal accuracies tie exactly
    best = int(np.argmax(true_pos * neg.size + true_neg * pos.size))
    tpr, tnr = true_pos[best] / pos.size, true_neg[best] / neg.size
    return ThresholdAccuracy(float(thresholds[best]), float((tpr + tnr) / 2.0), float(tpr), float(tnr))


def paired_accuracy(positive_of_pair: Sequence[float], negative_of_pair: Sequence[float]) -> float:
    """Share of (positive, negative) pairs of the same item where the positive scores higher,
    ties counting one half; NaN for no pairs."""
    pos, neg = _finite(positive_of_pair, "positive"), _finite(negative_of_pair, "negative")
    if pos.shape != neg.shape:
        raise ValueError("paired scores must have the same length")
    if pos.size == 0:
        return float("nan")
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def _cluster_wins(pos: list[np.ndarray], neg: list[np.ndarray]) -> np.ndarray:
    """`(n, n)`: [i, j] = Σ over positives p of cluster i and negatives q of cluster j of
    1[p > q] + 1[p == q] / 2."""
    n = len(pos)
    p, q = np.concatenate(pos + [np.empty(0)]), np.concatenate(neg + [np.empty(0)])
    p_of = np.repeat(np.arange(n), [x.size for x in pos])
    q_of = np.repeat(np.arange(n), [x.size for x in neg])
    wins = (p[:, None] > q[None, :]) + 0.5 * (p[:, None] == q[None, :])
    one_hot_p = np.zeros((n, p.size))
    one_hot_p[p_of, np.arange(p.size)] = 1.0
    one_hot_q = np.zeros((q.size, n))
    one_hot_q[np.arange(q.size), q_of] = 1.0
    return one_hot_p @ wins @ one_hot_q


@dataclass(frozen=True)
class ClusteredAUROC:
    """AUROC over all positives and negatives, with a percentile bootstrap CI over clusters."""

    auroc: float
    ci95: tuple[float, float] | None
    n_resamples: int
    seed: int


def clustered_auroc(positives: Sequence[Sequence[float]], negatives: Sequence[Sequence[float]],
                    n_resamples: int = 2000, seed: int = 0, level: float = 0.95) -> ClusteredAUROC:
    """AUROC of the positives and negatives of all clusters (cluster i contributes
    `positives[i]` and `negatives[i]`, e.g. one clip's synced and shifted pairs), with a
    bootstrap CI that resamples whole clusters with replacement (the pairs built from one clip
    are not independent). A resample repeats a cluster's pairs as often as it draws it; draws
    come from `numpy.random.default_rng(seed)`; resamples without a positive or a negative are
    dropped."""
    pos = [_finite(p, "positive") for p in positives]
    neg = [_finite(n, "negative") for n in negatives]
    if len(pos) != len(neg):
        raise ValueError("one list of positives and one of negatives per cluster")
    n = len(pos)
    n_pos = np.array([p.size for p in pos], dtype=np.float64)
    n_neg = np.array([q.size for q in neg], dtype=np.float64)
    # wins[i, j]: wins of cluster i's positives over cluster j's negatives; a resample with
    # cluster counts c has AUROC = c·wins·c / ((c·n_pos)(c·n_neg)).
    if n == 0:
        return ClusteredAUROC(float("nan"), None, n_resamples, seed)
    wins = _cluster_wins(pos, neg)
    point = _weighted_auroc(np.ones((1, n)), wins, n_pos, n_neg)[0]
    rng = np.random.default_rng(seed)
    counts = np.zeros((n_resamples, n))
    np.add.at(counts, (np.repeat(np.arange(n_resamples), n), rng.integers(0, n, n_resamples * n)), 1.0)
    values = _weighted_auroc(counts, wins, n_pos, n_neg)
    values = values[np.isfinite(values)]
    ci = None
    if values.size:
        alpha = (1.0 - level) / 2.0
        lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
        ci = (float(lo), float(hi))
    return ClusteredAUROC(float(point), ci, n_resamples, seed)


def _weighted_auroc(counts: np.ndarray, wins: np.ndarray, n_pos: np.ndarray, n_neg: np.ndarray) -> np.ndarray:
    pairs = (counts @ n_pos) * (counts @ n_neg)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, ((counts @ wins) * counts).sum(axis=1) / np.where(pairs > 0, pairs, 1.0), np.nan)
