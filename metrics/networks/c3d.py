"""C3D v1.0 (Sports-1M, fine-tuned on UCF-101, 101 classes) in plain torch, as TGAN/TGANv2 run it
in Chainer for the video Inception Score.

Layer list of pfnet-research/tgan2:tgan2/models/c3d/c3d_ucf101.py: eight 3×3×3 convolutions
(stride 1, pad 1, bias, ReLU), max-pools (1,2,2) then 2×2×2, fc6 8192→4096, fc7 4096→4096,
fc8 4096→101. Chainer's `max_pooling_nd` defaults to `cover_all=True`, i.e. ceil-mode output sizes
(112 → 56 → 28 → 14 → 7 → **4**, which is why fc6 has 512·1·4·4 inputs); every pool here uses
`ceil_mode=True`, which equals `cover_all` for kernel = stride = 2. Dropout is identity at
inference. The input is the clip preprocessed as the preset says (see metrics/video_inception_score.py):
`(B, 3, 16, 112, 112)` float32, BGR, on the 0-255 scale minus the UCF-101 mean clip.

Weights: the Chainer `.npz` of tgan2 (`conv1a/W`, `conv1a/b`, …, `fc8/b`; W of ConvolutionND is
`[Cout, Cin, kT, kH, kW]`, of Linear `[out, in]`, the layouts of torch), or StyleGAN-V's
TorchScript `c3d_ucf101.pt` (its tensors read without running it) or a state dict taken from it.
That file's parameter names are not published; the mapping accepts the Chainer layer names with
`.weight`/`.bias` under any prefix and says which tensors it misses otherwise (**unverified**
against the real file).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

from ..errors import WeightsError
from ..fileio import sha256_file
from .. import weights
from ..weights import WeightSpec
from .loading import load_strict

CONV_LAYERS = ("conv1a", "conv2a", "conv3a", "conv3b", "conv4a", "conv4b", "conv5a", "conv5b")
FC_LAYERS = ("fc6", "fc7", "fc8")
_CONV_CHANNELS = {
    "conv1a": (3, 64),
    "conv2a": (64, 128),
    "conv3a": (128, 256),
    "conv3b": (256, 256),
    "conv4a": (256, 512),
    "conv4b": (512, 512),
    "conv5a": (512, 512),
    "conv5b": (512, 512),
}
UCF101_CLASSES = 101
# The Chainer model gains these two links after its weights are loaded (input scaling and the mean
# clip); an npz saved from the full model carries them, and they are rebuilt from the preset.
_CHAINER_PREPROCESSING_KEYS = ("pre/W", "mean/b")


class C3D(nn.Module):
    """C3D UCF-101 classifier. `forward(x (B, 3, 16, 112, 112) float32)` → dict of
    `fc6`, `fc7` (B, 4096) post-ReLU and `logits` (B, 101) = fc8 (softmax gives tgan2's `prob`)."""

    def __init__(self, num_classes: int = UCF101_CLASSES):
        super().__init__()
        for name, (c_in, c_out) in _CONV_CHANNELS.items():
            self.add_module(name, nn.Conv3d(c_in, c_out, kernel_size=3, stride=1, padding=1))
        self.fc6 = nn.Linear(512 * 4 * 4, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, num_classes)
        self.pool1 = nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), ceil_mode=True)
        self.pool = nn.MaxPool3d(kernel_size=2, stride=2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        relu = torch.relu
        h = self.pool1(relu(self.conv1a(x)))
        h = self.pool(relu(self.conv2a(h)))
        h = self.pool(relu(self.conv3b(relu(self.conv3a(h)))))
        h = self.pool(relu(self.conv4b(relu(self.conv4a(h)))))
        h = self.pool(relu(self.conv5b(relu(self.conv5a(h)))))
        fc6 = relu(self.fc6(h.flatten(1)))
        fc7 = relu(self.fc7(fc6))
        return {"fc6": fc6, "fc7": fc7, "logits": self.fc8(fc7)}


def state_dict_from_chainer(arrays: Mapping[str, object], source: str = "C3D npz") -> dict[str, torch.Tensor]:
    """Map tgan2's Chainer npz (`conv1a/W`, `conv1a/b`, …) to `C3D` state-dict keys."""
    state: dict[str, torch.Tensor] = {}
    unexpected = []
    for key, value in arrays.items():
        layer, _, param = key.lstrip("/").rpartition("/")
        if key.lstrip("/") in _CHAINER_PREPROCESSING_KEYS:
            continue
        if layer in CONV_LAYERS + FC_LAYERS and param in ("W", "b"):
            state[f"{layer}.{'weight' if param == 'W' else 'bias'}"] = torch.as_tensor(value)
        else:
            unexpected.append(key)
    if unexpected:
        raise WeightsError(f"{source}: unexpected arrays {', '.join(sorted(unexpected)[:6])} in a C3D npz")
    return state


def state_dict_from_torch(state: Mapping[str, torch.Tensor], source: str = "C3D state dict") -> dict[str, torch.Tensor]:
    """Map a torch state dict of the same network to `C3D` keys.

    Accepts the layer names of the Chainer model with `.weight`/`.bias` (or `.W`/`.b`) under any
    prefix (`model.`, `c3d.`, …); tensors of other modules (e.g. a stored mean clip) are ignored.
    """
    found: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if len(parts) < 2 or parts[-2] not in CONV_LAYERS + FC_LAYERS:
            continue
        param = {"weight": "weight", "W": "weight", "bias": "bias", "b": "bias"}.get(parts[-1])
        if param is None:
            continue
        name = f"{parts[-2]}.{param}"
        if name in found:
            raise WeightsError(f"{source}: two tensors map to {name}; pass a state dict of one C3D only")
        found[name] = value
    return found


def c3d_from_state(state: Mapping[str, object], source: str) -> C3D:
    """A `C3D` in eval mode loaded (strictly) from a Chainer npz dict or a torch state dict."""
    is_chainer = any("/" in key for key in state)
    mapped = state_dict_from_chainer(state, source) if is_chainer else state_dict_from_torch(state, source)  # type: ignore[arg-type]
    return load_strict(C3D(), {k: v.to(torch.float32) for k, v in mapped.items()}, source).eval()


def _loader_for(path: Path) -> str:
    """The safe loader a C3D file needs, read from its content: npz, TorchScript or torch.save."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return "torch"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "torchscript" if any(n.endswith("/constants.pkl") for n in names) else "torch"


def load_c3d(name: str, path: str | Path | None = None, offline: bool | None = None) -> tuple[C3D, str]:
    """C3D (eval mode) from registered weights `name`, or from `path` — tgan2's npz, StyleGAN-V's
    TorchScript `c3d_ucf101.pt`, or a torch state dict of either — and the file's sha256."""
    spec = weights.get_spec(name)
    resolved = weights.resolve(name, path, offline)
    loader = _loader_for(resolved)
    state = weights.load_file(WeightSpec(spec.name, spec.filename, spec.url, spec.sha256, spec.license, loader), resolved)
    return c3d_from_state(state, str(resolved)), sha256_file(resolved)
