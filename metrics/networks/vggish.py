"""VGGish, the AudioSet audio embedding network of FAD, with torchvggish's key names.

Network (tensorflow/models research/audioset/vggish `vggish_slim.py`): a `(B, 1, 96, 64)` log-mel
patch (96 frames of 10 ms x 64 mel bands, from `vggish_frontend.log_mel_examples`) → conv3x3 64
→ pool2 → conv 128 → pool2 → 2x conv 256 → pool2 → 2x conv 512 → pool2 (all SAME, ReLU; SAME
3x3/stride 1 equals symmetric padding 1 and the 2x2/2 pools need none) → flatten in TF's NHWC
order (512·6·4 = 12288) → fc 4096 → fc 4096 (ReLU) → fc 128.

The TF embedding has no activation after the last layer; torchvggish appends a ReLU, which is
what `final_relu=True` reproduces. Default off (as TF, google-research FAD and gudgud96's FAD).

`VGGishPCA` is the optional AudioSet postprocessing (PCA with whitening, clip to [-2, 2],
quantise to 0..255) that reproduces the released AudioSet embeddings; FAD does not use it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .. import weights
from ..errors import WeightsError
from .loading import load_strict

EMBEDDING_SIZE = 128
NUM_FRAMES, NUM_BANDS = 96, 64  # one example: 0.96 s of 10 ms frames x 64 mel bands
_QUANTIZE_RANGE = (-2.0, 2.0)


def _vgg_stack() -> nn.Sequential:
    # Indices 0,3,6,8,11,13 are the convolutions, as in torchvggish's `features`.
    layers: list[nn.Module] = []
    in_channels = 1
    for width in (64, "pool", 128, "pool", 256, 256, "pool", 512, 512, "pool"):
        if width == "pool":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, width, kernel_size=3, padding=1), nn.ReLU()]
            in_channels = width
    return nn.Sequential(*layers)


class VGGish(nn.Module):
    """VGGish embedding network: `(B, 1, 96, 64)` or `(B, 96, 64)` log-mel examples → `(B, 128)`."""

    def __init__(self, final_relu: bool = False):
        super().__init__()
        self.final_relu = final_relu
        self.features = _vgg_stack()
        self.embeddings = nn.Sequential(
            nn.Linear(512 * 6 * 4, 4096), nn.ReLU(),
            nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, EMBEDDING_SIZE),
        )
        self.requires_grad_(False)  # a fixed feature extractor; inputs can still carry gradients

    def forward(self, examples: torch.Tensor) -> torch.Tensor:
        """`examples`: log-mel patches, 96 frames x 64 bands each → `(B, 128)` embeddings."""
        if examples.ndim == 3:
            examples = examples.unsqueeze(1)
        if examples.ndim != 4 or examples.shape[1:] != (1, NUM_FRAMES, NUM_BANDS):
            raise ValueError(f"VGGish expects (B, 1, {NUM_FRAMES}, {NUM_BANDS}) or (B, {NUM_FRAMES}, {NUM_BANDS}), "
                             f"got {tuple(examples.shape)}")
        x = self.features(examples)
        # Flatten as TF does (NHWC: height, width, channel) so fc1's weight rows line up.
        x = x.permute(0, 2, 3, 1).flatten(1)
        x = self.embeddings(x)
        return F.relu(x) if self.final_relu else x


class VGGishPCA(nn.Module):
    """AudioSet postprocessing: `(B, 128)` embeddings → PCA-whitened, clipped, quantised `(B, 128)` in 0..255."""

    def __init__(self):
        super().__init__()
        self.register_buffer("pca_eigen_vectors", torch.zeros(EMBEDDING_SIZE, EMBEDDING_SIZE))
        self.register_buffer("pca_means", torch.zeros(EMBEDDING_SIZE, 1))

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        projected = (embeddings - self.pca_means.T) @ self.pca_eigen_vectors.T
        low, high = _QUANTIZE_RANGE
        return torch.round((projected.clamp(low, high) - low) * (255.0 / (high - low)))


def from_pretrained(name: str = "vggish", path: str | Path | None = None, offline: bool | None = None,
                    final_relu: bool = False) -> VGGish:
    """VGGish with registered weights `name`, verified and loaded strictly."""
    state_dict = weights.load(name, path=path, offline=offline)
    return load_strict(VGGish(final_relu=final_relu), state_dict, source=str(path or name))


def pca_from_pretrained(name: str = "vggish-pca", path: str | Path | None = None,
                        offline: bool | None = None) -> VGGishPCA:
    """VGGishPCA with registered PCA parameters `name` (numpy arrays or tensors; means (128,) or (128, 1))."""
    source = str(path or name)
    params = weights.load(name, path=path, offline=offline)
    try:
        state_dict = {
            "pca_eigen_vectors": torch.as_tensor(np.asarray(params["pca_eigen_vectors"]), dtype=torch.float32),
            "pca_means": torch.as_tensor(np.asarray(params["pca_means"]), dtype=torch.float32).reshape(-1, 1),
        }
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"{source}: not VGGish PCA parameters ({exc})") from None
    return load_strict(VGGishPCA(), state_dict, source=source)
