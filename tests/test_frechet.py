"""Fréchet distance and mergeable Gaussian statistics against independent computations."""
import numpy as np
import pytest
import scipy.linalg

from avbench.metrics.errors import InputError
from single_thread import one_thread  # noqa: F401  (module fixture)
from avbench.metrics.frechet import GaussianStats, frechet_distance, frechet_distance_of_stats


def sqrtm_frechet(mu1, s1, mu2, s2):
    """pytorch-fid/TTUR formula with scipy's sqrtm of the product."""
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def tfgan_frechet(mu1, s1, mu2, s2):
    """TF-GAN's algorithm (classifier_metrics.py) in float64 numpy: SVD square roots, singular
    values below 1e-10 left unrooted."""

    def sym_sqrt(m):
        u, s, vt = np.linalg.svd(m)
        return u @ np.diag(np.where(s < 1e-10, s, np.sqrt(s))) @ vt

    a = sym_sqrt(s1)
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(sym_sqrt(a @ s2 @ a))


def gaussian_sets(rng, n, d, shift=0.3, scale=1.1):
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    x = rng.standard_normal((n, d)) @ mix
    y = (rng.standard_normal((n, d)) + shift) @ mix * scale
    return x, y


def moments(x):
    return x.mean(axis=0), np.cov(x, rowvar=False)


@pytest.mark.parametrize("n,d", [(500, 64), (2048, 200), (30, 64), (10, 64), (100, 300)])
def test_matches_scipy_sqrtm_including_fewer_samples_than_dims(n, d):
    rng = np.random.default_rng(n + d)
    x, y = gaussian_sets(rng, n, d)
    (m1, s1), (m2, s2) = moments(x), moments(y)
    ours = frechet_distance(m1, s1, m2, s2)
    assert ours == pytest.approx(sqrtm_frechet(m1, s1, m2, s2), rel=1e-6)
    assert ours == pytest.approx(tfgan_frechet(m1, s1, m2, s2), rel=1e-6)


def test_rank_deficient_covariances_match_closed_form():
    # Commuting covariances (shared eigenvectors) with zero eigenvalues:
    # Tr((S1 S2)^1/2) = sum_i sqrt(a_i b_i) exactly.
    rng = np.random.default_rng(3)
    d = 96
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    a = rng.uniform(0.5, 3.0, d)
    b = rng.uniform(0.5, 3.0, d)
    a[:40] = 0.0  # rank 56
    b[30:70] = 0.0  # rank 56, overlapping null spaces
    s1, s2 = (q * a) @ q.T, (q * b) @ q.T
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    exact = np.sum((mu1 - mu2) ** 2) + a.sum() + b.sum() - 2 * np.sum(np.sqrt(a * b))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("n1,n2,d", [(30, 30, 64), (50, 40, 128), (12, 90, 200)])
def test_fewer_samples_than_dims_match_nuclear_norm_identity(n1, n2, d):
    # With centred features A1 (n1 x d), A2 (n2 x d): the non-zero eigenvalues of S1 S2 are the
    # squared singular values of A1 A2^T / sqrt((n1-1)(n2-1)), so Tr((S1 S2)^1/2) is its nuclear
    # norm, computed from an n1 x n2 matrix without any d x d square root.
    x, y = gaussian_sets(np.random.default_rng(n1 + d), max(n1, n2), d)
    x, y = x[:n1], y[:n2]
    a1, a2 = x - x.mean(axis=0), y - y.mean(axis=0)
    trace_sqrt = np.linalg.svd(a1 @ a2.T, compute_uv=False).sum() / np.sqrt((n1 - 1) * (n2 - 1))
    diff = x.mean(axis=0) - y.mean(axis=0)
    exact = diff @ diff + (a1**2).sum() / (n1 - 1) + (a2**2).sum() / (n2 - 1) - 2 * trace_sqrt
    (m1, s1), (m2, s2) = moments(x), moments(y)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(exact, rel=1e-9)


def test_low_rank_features_match_tfgan_algorithm():
    # Features in a 20-dim subspace of 128 dims: covariances of rank 20.
    rng = np.random.default_rng(4)
    basis = rng.standard_normal((20, 128))
    x = rng.standard_normal((1000, 20)) @ basis
    y = (rng.standard_normal((1000, 20)) * 1.2 + 0.1) @ basis
    (m1, s1), (m2, s2) = moments(x), moments(y)
    ours = frechet_distance(m1, s1, m2, s2)
    assert ours == pytest.approx(tfgan_frechet(m1, s1, m2, s2), rel=1e-10)
    # scipy's sqrtm of the singular product carries ~1e-6 relative noise here.
    assert ours == pytest.approx(sqrtm_frechet(m1, s1, m2, s2), rel=1e-5)


@pytest.mark.parametrize("n,d", [(300, 64), (20, 64)])
def test_distance_of_a_set_to_itself_is_zero(n, d):
    x, _ = gaussian_sets(np.random.default_rng(5), n, d)
    m, s = moments(x)
    assert abs(frechet_distance(m, s, m, s)) <= 1e-9 * np.trace(s)


def test_eps_regularises_both_covariances():
    rng = np.random.default_rng(6)
    x, y = gaussian_sets(rng, 40, 16)
    (m1, s1), (m2, s2) = moments(x), moments(y)
    eye = 1e-3 * np.eye(16)
    assert frechet_distance(m1, s1, m2, s2, eps=1e-3) == pytest.approx(
        sqrtm_frechet(m1, s1 + eye, m2, s2 + eye), rel=1e-9
    )


def make_stats(features, preset="fvd/styleganv", version="1", sha=""):
    stats = GaussianStats(dim=features.shape[1], preset=preset, version=version, weights_sha256=sha)
    stats.update(features)
    return stats


def test_covariance_estimators_match_numpy():
    x = np.random.default_rng(7).standard_normal((50, 8)) * 3 + 5
    stats = make_stats(x.astype(np.float32))
    x64 = x.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(stats.mean(), x64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance("unbiased"), np.cov(x64, rowvar=False), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stats.covariance("biased"), np.cov(x64, rowvar=False, bias=True), rtol=1e-10, atol=1e-12)


def test_merged_shards_equal_one_pass():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((301, 32)).astype(np.float32)
    y = rng.standard_normal((150, 32)).astype(np.float32) + 0.5
    one_pass = make_stats(x)
    shards = [make_stats(x[:1]), make_stats(x[1:100]), make_stats(x[100:])]
    merged = shards[0]
    for shard in shards[1:]:
        merged.merge(shard)
    assert merged.n == one_pass.n == 301
    np.testing.assert_allclose(merged.total, one_pass.total, rtol=1e-12)
    np.testing.assert_allclose(merged.total_outer, one_pass.total_outer, rtol=1e-12)
    ref = make_stats(y)
    for estimator in ("unbiased", "biased"):
        assert frechet_distance_of_stats(merged, ref, estimator) == pytest.approx(
            frechet_distance_of_stats(one_pass, ref, estimator), rel=1e-10
        )


def test_save_load_round_trip(tmp_path):
    stats = make_stats(np.random.default_rng(9).standard_normal((20, 6)), sha="ab" * 32)
    stats.save(tmp_path / "s.npz")
    loaded = GaussianStats.load(tmp_path / "s.npz")
    assert (loaded.preset, loaded.version, loaded.weights_sha256, loaded.n, loaded.dim) == (
        "fvd/styleganv", "1", "ab" * 32, 20, 6)
    np.testing.assert_array_equal(loaded.total, stats.total)
    np.testing.assert_array_equal(loaded.total_outer, stats.total_outer)
    with np.load(tmp_path / "s.npz", allow_pickle=False) as npz:
        assert str(npz["preset"]) == "fvd/styleganv" and str(npz["version"]) == "1"


def test_foreign_or_damaged_file_is_an_input_error(tmp_path):
    np.savez(tmp_path / "other.npz", mu=np.zeros(3), sigma=np.eye(3))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    for name in ("other.npz", "junk.npz", "absent.npz"):
        with pytest.raises(InputError, match=name):
            GaussianStats.load(tmp_path / name)


def test_statistics_of_different_pipelines_refuse_to_mix():
    x = np.random.default_rng(10).standard_normal((10, 4))
    base = make_stats(x)
    for other in (make_stats(x, preset="fvd/videogpt"), make_stats(x, version="2"), make_stats(x[:, :3])):
        with pytest.raises(InputError, match="cannot"):
            base.merge(other)
        with pytest.raises(InputError, match="cannot"):
            frechet_distance_of_stats(base, other, "unbiased")
    with pytest.raises(InputError, match="different network weights"):
        make_stats(x, sha="a" * 64).merge(make_stats(x, sha="b" * 64))


def test_too_few_or_bad_features_are_input_errors():
    stats = make_stats(np.zeros((1, 4)))
    with pytest.raises(InputError, match="at least 2"):
        stats.covariance("unbiased")
    with pytest.raises(InputError, match="NaN"):
        stats.update(np.full((2, 4), np.nan))
    with pytest.raises(InputError, match=r"\(N, 4\)"):
        stats.update(np.zeros((2, 5)))
