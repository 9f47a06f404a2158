"""I3D: canonical key layout, strict loading of both weight layouts, output shapes and behaviour.

The expected layout is written here from the I3D paper / DeepMind `i3d.py` channel table
(metrics.md §1.3, §1.6), not read from `metrics.networks.i3d`.
"""
import math

import pytest
import torch
from torch import nn

from avbench.metrics.errors import WeightsError
from avbench.metrics.networks import i3d as i3d_module
from avbench.metrics.networks.i3d import I3D, from_pretrained, load_weights

# (b0, b1a, b1b, b2a, b2b, b3b) output channels per Inception module, in network order.
MIXED = [
    ("Mixed_3b", (64, 96, 128, 16, 32, 32)),
    ("Mixed_3c", (128, 128, 192, 32, 96, 64)),
    ("Mixed_4b", (192, 96, 208, 16, 48, 64)),
    ("Mixed_4c", (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", (128, 128, 256, 24, 64, 64)),
    ("Mixed_4e", (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", (256, 160, 320, 32, 128, 128)),
    ("Mixed_5b", (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", (384, 192, 384, 48, 128, 128)),
]
BN = ("weight", "bias", "running_mean", "running_var")


def expected_layout(num_classes=400):
    """Key → shape of the VideoGPT/TATS `i3d_pretrained_400.pt` layout (no num_batches_tracked)."""
    layout = {}

    def unit(name, cin, cout, k):
        layout[f"{name}.conv3d.weight"] = (cout, cin, k, k, k)
        for p in BN:
            layout[f"{name}.bn.{p}"] = (cout,)

    unit("Conv3d_1a_7x7", 3, 64, 7)
    unit("Conv3d_2b_1x1", 64, 64, 1)
    unit("Conv3d_2c_3x3", 64, 192, 3)
    cin = 192
    for name, (b0, b1a, b1b, b2a, b2b, b3b) in MIXED:
        unit(f"{name}.b0", cin, b0, 1)
        unit(f"{name}.b1a", cin, b1a, 1)
        unit(f"{name}.b1b", b1a, b1b, 3)
        unit(f"{name}.b2a", cin, b2a, 1)
        unit(f"{name}.b2b", b2a, b2b, 3)
        unit(f"{name}.b3b", cin, b3b, 1)
        cin = b0 + b1b + b2b + b3b
    assert cin == 1024
    layout["logits.conv3d.weight"] = (num_classes, 1024, 1, 1, 1)
    layout["logits.conv3d.bias"] = (num_classes,)
    return layout


def random_canonical_state_dict(seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for key, shape in expected_layout().items():
        if key.endswith("running_var"):
            sd[key] = torch.rand(shape, generator=g) + 0.5
        elif key.endswith("bn.weight"):
            sd[key] = torch.ones(shape)  # TF-Hub BatchNorm has no scale
        elif key.endswith("conv3d.weight"):  # He scaling keeps activations away from denormals
            sd[key] = torch.randn(shape, generator=g) * math.sqrt(2.0 / math.prod(shape[1:]))
        else:
            sd[key] = torch.randn(shape, generator=g) * 0.1
    return sd


def to_hassony2_names(sd):
    """hassony2/kinetics_i3d_pytorch names (StyleGAN-V TorchScript ancestor), metrics.md §1.6."""
    branch = {"b0": "branch_0", "b1a": "branch_1.0", "b1b": "branch_1.1",
              "b2a": "branch_2.0", "b2b": "branch_2.1", "b3b": "branch_3.1"}
    out = {}
    for key, value in sd.items():
        parts = key.split(".")
        if parts[0] == "logits":
            head = ["conv3d_0c_1x1"]
            rest = parts[1:]
        elif parts[0].startswith("Mixed_"):
            head = [parts[0].lower(), branch[parts[1]]]
            rest = parts[2:]
        else:
            head = [parts[0].lower()]
            rest = parts[1:]
        rest = ["batch3d" if p == "bn" else p for p in rest]
        out[".".join(head + rest)] = value
        if rest[0] == "batch3d" and rest[1] == "weight":
            out[".".join(head + ["batch3d", "num_batches_tracked"])] = torch.tensor(0)
    return out


def test_key_layout_matches_canonical():
    layout = expected_layout()
    own = {k: tuple(v.shape) for k, v in I3D().state_dict().items() if not k.endswith("num_batches_tracked")}
    assert own == layout
    assert len(layout) == 3 * 5 + 9 * 6 * 5 + 2 == 287
    # representative keys quoted in metrics.md §1.3
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


class _Unit(nn.Module):
    def __init__(self, cin, cout, k, bn=True):
        super().__init__()
        self.conv3d = nn.Conv3d(cin, cout, k, bias=not bn)
        if bn:
            self.batch3d = nn.BatchNorm3d(cout, eps=1e-3)

    def forward(self, x):
        return self.conv3d(x)


class _Mixed(nn.Module):
    def __init__(self, cin, out):
        super().__init__()
        self.branch_0 = _Unit(cin, out[0], 1)
        self.branch_1 = nn.Sequential(_Unit(cin, out[1], 1), _Unit(out[1], out[2], 3))
        self.branch_2 = nn.Sequential(_Unit(cin, out[3], 1), _Unit(out[3], out[4], 3))
        self.branch_3 = nn.Sequential(nn.MaxPool3d(3, 1, 1), _Unit(cin, out[5], 1))

    def forward(self, x):
        return x


class _Hassony2Tree(nn.Module):
    """A module tree with hassony2's attribute names, to build a TorchScript archive like StyleGAN-V's."""

    def __init__(self):
        super().__init__()
        self.conv3d_1a_7x7 = _Unit(3, 64, 7)
        self.conv3d_2b_1x1 = _Unit(64, 64, 1)
        self.conv3d_2c_3x3 = _Unit(64, 192, 3)
        cin = 192
        for name, out in MIXED:
            setattr(self, name.lower(), _Mixed(cin, out))
            cin = out[0] + out[2] + out[4] + out[5]
        self.conv3d_0c_1x1 = _Unit(1024, 400, 1, bn=False)

    def forward(self, x):
        return x


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
