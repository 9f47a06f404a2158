"""I3D (Inception-v1 inflated to 3-D), RGB stream, Kinetics-400: the FVD feature extractor.

The topology is DeepMind's `kinetics-i3d` as exported to TF-Hub `deepmind/i3d-kinetics-400/1`
(the network of the reference FVD): TF "SAME" padding (odd extra element at the end), BatchNorm
without learned scale, ReLU, SAME max-pools, then `avg_pool3d(2x7x7, VALID)` and a 1x1x1 conv
with bias to 400 logits, averaged over the remaining time steps.

Which output each FVD lineage uses (google-research frechet_video_distance, StyleGAN-V, VideoGPT): all of them — google-research
(`RGB/inception_i3d/Mean:0`), StyleGAN-V (`return_features=True`), VideoGPT/TATS/DIGAN/
MM-Diffusion (`logits.mean(dim=2)`) — use the 400-d pre-softmax logits *averaged over time*:
the logits are computed per remaining time step and then averaged (`output="logits"`). They
differ in BatchNorm eps: 1e-3 in the TF-Hub graph and StyleGAN-V's TorchScript, 1e-5 in the
VideoGPT family, so `bn_eps` is a constructor parameter that the FVD presets pin.

`output="pool"` gives the 1024-d average-pooled features before the logits conv, averaged over
time; since the logits conv is linear, `logits == pool @ W.T + b` up to rounding. No canonical
FVD uses it.

Key names are those of piergiaj/pytorch-i3d as used by VideoGPT/TATS, so
`i3d_pretrained_400.pt` loads with `strict=True`. StyleGAN-V's `i3d_torchscript.pt` is read
without running its code (`metrics.torchscript_archive`) and its hassony2-style names
(`conv3d_1a_7x7.batch3d.*`, `mixed_3b.branch_1.0.*`, `conv3d_0c_1x1.*`) are mapped by
`videogpt_keys_from_hassony2`. If a StyleGAN-V archive should use other names, extract its state
dict yourself (`torch.jit.load(f).state_dict()`, then `torch.save(dict(sd), "i3d_state.pt")`) and
pass the loaded dict to `load_weights`, which reports the names it could not map.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import torch
from torch import nn
import torch.nn.functional as F

from .. import weights
from ..errors import WeightsError
from .loading import load_strict
from .tf_same import max_pool3d_same, pad_same

INPUT_SIZE = 224  # pixels; the 7x7 average pool must see a 7x7 map
MIN_FRAMES = 9  # three temporal stride-2 stages must leave >= 2 steps for the 2-step average pool

# Inception modules: name -> (input channels, (b0, b1a, b1b, b2a, b2b, b3b) output channels).
_MIXED: dict[str, tuple[int, tuple[int, int, int, int, int, int]]] = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}
# Max-pools (kernel, stride) that precede a group of modules, in (T, H, W) order.
_POOL_BEFORE = {
    "Mixed_4b": ((3, 3, 3), (2, 2, 2)),  # MaxPool3d_4a_3x3
    "Mixed_5b": ((2, 2, 2), (2, 2, 2)),  # MaxPool3d_5a_2x2
}
_POOL_2A_3A = ((1, 3, 3), (1, 2, 2))  # MaxPool3d_2a_3x3 and MaxPool3d_3a_3x3


class Unit3D(nn.Module):
    """TF-SAME Conv3d, then BatchNorm (no bias in the conv) and ReLU, or a plain conv with bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, int, int],
                 stride: tuple[int, int, int] = (1, 1, 1), bn_eps: float | None = None):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel, stride=stride, bias=bn_eps is None)
        self.bn = None if bn_eps is None else nn.BatchNorm3d(out_channels, eps=bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(pad_same(x, self.kernel, self.stride))
        if self.bn is None:
            return x
        return F.relu(self.bn(x))


class InceptionModule(nn.Module):
    """Four branches (1x1; 1x1→3x3; 1x1→3x3; 3x3 max-pool→1x1) concatenated on channels."""

    def __init__(self, in_channels: int, out: tuple[int, int, int, int, int, int], bn_eps: float):
        super().__init__()
        one, three = (1, 1, 1), (3, 3, 3)
        self.b0 = Unit3D(in_channels, out[0], one, bn_eps=bn_eps)
        self.b1a = Unit3D(in_channels, out[1], one, bn_eps=bn_eps)
        self.b1b = Unit3D(out[1], out[2], three, bn_eps=bn_eps)
        self.b2a = Unit3D(in_channels, out[3], one, bn_eps=bn_eps)
        self.b2b = Unit3D(out[3], out[4], three, bn_eps=bn_eps)
        self.b3b = Unit3D(in_channels, out[5], one, bn_eps=bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = max_pool3d_same(x, (3, 3, 3), (1, 1, 1))
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(pooled)], dim=1)


class I3D(nn.Module):
    """I3D RGB network; a fixed feature extractor: always in eval mode, parameters frozen.

    `bn_eps`: BatchNorm epsilon — 1e-3 reproduces TF-Hub/StyleGAN-V, 1e-5 the VideoGPT family.
    """

    def __init__(self, num_classes: int = 400, bn_eps: float = 1e-3):
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), stride=(2, 2, 2), bn_eps=bn_eps)
        self.Conv3d_2b_1x1 = Unit3D(64, 64, (1, 1, 1), bn_eps=bn_eps)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3), bn_eps=bn_eps)
        for name, (in_channels, out) in _MIXED.items():
            self.add_module(name, InceptionModule(in_channels, out, bn_eps))
        self.logits = Unit3D(1024, num_classes, (1, 1, 1), bn_eps=None)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "I3D":
        # Training mode would make BatchNorm use batch statistics and silently change every feature.
        return super().train(False)

    def pooled_map(self, x: torch.Tensor) -> torch.Tensor:
        """`(B, 3, T, 224, 224)` in [-1, 1] → `(B, 1024, ceil(T/8) - 1, 1, 1)` average-pooled features."""
        if x.ndim != 5 or x.shape[1] != 3 or x.shape[3:] != (INPUT_SIZE, INPUT_SIZE) or x.shape[2] < MIN_FRAMES:
            raise ValueError(
                f"I3D expects (B, 3, T, {INPUT_SIZE}, {INPUT_SIZE}) with T >= {MIN_FRAMES}, got {tuple(x.shape)}"
            )
        x = self.Conv3d_1a_7x7(x)
        x = max_pool3d_same(x, *_POOL_2A_3A)
        x = self.Conv3d_2c_3x3(self.Conv3d_2b_1x1(x))
        x = max_pool3d_same(x, *_POOL_2A_3A)
        for name in _MIXED:
            if name in _POOL_BEFORE:
                x = max_pool3d_same(x, *_POOL_BEFORE[name])
            x = getattr(self, name)(x)
        return F.avg_pool3d(x, kernel_size=(2, 7, 7), stride=1)

    def forward(self, x: torch.Tensor, output: str = "logits") -> torch.Tensor:
        """`x`: `(B, 3, T, 224, 224)` float32 in [-1, 1], T >= 9 frames.

        `output="logits"` → `(B, num_classes)` pre-softmax logits averaged over time (the FVD
        feature); `output="pool"` → `(B, 1024)` pooled features averaged over time.
        """
        if output not in ("logits", "pool"):
            raise ValueError(f"I3D output must be 'logits' or 'pool', got {output!r}")
        pooled = self.pooled_map(x)
        # The spatial axes are 1x1 here, so flattening them with time and averaging is a time mean.
        if output == "logits":
            return self.logits(pooled).flatten(2).mean(dim=2)
        return pooled.flatten(2).mean(dim=2)


# StyleGAN-V's TorchScript derives from hassony2/kinetics_i3d_pytorch (src/i3dpt.py); its names
# map one-to-one onto piergiaj's.
_HASSONY2_UNITS = {
    "conv3d_1a_7x7": "Conv3d_1a_7x7",
    "conv3d_2b_1x1": "Conv3d_2b_1x1",
    "conv3d_2c_3x3": "Conv3d_2c_3x3",
    "conv3d_0c_1x1": "logits",
}
_HASSONY2_BRANCHES = {
    "branch_0": "b0",
    "branch_1.0": "b1a",
    "branch_1.1": "b1b",
    "branch_2.0": "b2a",
    "branch_2.1": "b2b",
    "branch_3.1": "b3b",
}
_HASSONY2_LAYERS = {"conv3d": "conv3d", "batch3d": "bn"}
_HASSONY2_KEY = re.compile(
    r"^(?:(?P<unit>conv3d_\w+?)|mixed_(?P<mixed>\d[a-z])\.(?P<branch>branch_\d(?:\.\d)?))"
    r"\.(?P<layer>conv3d|batch3d)\.(?P<param>\w+)$"
)


def is_hassony2_layout(state_dict: Mapping[str, torch.Tensor]) -> bool:
    """True when the keys are hassony2/StyleGAN-V style (`conv3d_1a_7x7.batch3d.*`)."""
    return any(key.startswith("conv3d_1a_7x7.") for key in state_dict)


def videogpt_keys_from_hassony2(state_dict: Mapping[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """Rename a hassony2-style I3D state dict (StyleGAN-V TorchScript) to the VideoGPT layout."""
    renamed: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for key, value in state_dict.items():
        match = _HASSONY2_KEY.match(key)
        unit = None
        if match and match["unit"]:
            unit = _HASSONY2_UNITS.get(match["unit"])
        elif match and match["branch"] in _HASSONY2_BRANCHES:
            unit = f"Mixed_{match['mixed']}.{_HASSONY2_BRANCHES[match['branch']]}"
        if unit is None:
            unknown.append(key)
            continue
        renamed[f"{unit}.{_HASSONY2_LAYERS[match['layer']]}.{match['param']}"] = value
    if unknown:
        raise WeightsError(f"{source}: {len(unknown)} I3D keys have no known mapping, e.g. {unknown[:3]}")
    return renamed


def load_weights(model: I3D, state_dict: Mapping[str, torch.Tensor], source: str = "state dict") -> I3D:
    """Load a VideoGPT/TATS-layout or hassony2/StyleGAN-V-layout state dict strictly into `model`."""
    if is_hassony2_layout(state_dict):
        state_dict = videogpt_keys_from_hassony2(state_dict, source)
    return load_strict(model, state_dict, source)


def from_pretrained(name: str, *, bn_eps: float, path: str | Path | None = None,
                    offline: bool | None = None) -> I3D:
    """I3D with registered weights `name` (`i3d-videogpt` or `i3d-styleganv`), verified and loaded strictly.

    `bn_eps` is required because it is a preset parameter (1e-3 TF-Hub/StyleGAN-V, 1e-5 VideoGPT).
    """
    state_dict = weights.load(name, path=path, offline=offline)
    return load_weights(I3D(bn_eps=bn_eps), state_dict, source=str(path or name))
