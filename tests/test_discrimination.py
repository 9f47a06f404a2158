"""AUROC, best-threshold and paired accuracy, and the clip-clustered bootstrap, against hand
computations and a plain pairwise / resample-by-resample reference."""
import math

import numpy as np
import pytest

from avbench.metrics.discrimination import auroc, best_threshold_accuracy, clustered_auroc, paired_accuracy


def plain_auroc(pos, neg):
    """The pairwise-comparison definition, written out."""
    wins = 0.0
    for p in pos:
        for q in neg:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(pos) * len(neg))


def test_auroc_hand_cases():
    # 0.9 and 0.8 beat all three negatives (6); 0.3 loses to 0.5, ties 0.3 (1/2), beats 0.1: 7.5 / 9
    assert auroc([0.9, 0.8, 0.3], [0.5, 0.3, 0.1]) == pytest.approx(7.5 / 9, abs=1e-15)
    assert auroc([1, 2], [3, 4]) == 0.0
    assert auroc([3, 4], [1, 2]) == 1.0
    assert auroc([1, 1], [1, 1, 1]) == 0.5
    assert math.isnan(auroc([], [1.0]))
    with pytest.raises(ValueError):
        auroc([math.nan], [1.0])


def test_auroc_equals_the_pairwise_definition_on_random_tied_scores():
    rng = np.random.default_rng(3)
    for _ in range(50):
        pos = rng.integers(0, 6, rng.integers(1, 12)) / 5
        neg = rng.integers(0, 6, rng.integers(1, 30)) / 5
        assert auroc(pos, neg) == pytest.approx(plain_auroc(pos, neg), abs=1e-12)


def test_best_threshold_balanced_accuracy_hand_cases():
    # t = 3: TPR 3/3, TNR 2/3 -> 5/6; t = 4: TPR 2/3, TNR 3/3 -> 5/6 as well: the lower threshold wins
    acc = best_threshold_accuracy([3, 4, 5], [1, 2, 3.5])
    assert (acc.threshold, acc.tpr, acc.tnr) == (3.0, 1.0, 2 / 3)
    assert acc.balanced_accuracy == pytest.approx(5 / 6)
    # perfectly separable: 1.0 at the lowest positive
    acc = best_threshold_accuracy([0.7, 0.9], [0.1, 0.2, 0.3, 0.4])
    assert (acc.threshold, acc.balanced_accuracy) == (0.7, 1.0)
    # 9 negatives and 1 positive below all of them: balanced accuracy, not 90% by saying "no" always
    acc = best_threshold_accuracy([0.0], [1.0] * 9)
    assert acc.balanced_accuracy == 0.5


def test_paired_accuracy_counts_ties_half():
    assert paired_accuracy([1, 1, 1, 1], [0, 1, 2, 0.5]) == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    with pytest.raises(ValueError):
        paired_accuracy([1], [1, 2])


def test_clustered_bootstrap_equals_resampling_clips_one_by_one():
    rng = np.random.default_rng(7)
    pos = [rng.normal(0.6, 0.3, rng.integers(0, 3)).round(2) for _ in range(12)]
    neg = [rng.normal(0.3, 0.3, rng.integers(0, 6)).round(2) for _ in range(12)]
    result = clustered_auroc(pos, neg, n_resamples=300, seed=11)
    assert result.auroc == pytest.approx(plain_auroc(np.concatenate(pos), np.concatenate(neg)), abs=1e-12)

    draws = np.random.default_rng(11).integers(0, 12, 300 * 12).reshape(300, 12)
    values = []
    for idx in draws:
        p = np.concatenate([pos[i] for i in idx])
        q = np.concatenate([neg[i] for i in idx])
        if p.size and q.size:
            values.append(plain_auroc(p, q))
    lo, hi = np.quantile(values, [0.025, 0.975])
    assert result.ci95 == pytest.approx((lo, hi), abs=1e-12)
    assert lo <= result.auroc <= hi
