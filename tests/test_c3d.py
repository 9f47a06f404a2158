"""C3D network, its weight layouts and the video IS input recipes (random weights, generated clips)."""
import numpy as np
import pytest
import torch

from avbench.metrics.c3d_preprocessing import chainer_resize_bilinear, mean_clip, preprocess_tgan, preprocess_tgan2
from avbench.metrics.errors import AvbenchError, InputError, WeightsError
from avbench.metrics.inception_score import ISScoring, inception_score, softmax64
from avbench.metrics.networks.c3d import C3D, _loader_for, c3d_from_state, state_dict_from_chainer, state_dict_from_torch
from avbench.metrics.video_inception_score import PRESETS, C3DFeatures, VideoInceptionScore

# pfnet-research/tgan2:tgan2/models/c3d/c3d_ucf101.py: Chainer names and shapes
CANONICAL_NPZ = {
    "conv1a/W": (64, 3, 3, 3, 3), "conv1a/b": (64,),
    "conv2a/W": (128, 64, 3, 3, 3), "conv2a/b": (128,),
    "conv3a/W": (256, 128, 3, 3, 3), "conv3a/b": (256,),
    "conv3b/W": (256, 256, 3, 3, 3), "conv3b/b": (256,),
    "conv4a/W": (512, 256, 3, 3, 3), "conv4a/b": (512,),
    "conv4b/W": (512, 512, 3, 3, 3), "conv4b/b": (512,),
    "conv5a/W": (512, 512, 3, 3, 3), "conv5a/b": (512,),
    "conv5b/W": (512, 512, 3, 3, 3), "conv5b/b": (512,),
    "fc6/W": (4096, 512 * 4 * 4), "fc6/b": (4096,),
    "fc7/W": (4096, 4096), "fc7/b": (4096,),
    "fc8/W": (101, 4096), "fc8/b": (101,),
}


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return C3D().eval()


def test_state_dict_matches_the_chainer_layout(model):
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = {k.replace("/W", ".weight").replace("/b", ".bias"): s for k, s in CANONICAL_NPZ.items()}
    assert ours == expected


def test_chainer_npz_maps_strictly(model):
    arrays = {k: np.asarray(v) for k, v in zip(CANONICAL_NPZ, model.state_dict().values())}
    arrays["pre/W"] = np.zeros((3, 3, 1, 1, 1), np.float32)  # saved full Chainer model: rebuilt by the recipe
    mapped = state_dict_from_chainer(arrays)
    for key, value in model.state_dict().items():
        assert torch.equal(mapped[key], value)
    with pytest.raises(WeightsError, match="unexpected"):
        state_dict_from_chainer({**arrays, "fc9/W": np.zeros(3)})
    with pytest.raises(WeightsError, match="fc8.bias"):
        c3d_from_state({k: v for k, v in arrays.items() if k != "fc8/b"}, "short.npz")


def test_torch_state_dict_under_a_prefix_maps(model):
    prefixed = {f"model.{k}": v for k, v in model.state_dict().items()}
    prefixed["model.mean"] = torch.zeros(3, 16, 112, 112)
    mapped = state_dict_from_torch(prefixed)
    assert all(torch.equal(mapped[k], v) for k, v in model.state_dict().items())
    bad = dict(prefixed)
    bad["model.fc8.weight"] = torch.zeros(10, 4096)
    with pytest.raises(WeightsError, match="'fc8.weight' has shape"):
        c3d_from_state(bad, "bad.pt")


def test_pool_shapes_on_16x112x112(model):
    shapes = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:])))
             for m in (model.pool1, model.pool)]
    with torch.inference_mode():
        out = model(torch.randn(1, 3, 16, 112, 112))
    for h in hooks:
        h.remove()
    assert shapes == [(64, 16, 56, 56), (128, 8, 28, 28), (256, 4, 14, 14), (512, 2, 7, 7), (512, 1, 4, 4)]
    assert out["fc6"].shape == out["fc7"].shape == (1, 4096)
    assert out["logits"].shape == (1, 101)


def _chainer_cover_all_maxpool(x: np.ndarray, k: tuple, s: tuple) -> np.ndarray:
    """Chainer max_pooling_nd(cover_all=True, pad=0): out = (n - k + s - 1)//s + 1, windows cut at the end."""
    out_shape = [(n - kk + ss - 1) // ss + 1 for n, kk, ss in zip(x.shape[-3:], k, s)]
    out = np.empty(x.shape[:-3] + tuple(out_shape), x.dtype)
    for i in range(out_shape[0]):
        for j in range(out_shape[1]):
            for m in range(out_shape[2]):
                win = x[..., i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1], m * s[2]:m * s[2] + k[2]]
                out[..., i, j, m] = win.max(axis=(-3, -2, -1))
    return out


@pytest.mark.parametrize("size", [(2, 7, 7), (1, 5, 3), (3, 4, 9)])
def test_ceil_mode_pooling_equals_chainer_cover_all(model, size):
    x = torch.randn(2, 3, *size)
    np.testing.assert_array_equal(model.pool(x).numpy(), _chainer_cover_all_maxpool(x.numpy(), (2, 2, 2), (2, 2, 2)))
    np.testing.assert_array_equal(model.pool1(x).numpy(), _chainer_cover_all_maxpool(x.numpy(), (1, 2, 2), (1, 2, 2)))


def test_chainer_resize_equals_the_align_corners_formula():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(2, 3, 9, 13)).astype(np.float32)
    out = chainer_resize_bilinear(torch.from_numpy(x), (5, 17)).numpy()
    expected = np.empty((2, 3, 5, 17))
    for i in range(5):
        for j in range(17):
            sy, sx = i * (9 - 1) / (5 - 1), j * (13 - 1) / (17 - 1)
            y0, x0 = int(sy), int(sx)
            y1, x1 = min(y0 + 1, 8), min(x0 + 1, 12)
            fy, fx = sy - y0, sx - x0
            expected[..., i, j] = ((1 - fy) * (1 - fx) * x[..., y0, x0] + (1 - fy) * fx * x[..., y0, x1]
                                   + fy * (1 - fx) * x[..., y1, x0] + fy * fx * x[..., y1, x1])
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-4)
    same = torch.nn.functional.interpolate(torch.from_numpy(x), size=(5, 17), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(out, same.numpy(), rtol=0, atol=1e-4)


@pytest.fixture(scope="module")
def mean():
    return mean_clip(np.random.default_rng(1).uniform(80, 120, size=(1, 3, 16, 128, 171)))


def _constant_clips(h: int, w: int) -> np.ndarray:
    clips = np.zeros((1, 16, h, w, 3), np.uint8)
    clips[..., 0], clips[..., 1], clips[..., 2] = 10, 20, 200  # R, G, B
    return clips


def test_tgan2_recipe_is_bgr_minus_the_off_centre_mean(mean):
    x = preprocess_tgan2(_constant_clips(60, 90), mean).numpy()
    assert x.shape == (1, 3, 16, 112, 112) and x.dtype == np.float32
    bgr = np.array([200.0, 20.0, 10.0]).reshape(3, 1, 1, 1)
    np.testing.assert_allclose(x[0], bgr - mean[:, :, 8:120, 8:120], atol=1e-4)


def test_tgan_recipe_is_bgr_minus_the_centred_mean(mean):
    x = preprocess_tgan(_constant_clips(60, 90), mean).numpy()
    bgr = np.array([200.0, 20.0, 10.0]).reshape(3, 1, 1, 1)
    np.testing.assert_allclose(x[0], bgr - mean[:, :, 8:120, 29:141], atol=1e-4)


def test_recipes_reject_wrong_clips(mean):
    with pytest.raises(InputError, match="uint8"):
        preprocess_tgan2(np.zeros((1, 16, 8, 8, 3), np.float32), mean)
    with pytest.raises(InputError, match="16 frames"):
        extractor = C3DFeatures(PRESETS["isv/tgan2"], model=C3D(), mean=mean)
        VideoInceptionScore(extractor=extractor).update(np.zeros((1, 15, 8, 8, 3), np.uint8), source="short.mp4")


def test_video_is_end_to_end_equals_direct_computation(model, mean):
    rng = np.random.default_rng(2)
    clips = rng.integers(0, 256, size=(2, 20, 24, 32, 3), dtype=np.uint8)
    extractor = C3DFeatures(PRESETS["isv/tgan2"], model=model, mean=mean)
    a = VideoInceptionScore("isv/tgan2", extractor=extractor)
    b = VideoInceptionScore("isv/tgan2", extractor=extractor)
    a.update(clips[:1])
    b.update(clips[1:])
    with pytest.raises(AvbenchError, match="overlap"):  # in-memory shards need their own sample ids to merge
        VideoInceptionScore("isv/tgan2", extractor=extractor).merge(a).merge(b)
    a, b = (VideoInceptionScore("isv/tgan2", extractor=extractor) for _ in range(2))
    a.update(clips[:1], sample_id="clip0")
    b.update(clips[1:], sample_id="clip1")
    with pytest.raises(InputError, match="one sample_id names one clip, got 2 clips"):
        b.update(clips, sample_id="clip2")
    assert list(a.generated.payloads) == ["clip0"] and list(b.generated.payloads) == ["clip1"]
    a.merge(b)
    with torch.inference_mode():  # both clips in one batch, first 16 frames
        logits = model(preprocess_tgan2(clips[:, :16], mean))["logits"].numpy()
    np.testing.assert_allclose(a.logits(), logits, rtol=1e-5, atol=1e-5)
    result = a.compute()
    expected = inception_score(softmax64(a.logits()), ISScoring(splits=1, eps=1e-20, eps_mode="add_to_probs"))
    assert result.value == expected.mean and result.details["split_sizes"] == [2]
    assert result.preset == "isv/tgan2" and any("not comparable" in n for n in result.notes)


def test_styleganv_protocol_shuffles_with_seed_42_into_10_splits():
    logits = (np.random.default_rng(3).normal(size=(2048, 101)) * 4).astype(np.float32)
    metric = VideoInceptionScore("isv/styleganv")
    for i, row in enumerate(logits):
        metric.update_logits(row[None], sample_id=f"{i:05d}")
    result = metric.compute()
    probs = softmax64(logits)
    np.random.RandomState(42).shuffle(probs)
    parts = [probs[i * 2048 // 10:(i + 1) * 2048 // 10] for i in range(10)]
    scores = [np.exp(np.mean(np.sum(p * (np.log(p) - np.log(p.mean(0, keepdims=True))), 1))) for p in parts]
    assert result.value == pytest.approx(np.mean(scores), rel=1e-12)
    assert result.details["std"] == pytest.approx(np.std(scores), rel=1e-9)
    assert result.notes == ()


def test_presets_are_named_and_distinct():
    assert set(PRESETS) == {"isv/tgan2", "isv/tgan", "isv/styleganv"}
    assert len({(p.recipe, p.scoring) for p in PRESETS.values()}) == 3


def test_c3d_files_are_read_by_content(tmp_path):
    np.savez(tmp_path / "w.npz", a=np.zeros(2))
    torch.save({"a": torch.zeros(2)}, tmp_path / "sd.pt")
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(tmp_path / "ts.pt"))
    assert [_loader_for(tmp_path / n) for n in ("w.npz", "sd.pt", "ts.pt")] == ["npz", "torch", "torchscript"]


def test_missing_weights_name_the_url_and_path(tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_WEIGHTS", str(tmp_path))
    metric = VideoInceptionScore("isv/tgan2")  # offline: AVBENCH_OFFLINE=1 (conftest)
    with pytest.raises(WeightsError) as err:
        metric.update(np.zeros((1, 16, 8, 8, 3), np.uint8))
    assert "https://github.com/rezoo/tgan2/releases/download/v1.0/conv3d_deepnetA_ucf.npz" in str(err.value)
    assert str(tmp_path / "conv3d_deepnetA_ucf.npz") in str(err.value)
