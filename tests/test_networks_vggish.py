"""VGGish: torchvggish key layout, strict loading, TF flatten order, PCA, and the log-mel frontend
against a plain loop-by-loop numpy derivation of AudioSet's `mel_features.py` (tensorflow/models,
research/audioset/vggish) written here.
"""
import dataclasses
import io
import math

import numpy as np
import pytest
import torch

from avbench.metrics import weights
from avbench.metrics.errors import WeightsError
from avbench.metrics.networks.vggish import VGGish, VGGishPCA, from_pretrained, pca_from_pretrained
from avbench.metrics.networks.vggish_frontend import log_mel_examples

CONVS = [(0, 1, 64), (3, 64, 128), (6, 128, 256), (8, 256, 256), (11, 256, 512), (13, 512, 512)]
LINEARS = [(0, 12288, 4096), (2, 4096, 4096), (4, 4096, 128)]


def expected_layout():
    layout = {}
    for i, cin, cout in CONVS:
        layout[f"features.{i}.weight"] = (cout, cin, 3, 3)
        layout[f"features.{i}.bias"] = (cout,)
    for i, fin, fout in LINEARS:
        layout[f"embeddings.{i}.weight"] = (fout, fin)
        layout[f"embeddings.{i}.bias"] = (fout,)
    return layout


def random_state_dict(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=g) * (math.sqrt(2.0 / math.prod(s[1:])) if len(s) > 1 else 0.05)
            for k, s in expected_layout().items()}


def test_key_layout_matches_torchvggish():
    own = {k: tuple(v.shape) for k, v in VGGish().state_dict().items()}
    assert own == expected_layout()
    assert sum(p.numel() for p in VGGish().parameters()) == 72_141_184  # 4 bytes each ≈ the 288.6 MB file
    assert {k: tuple(v.shape) for k, v in VGGishPCA().state_dict().items()} == {
        "pca_eigen_vectors": (128, 128), "pca_means": (128, 1)}


@pytest.fixture
def random_files_load(monkeypatch):
    """The registry's torch.hub file names, whose sha256 prefix no random file has, replaced by
    plain ones (nothing to check), so that these tests can load random files."""
    for name in ("vggish", "vggish-pca"):
        spec = weights.get_spec(name)
        monkeypatch.setitem(weights._REGISTRY, name, dataclasses.replace(spec, filename=f"{name}.pth"))


def test_strict_load_and_flatten_order(tmp_path, random_files_load):
    sd = random_state_dict()
    path = tmp_path / "vggish-10086976.pth"
    torch.save(sd, path)
    model = from_pretrained("vggish", path=path)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in sd.items())
    x = torch.randn(3, 1, 96, 64)
    with torch.inference_mode():
        out = model(x)
        maps = model.features(x).numpy()  # (3, 512, 6, 4)
    assert maps.shape == (3, 512, 6, 4)
    # TF flattens NHWC: element (h, w, c) sits at (h * 4 + w) * 512 + c
    flat = np.zeros((3, 12288), dtype=np.float64)
    for h in range(6):
        for w in range(4):
            flat[:, (h * 4 + w) * 512:(h * 4 + w + 1) * 512] = maps[:, :, h, w]
    w0, b0, w2, b2, w4, b4 = (sd[f"embeddings.{i}.{p}"].double().numpy() for i in (0, 2, 4) for p in ("weight", "bias"))
    hidden = np.maximum(np.maximum(flat @ w0.T + b0, 0) @ w2.T + b2, 0)
    np.testing.assert_allclose(out.double().numpy(), hidden @ w4.T + b4, rtol=1e-4, atol=1e-4)
    assert (out < 0).any()  # no final ReLU by default


def test_input_forms_final_relu_and_determinism():
    sd = random_state_dict(1)
    plain = VGGish()
    plain.load_state_dict(sd)
    relu = VGGish(final_relu=True)
    relu.load_state_dict(sd)
    x = torch.randn(4, 96, 64)
    with torch.inference_mode():
        a, b, c = plain(x), plain(x[:, None]), relu(x)
    assert a.shape == (4, 128) and torch.equal(a, b) and torch.equal(plain(x), a)
    assert torch.equal(c, torch.relu(a))
    with pytest.raises(ValueError, match="VGGish expects"):
        plain(torch.zeros(2, 1, 64, 96))


def test_pca_postprocess_from_torchvggish_style_file(tmp_path, random_files_load):
    rng = np.random.default_rng(0)
    eig = rng.standard_normal((128, 128))
    means = rng.standard_normal(128) * 0.1
    path = tmp_path / "vggish_pca_params-970ea276.pth"
    torch.save({"pca_eigen_vectors": eig, "pca_means": means}, path)  # numpy arrays, as torchvggish's file
    pca = pca_from_pretrained(path=path)
    emb = rng.standard_normal((5, 128)).astype(np.float32) * 0.2
    with torch.inference_mode():
        out = pca(torch.from_numpy(emb)).numpy()
    e32, m32 = eig.astype(np.float32).astype(np.float64), means.astype(np.float32).astype(np.float64)
    projected = (emb.astype(np.float64) - m32) @ e32.T
    expected = np.round((np.clip(projected, -2, 2) + 2) * 255 / 4)
    close = np.abs(out - expected) <= 1  # rounding ties may fall either way at float32
    assert close.all() and (out == expected).mean() > 0.99
    assert out.min() >= 0 and out.max() <= 255
    # the same file as pickled under numpy 1.x (module numpy.core), in torch's legacy format
    legacy = io.BytesIO()
    torch.save({"pca_eigen_vectors": eig, "pca_means": means}, legacy, _use_new_zipfile_serialization=False)
    raw = legacy.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in raw
    (tmp_path / "legacy.pth").write_bytes(raw)
    legacy_pca = pca_from_pretrained(path=tmp_path / "legacy.pth")
    assert torch.equal(legacy_pca.pca_eigen_vectors, pca.pca_eigen_vectors)
    torch.save({"means": means}, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match="not VGGish PCA parameters"):
        pca_from_pretrained(path=tmp_path / "bad.pth")


def test_missing_weights_message(tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("AVBENCH_WEIGHTS", raising=False)
    cases = ((from_pretrained, "vggish-10086976.pth"), (pca_from_pretrained, "vggish_pca_params-970ea276.pth"))
    for load, filename in cases:
        with pytest.raises(WeightsError) as err:
            load(offline=True)
        assert f"https://github.com/harritaylor/torchvggish/releases/download/v0.1/{filename}" in str(err.value)
        assert str(tmp_path / "weights" / filename) in str(err.value)


# ---- frontend: a slow, explicit re-derivation of AudioSet's log-mel examples ----

def reference_examples(wave16k):
    n_win, hop, n_fft = 400, 160, 512
    window = np.array([0.5 - 0.5 * math.cos(2 * math.pi * i / n_win) for i in range(n_win)])  # periodic Hann
    n_frames = 1 + (len(wave16k) - n_win) // hop
    spectra = np.array([np.abs(np.fft.rfft(wave16k[f * hop:f * hop + n_win] * window, n_fft)) for f in range(n_frames)])

    def mel(f):
        return 1127.0 * math.log(1.0 + f / 700.0)

    lo, hi = mel(125.0), mel(7500.0)
    edges = [lo + (hi - lo) * i / 65 for i in range(66)]
    matrix = np.zeros((257, 64))
    for k in range(1, 257):  # bin 0 (DC) stays zero
        m = mel(8000.0 * k / 256)
        for b in range(64):
            left, centre, right = edges[b], edges[b + 1], edges[b + 2]
            matrix[k, b] = max(0.0, min((m - left) / (centre - left), (right - m) / (right - centre)))
    log_mel = np.log(spectra @ matrix + 0.01)
    n_examples = len(log_mel) // 96
    return np.stack([log_mel[i * 96:(i + 1) * 96] for i in range(n_examples)]) if n_examples else np.empty((0, 96, 64))


@pytest.mark.parametrize("seconds, n_examples", [
    (0.975, 1),  # 15 600 samples: 1 + 15 200 // 160 = 96 frames
    (1.5, 1),    # 24 000 samples: 148 frames
    (2.9, 3),    # 46 400 samples: 288 frames = 3 x 96
])
def test_frontend_matches_plain_derivation(seconds, n_examples):
    rng = np.random.default_rng(int(seconds * 1000))
    n = int(round(seconds * 16000))
    t = np.arange(n) / 16000
    wave = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(n)
    ours = log_mel_examples(wave, 16000)
    expected = reference_examples(wave)
    assert ours.dtype == np.float32
    assert ours.shape == expected.shape == (n_examples, 96, 64)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)


def test_frontend_short_stereo_and_resampled_input():
    assert log_mel_examples(np.zeros(15599), 16000).shape == (0, 96, 64)  # 96 frames need 15 600 samples
    assert log_mel_examples(np.zeros(15600), 16000).shape == (1, 96, 64)
    assert log_mel_examples(np.zeros(100), 16000).shape == (0, 96, 64)
    rng = np.random.default_rng(1)
    left, right = rng.uniform(-1, 1, 20000), rng.uniform(-1, 1, 20000)
    np.testing.assert_array_equal(log_mel_examples(np.stack([left, right], axis=1), 16000),
                                  log_mel_examples((left + right) / 2, 16000))
    import resampy

    wave44 = rng.uniform(-1, 1, 44100)
    np.testing.assert_allclose(log_mel_examples(wave44, 44100),
                               reference_examples(resampy.resample(wave44, 44100, 16000)), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="waveform must be"):
        log_mel_examples(np.zeros((2, 2, 2)), 16000)
