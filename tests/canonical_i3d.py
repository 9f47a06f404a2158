"""I3D weights in the canonical layouts, written from the I3D paper / DeepMind `i3d.py` channel
table (not read from `avbench.metrics.networks.i3d`): the VideoGPT/TATS state dict
(`i3d_pretrained_400.pt`) and StyleGAN-V's TorchScript archive (`i3d_torchscript.pt`, whose names
come from hassony2/kinetics_i3d_pytorch), filled with random weights."""
import math
from pathlib import Path

import torch
from torch import nn

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
    """hassony2/kinetics_i3d_pytorch names (the ancestor of StyleGAN-V's TorchScript)."""
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


def write_styleganv_archive(path: Path, seed: int = 0) -> Path:
    """A TorchScript archive with StyleGAN-V's I3D names and random weights at `path`."""
    tree = _Hassony2Tree()
    tree.load_state_dict(to_hassony2_names(random_canonical_state_dict(seed)), strict=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.script(tree).save(str(path))
    return path
