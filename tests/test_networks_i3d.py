"""I3D: canonical key layout, strict loading of both weight layouts, output shapes and behaviour.

The expected layout is written in `canonical_i3d.py` from the I3D paper / DeepMind `i3d.py`
channel table, not read from `metrics.networks.i3d`.
"""
import math

import pytest
import torch
from torch import nn

from avbench.metrics.errors import WeightsError
from avbench.metrics.networks import i3d as i3d_module
from avbench.metrics.networks.i3d import I3D, from_pretrained, load_weights
from canonical_i3d import _Hassony2Tree, expected_layout, random_canonical_state_dict, to_hassony2_names

def test_key_layout_matches_canonical():
    layout = expected_layout()
    own = {k: tuple(v.shape) for k, v in I3D().state_dict().items() if not k.endswith("num_batches_tracked")}
    assert own == layout
    assert len(layout) == 3 * 5 + 9 * 6 * 5 + 2 == 287
    # representative keys of the canonical file
    assert own["Conv3d_1a_7x7.conv3d.weight"] == (64, 3, 7, 7, 7)
    assert own["Mixed_5b.b2b.conv3d.weight"] == (128, 32, 3, 3, 3)
    assert own["logits.conv3d.bias"] == (400,)
    assert not any(".b3a." in k for k in own)  # the max-pool branch has no parameters
    n_params = sum(p.numel() for p in I3D().parameters())
    assert n_params == sum(math.prod(s) for k, s in layout.items() if "running" not in k)


def test_bn_eps_is_a_parameter():
    for eps in (1e-3, 1e-5):
        bns = [m for m in I3D(bn_eps=eps).modules() if isinstance(m, nn.BatchNorm3d)]
        assert len(bns) == 57 and all(m.eps == eps for m in bns)


def test_strict_load_of_canonical_file(tmp_path):
    sd = random_canonical_state_dict()
    path = tmp_path / "i3d_pretrained_400.pt"
    torch.save(sd, path)  # like VideoGPT's file: no num_batches_tracked
    model = from_pretrained("i3d-videogpt", path=path, bn_eps=1e-5)
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in sd.items())
    assert all(m.eps == 1e-5 for m in model.modules() if isinstance(m, nn.BatchNorm3d))
    # a state dict taken from a model (with counters) loads too
    load_weights(I3D(), I3D().state_dict())


def test_strict_load_rejects_wrong_layout(tmp_path):
    sd = random_canonical_state_dict()
    with pytest.raises(WeightsError, match="missing"):
        load_weights(I3D(), {k: v for k, v in sd.items() if not k.startswith("Mixed_5c.b0.")})
    bad = dict(sd)
    bad["logits.conv3d.bias"] = torch.zeros(600)
    with pytest.raises(WeightsError, match="shape"):
        load_weights(I3D(), bad)


def test_hassony2_layout_maps_onto_canonical():
    sd = random_canonical_state_dict(1)
    model = load_weights(I3D(), to_hassony2_names(sd), source="hassony2")
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in sd.items())
    odd = to_hassony2_names(sd)
    odd["mixed_3b.branch_4.0.conv3d.weight"] = torch.zeros(1)
    with pytest.raises(WeightsError, match="no known mapping"):
        load_weights(I3D(), odd)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_styleganv_torchscript_archive_loads(tmp_path):
    sd = random_canonical_state_dict(2)
    tree = _Hassony2Tree()
    tree.load_state_dict(to_hassony2_names(sd), strict=True)
    path = tmp_path / "i3d_torchscript.pt"
    torch.jit.script(tree).save(str(path))
    model = from_pretrained("i3d-styleganv", path=path, bn_eps=1e-3)
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in sd.items())


def test_forward_shapes_determinism_and_pool_logits_relation():
    torch.manual_seed(0)
    model = load_weights(I3D(), random_canonical_state_dict(3))
    assert model.train().training is False  # a fixed feature extractor stays in eval mode
    x = torch.rand(1, 3, 9, 224, 224) * 2 - 1
    with torch.inference_mode():
        logits = model(x)
        pool = model(x, output="pool")
        again = model(x)
    assert logits.shape == (1, 400) and pool.shape == (1, 1024)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    assert torch.equal(logits, again)
    # time-averaged logits = logits conv applied to the time-averaged pool (the conv is linear)
    w = model.logits.conv3d.weight.flatten(1).double()
    b = model.logits.conv3d.bias.double()
    torch.testing.assert_close(logits.double(), pool.double() @ w.T + b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 3, 8, 224, 224), (1, 3, 16, 112, 112), (1, 1, 16, 224, 224), (3, 16, 224, 224)])
def test_forward_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="I3D expects"):
        I3D()(torch.zeros(shape))


def test_forward_rejects_unknown_output():
    with pytest.raises(ValueError, match="output"):
        I3D()(torch.zeros(1, 3, 9, 224, 224), output="features")


def test_missing_weights_message(tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("AVBENCH_WEIGHTS", raising=False)
    for name, filename in (("i3d-videogpt", "i3d_pretrained_400.pt"), ("i3d-styleganv", "i3d_torchscript.pt")):
        with pytest.raises(WeightsError) as err:
            from_pretrained(name, bn_eps=1e-3, offline=True)
        message = str(err.value)
        assert "\n" not in message
        assert i3d_module.weights.get_spec(name).url in message
        assert str(tmp_path / "weights" / filename) in message
