"""Inception Score arithmetic against hand computations: values, splits, shuffling, eps modes."""
import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from avbench.metrics.errors import InputError
from avbench.metrics.inception_score import (
    FRAME_PRESETS,
    ISScoring,
    InceptionScore,
    inception_score,
    inception_score_from_logits,
    softmax64,
    split_bounds,
)
from avbench.metrics.keyed_state import KeyedState
from avbench.metrics.video_inception_score import VideoInceptionScore

ONE_SPLIT = ISScoring(splits=1)


def test_uniform_predictions_score_one():
    probs = np.full((40, 7), 1 / 7)
    value = inception_score(probs, ISScoring(splits=10))
    assert value.mean == pytest.approx(1.0, abs=1e-12)
    assert value.std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_confident_predictions_over_k_balanced_classes_score_k(k):
    probs = np.zeros((k * 6, 12))
    probs[np.arange(k * 6), np.arange(k * 6) % k] = 1.0  # one-hot, each of k classes equally often
    assert inception_score(probs, ONE_SPLIT).mean == pytest.approx(k, rel=1e-12)


def test_small_case_by_hand():
    # p1 = (0.5, 0.5), p2 = (1, 0): marginal (0.75, 0.25)
    # KL1 = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25); KL2 = ln(1/0.75)
    kl1 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    kl2 = math.log(1 / 0.75)
    expected = math.exp((kl1 + kl2) / 2)
    value = inception_score(np.array([[0.5, 0.5], [1.0, 0.0]]), ONE_SPLIT)
    assert value.mean == pytest.approx(expected, rel=1e-14)


def test_eps_modes_by_hand():
    p = np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5]])
    eps = 1e-3
    q = p.mean(axis=0)
    # TGAN v1: sum(p log(p + eps) - p log(q + eps)) / N
    v1 = math.exp(sum(p[i, j] * (math.log(p[i, j] + eps) - math.log(q[j] + eps)) for i in range(2) for j in range(3)) / 2)
    # TGANv2: p' = p + eps, p' (log p' - log mean p')
    pe = p + eps
    qe = pe.mean(axis=0)
    v2 = math.exp(sum(pe[i, j] * (math.log(pe[i, j]) - math.log(qe[j])) for i in range(2) for j in range(3)) / 2)
    got1 = inception_score(p, ISScoring(splits=1, eps=eps, eps_mode="inside_logs")).mean
    got2 = inception_score(p, ISScoring(splits=1, eps=eps, eps_mode="add_to_probs")).mean
    assert got1 == pytest.approx(v1, rel=1e-13)
    assert got2 == pytest.approx(v2, rel=1e-13)
    assert got1 != pytest.approx(got2, rel=1e-6)


def test_split_boundaries_follow_i_n_over_splits():
    assert split_bounds(23, 10) == [(i * 23 // 10, (i + 1) * 23 // 10) for i in range(10)]
    assert [b - a for a, b in split_bounds(23, 10)] == [2, 2, 2, 3, 2, 2, 3, 2, 2, 3]  # 0 2 4 6 9 11 13 16 18 20 23
    rng = np.random.default_rng(0)
    probs = softmax64(rng.normal(size=(23, 5)) * 3)
    value = inception_score(probs, ISScoring(splits=10))
    per_split = [inception_score(probs[a:b], ONE_SPLIT).mean for a, b in split_bounds(23, 10)]
    assert value.split_scores == pytest.approx(per_split, rel=1e-14)
    assert value.mean == pytest.approx(np.mean(per_split), rel=1e-14)
    assert value.std == pytest.approx(np.std(per_split, ddof=0), rel=1e-12)


def test_split_size_uses_whole_sets_and_counts_the_rest():
    rng = np.random.default_rng(1)
    probs = softmax64(rng.normal(size=(50, 4)))
    value = inception_score(probs, ISScoring(splits=None, split_size=16))
    assert value.split_sizes == (16, 16, 16)
    assert value.n_unused == 2
    sets = [inception_score(probs[i * 16:(i + 1) * 16], ONE_SPLIT).mean for i in range(3)]
    assert value.mean == pytest.approx(np.mean(sets), rel=1e-14)
    # fewer samples than one set: a single split over all of them
    assert inception_score(probs[:5], ISScoring(splits=None, split_size=16)).split_sizes == (5,)


def test_seeded_shuffle_equals_stylegan_v_in_place_shuffle():
    rng = np.random.default_rng(2)
    probs = softmax64(rng.normal(size=(37, 6)) * 2)
    shuffled = probs.copy()
    np.random.RandomState(42).shuffle(shuffled)  # StyleGAN-V's video_inception_score.py
    expected = inception_score(shuffled, ISScoring(splits=10))
    got = inception_score(probs, ISScoring(splits=10, shuffle_seed=42))
    assert got.split_scores == pytest.approx(expected.split_scores, rel=1e-14)
    assert got.mean != pytest.approx(inception_score(probs, ISScoring(splits=10)).mean, rel=1e-9)


def test_softmax_is_float64_and_matches_definition():
    logits = np.array([[1000.0, 0.0, -3.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    p = softmax64(logits)
    assert p.dtype == np.float64
    e = np.exp([1.0, 2.0, 3.0])
    assert p[1] == pytest.approx(e / e.sum(), rel=1e-15)
    assert p[0, 0] == 1.0 and np.isfinite(p).all()


def test_too_few_samples_is_a_clear_error():
    with pytest.raises(InputError, match="too few"):
        inception_score(np.full((3, 2), 0.5), ISScoring(splits=10))


def test_torchvision_logits_warn_and_are_refused_by_a_1008_state():
    logits = np.random.default_rng(3).normal(size=(20, 1000))
    with pytest.warns(UserWarning, match="not comparable"):
        inception_score_from_logits(logits, ISScoring(splits=2))
    with pytest.raises(InputError, match="not comparable"):
        InceptionScore().update_logits(logits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inception_score_from_logits(logits[:, :999], ISScoring(splits=2))


def _preset(name: str):
    return replace(FRAME_PRESETS["is/openai"], name=name, scoring=ISScoring(splits=3, shuffle_seed=7))


def test_merged_shards_equal_one_pass_and_state_round_trips(tmp_path):
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(30, 1008)).astype(np.float32)
    whole, a, b = (InceptionScore(_preset("p")) for _ in range(3))
    for shard, sample_id, rows in ((a, "x0", logits[:11]), (b, "x1", logits[11:20]), (b, "x2", logits[20:])):
        whole.update_logits(rows, sample_id=sample_id)
        shard.update_logits(rows, sample_id=sample_id)
    a.merge(b)
    np.testing.assert_array_equal(a.logits(), whole.logits())
    r1, r2 = whole.compute(), a.compute()
    assert r1 == r2
    a.generated.save(tmp_path / "s.npz")
    loaded = InceptionScore(_preset("p"))
    loaded.set_state(KeyedState.load(tmp_path / "s.npz"))
    np.testing.assert_array_equal(loaded.logits(), whole.logits())
    with pytest.raises(InputError, match="expected is \\[q 1\\]"):
        InceptionScore(_preset("q")).set_state(KeyedState.load(tmp_path / "s.npz"))


def test_small_split_is_noted_in_the_result():
    metric = VideoInceptionScore("isv/tgan2")
    metric.update_logits(np.random.default_rng(5).normal(size=(10, 101)))
    result = metric.compute()
    assert result.details["split_sizes"] == [10]
    assert any("not comparable" in n for n in result.notes)
    assert "isv/tgan2" in str(result) and "note:" in str(result)
