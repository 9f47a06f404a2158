"""KID against a plain loop implementation of the MMD-GAN / torch-fidelity estimator."""
import numpy as np
import pytest

from avbench.metrics.errors import InputError
from single_thread import one_thread  # noqa: F401  (module fixture)
from avbench.metrics.keyed_state import KeyedState
from avbench.metrics.kid import kernel_distance


def plain_kid(x_all, y_all, subsets, m, degree, coef0, seed):
    """Subsets drawn as torch-fidelity draws them; the unbiased MMD² written out term by term."""
    d = x_all.shape[1]
    rng = np.random.RandomState(seed)

    def k(a, b):
        return (sum(float(a[i]) * float(b[i]) for i in range(d)) / d + coef0) ** degree

    values = []
    for _ in range(subsets):
        x = x_all[rng.choice(len(x_all), m, replace=False)]
        y = y_all[rng.choice(len(y_all), m, replace=False)]
        xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
        values.append(xx + yy - 2 * xy)
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return mean, std


def test_kid_matches_plain_loops():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 5)).astype(np.float32)
    y = (rng.standard_normal((25, 5)) * 1.3 + 0.4).astype(np.float32)
    mean, std = kernel_distance(x, y, subsets=7, subset_size=8, degree=3, coef0=1.0, seed=2020)
    ref_mean, ref_std = plain_kid(x, y, subsets=7, m=8, degree=3, coef0=1.0, seed=2020)
    assert mean == pytest.approx(ref_mean, rel=1e-10)
    assert std == pytest.approx(ref_std, rel=1e-10)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_shift():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 16))
    same = rng.standard_normal((400, 16))
    values = [kernel_distance(x, same + shift, subsets=20, subset_size=100)[0] for shift in (0.0, 0.3, 1.0)]
    assert abs(values[0]) < 0.01 < values[1] < values[2]


def test_kid_is_seeded():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((50, 4)), rng.standard_normal((50, 4)) + 0.2
    a = kernel_distance(x, y, subsets=5, subset_size=20, seed=3)
    assert a == kernel_distance(x, y, subsets=5, subset_size=20, seed=3)
    assert a != kernel_distance(x, y, subsets=5, subset_size=20, seed=4)


def test_kid_needs_subset_size_samples():
    with pytest.raises(InputError, match="subset_size=10"):
        kernel_distance(np.zeros((9, 3)), np.zeros((20, 3)), subsets=2, subset_size=10)


def test_feature_state_merges_in_sample_order_and_round_trips(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((12, 4)).astype(np.float32)
    one = KeyedState("kid", "kid/ttur", "1")
    one.add("s0", {"features": x[:5]})
    one.add("s1", {"features": x[5:]})
    a, b = KeyedState("kid", "kid/ttur", "1"), KeyedState("kid", "kid/ttur", "1")
    b.add("s1", {"features": x[5:]})  # shards arrive in any order: rows follow the sample ids
    a.add("s0", {"features": x[:5]})
    b.merge(a)
    np.testing.assert_array_equal(b.stacked("features"), one.stacked("features"))
    b.save(tmp_path / "f.npz")
    loaded = KeyedState.load(tmp_path / "f.npz")
    assert (loaded.preset, loaded.version, len(loaded.stacked("features"))) == ("kid/ttur", "1", 12)
    np.testing.assert_array_equal(loaded.stacked("features"), x)
    assert loaded.stacked("features").dtype == np.float32
