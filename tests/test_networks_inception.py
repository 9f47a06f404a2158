"""InceptionV3 (TF 2015-12-05 FID graph): canonical key layout, strict loading, outputs.

The expected layout below is written from the torchvision/TF Inception-v3 definition (its
block types and their branch convolutions), not read from `metrics.networks.inception`.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from avbench.metrics.errors import WeightsError
from avbench.metrics.networks import inception as inception_module
from avbench.metrics.networks.inception import InceptionV3TF, from_pretrained
from avbench.metrics.networks.loading import load_strict


def block_a(cin, pool):
    return {"branch1x1": (cin, 64, 1, 1), "branch5x5_1": (cin, 48, 1, 1), "branch5x5_2": (48, 64, 5, 5),
            "branch3x3dbl_1": (cin, 64, 1, 1), "branch3x3dbl_2": (64, 96, 3, 3), "branch3x3dbl_3": (96, 96, 3, 3),
            "branch_pool": (cin, pool, 1, 1)}


def block_b(cin):
    return {"branch3x3": (cin, 384, 3, 3), "branch3x3dbl_1": (cin, 64, 1, 1), "branch3x3dbl_2": (64, 96, 3, 3),
            "branch3x3dbl_3": (96, 96, 3, 3)}


def block_c(cin, c7):
    return {"branch1x1": (cin, 192, 1, 1), "branch7x7_1": (cin, c7, 1, 1), "branch7x7_2": (c7, c7, 1, 7),
            "branch7x7_3": (c7, 192, 7, 1), "branch7x7dbl_1": (cin, c7, 1, 1), "branch7x7dbl_2": (c7, c7, 7, 1),
            "branch7x7dbl_3": (c7, c7, 1, 7), "branch7x7dbl_4": (c7, c7, 7, 1), "branch7x7dbl_5": (c7, 192, 1, 7),
            "branch_pool": (cin, 192, 1, 1)}


def block_d(cin):
    return {"branch3x3_1": (cin, 192, 1, 1), "branch3x3_2": (192, 320, 3, 3), "branch7x7x3_1": (cin, 192, 1, 1),
            "branch7x7x3_2": (192, 192, 1, 7), "branch7x7x3_3": (192, 192, 7, 1), "branch7x7x3_4": (192, 192, 3, 3)}


def block_e(cin):
    return {"branch1x1": (cin, 320, 1, 1), "branch3x3_1": (cin, 384, 1, 1), "branch3x3_2a": (384, 384, 1, 3),
            "branch3x3_2b": (384, 384, 3, 1), "branch3x3dbl_1": (cin, 448, 1, 1), "branch3x3dbl_2": (448, 384, 3, 3),
            "branch3x3dbl_3a": (384, 384, 1, 3), "branch3x3dbl_3b": (384, 384, 3, 1), "branch_pool": (cin, 192, 1, 1)}


def expected_layout():
    """Key → shape of `pt_inception-2015-12-05-6726825d.pth` (torchvision names, no AuxLogits)."""
    convs = {"Conv2d_1a_3x3": (3, 32, 3, 3), "Conv2d_2a_3x3": (32, 32, 3, 3), "Conv2d_2b_3x3": (32, 64, 3, 3),
             "Conv2d_3b_1x1": (64, 80, 1, 1), "Conv2d_4a_3x3": (80, 192, 3, 3)}
    blocks = {"Mixed_5b": block_a(192, 32), "Mixed_5c": block_a(256, 64), "Mixed_5d": block_a(288, 64),
              "Mixed_6a": block_b(288), "Mixed_6b": block_c(768, 128), "Mixed_6c": block_c(768, 160),
              "Mixed_6d": block_c(768, 160), "Mixed_6e": block_c(768, 192), "Mixed_7a": block_d(768),
              "Mixed_7b": block_e(1280), "Mixed_7c": block_e(2048)}
    for block, branches in blocks.items():
        for branch, shape in branches.items():
            convs[f"{block}.{branch}"] = shape
    layout = {}
    for name, (cin, cout, kh, kw) in convs.items():
        layout[f"{name}.conv.weight"] = (cout, cin, kh, kw)
        for p in ("weight", "bias", "running_mean", "running_var"):
            layout[f"{name}.bn.{p}"] = (cout,)
    layout["fc.weight"] = (1008, 2048)
    layout["fc.bias"] = (1008,)
    return layout


def random_canonical_state_dict(seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for key, shape in expected_layout().items():
        if key.endswith(("running_var", "bn.weight")):
            sd[key] = torch.rand(shape, generator=g) + 0.5
        elif key.endswith("conv.weight"):  # He scaling keeps activations away from denormals
            sd[key] = torch.randn(shape, generator=g) * math.sqrt(2.0 / math.prod(shape[1:]))
        else:
            sd[key] = torch.randn(shape, generator=g) * 0.1
    return sd


def test_key_layout_matches_canonical():
    layout = expected_layout()
    own = {k: tuple(v.shape) for k, v in InceptionV3TF().state_dict().items() if not k.endswith("num_batches_tracked")}
    assert own == layout
    assert len(layout) == 94 * 5 + 2
    assert own["Conv2d_1a_3x3.conv.weight"] == (32, 3, 3, 3)
    assert own["Mixed_5b.branch5x5_1.bn.running_var"] == (48,)
    assert not any(k.startswith("AuxLogits") for k in own)
    n_params = sum(p.numel() for p in InceptionV3TF().parameters())
    assert n_params == sum(math.prod(s) for k, s in layout.items() if "running" not in k) == 23_850_960


def test_strict_load_with_and_without_batch_counters(tmp_path):
    sd = random_canonical_state_dict()
    for with_counters in (False, True):
        saved = dict(sd)
        if with_counters:
            saved.update({k.replace("running_var", "num_batches_tracked"): torch.tensor(7)
                          for k in sd if k.endswith("running_var")})
        path = tmp_path / f"inception_{with_counters}.pth"
        torch.save(saved, path)
        model = load_strict(InceptionV3TF(), torch.load(path, weights_only=True), str(path))
        own = model.state_dict()
        assert all(torch.equal(own[k], v) for k, v in sd.items())
    with pytest.raises(WeightsError, match="unexpected"):
        load_strict(InceptionV3TF(), {**sd, "AuxLogits.fc.weight": torch.zeros(1000, 768)}, "aux")


def test_registered_checksum_guards_the_file(tmp_path):
    path = tmp_path / "weights-inception-2015-12-05-6726825d.pth"
    torch.save(random_canonical_state_dict(), path)
    for name in ("inception-torch-fidelity", "inception-pytorch-fid"):
        spec = inception_module.weights.get_spec(name)
        assert spec.sha256.startswith("6726825d")  # the torch-hub suffix of both file names
        with pytest.raises(WeightsError, match="does not match"):
            from_pretrained(name, path=path)


def test_pool_helpers_follow_tf():
    # TF's SAME average pool ignores padding: on a 2x2 map every 3x3 window sees all 4 values
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    assert inception_module._avg_pool_3x3(x).flatten().tolist() == [2.5] * 4
    # Mixed_7c's pool branch is a max-pool, Mixed_7b's an average
    model = InceptionV3TF()
    assert model.Mixed_7c.pool == "max" and model.Mixed_7b.pool == "avg"


def test_forward_outputs_and_determinism():
    torch.manual_seed(0)
    model = load_strict(InceptionV3TF(), random_canonical_state_dict(1), "random")
    assert model.train().training is False
    u = torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8)
    x = (u.float() - 128) / 128
    with torch.inference_mode():
        out = model(x)
        again = model(x)
    assert set(out) == {"pool", "logits_unbiased"}
    assert out["pool"].shape == (2, 2048) and out["logits_unbiased"].shape == (2, 1008)
    assert torch.equal(out["pool"], again["pool"]) and torch.equal(out["logits_unbiased"], again["logits_unbiased"])
    assert (out["pool"] >= 0).all()  # average of post-ReLU maps
    # logits without the fc bias
    expected = out["pool"].double() @ model.fc.weight.double().T
    torch.testing.assert_close(out["logits_unbiased"].double(), expected, rtol=1e-5, atol=1e-4)
    assert not torch.allclose(out["logits_unbiased"], F.linear(out["pool"], model.fc.weight, model.fc.bias))


@pytest.mark.parametrize("shape", [(1, 3, 224, 224), (3, 299, 299), (1, 1, 299, 299)])
def test_forward_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="InceptionV3TF expects"):
        InceptionV3TF()(torch.zeros(shape))


def test_missing_weights_message(tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("AVBENCH_WEIGHTS", raising=False)
    with pytest.raises(WeightsError) as err:
        from_pretrained("inception-pytorch-fid", offline=True)
    message = str(err.value)
    assert "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" in message
    assert str(tmp_path / "weights" / "pt_inception-2015-12-05-6726825d.pth") in message
