"""Frame features of the TF Inception-v3 (2015-12-05) for FID and KID presets.

Frames go through the preset's `FrameTransform` (value map and resize, `metrics.frames`) and
the network in batches; a video contributes every `frame_stride`-th frame.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np
import torch

from .extractor_weights import load_verified
from .frames import check_frames, transform_frames
from .networks import inception
from .networks.loading import load_strict
from .presets import FIDPreset, KIDPreset

FramePreset = Union[FIDPreset, KIDPreset]
LAYER_DIMS = {"pool": 2048, "logits_unbiased": 1008}


def feature_pipeline(preset: FramePreset) -> tuple:
    """What decides the features: two presets agreeing here can share one extractor."""
    return preset.weights, preset.layer, preset.frames, preset.frame_stride


class InceptionFeatures:
    """`(T, H, W, 3)` uint8 RGB frames → `(T', dim)` float32 Inception features."""

    def __init__(
        self,
        preset: FramePreset,
        weights_path: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = 32,
    ):
        self.preset = preset
        self.dim = LAYER_DIMS[preset.layer]
        self.device = torch.device(device)
        self.batch_size = batch_size
        state, self.weights_sha256, source = load_verified(preset.weights, weights_path)
        self.network = load_strict(inception.InceptionV3TF(), state, source).to(self.device)

    @classmethod
    def shared(
        cls, extractor: "InceptionFeatures | None", preset: FramePreset, weights_path, device: str, batch_size: int
    ) -> "InceptionFeatures":
        """`extractor` if it computes exactly what `preset` asks for, else a new one for `preset`."""
        if extractor is None:
            return cls(preset, weights_path, device, batch_size)
        if feature_pipeline(extractor.preset) != feature_pipeline(preset):
            raise ValueError(f"the Inception extractor of {extractor.preset.name} cannot serve {preset.name}")
        return extractor

    def network_input(self, frames: np.ndarray) -> torch.Tensor:
        """`(N, H, W, 3)` uint8 → `(N, 3, 299, 299)` float32 as the preset prescribes."""
        return transform_frames(frames, self.preset.frames)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Network input `(N, 3, 299, 299)` → `(N, dim)` float32 features of the preset's layer."""
        return self.network(x.to(self.device))[self.preset.layer].float().cpu()

    def frame_features(self, frames: np.ndarray, source: str | None = None) -> np.ndarray:
        """Features `(N, dim)` of every one of `(N, H, W, 3)` uint8 frames, `batch_size` at a time."""
        frames = check_frames(frames, source)
        out = [
            self.forward(self.network_input(frames[i : i + self.batch_size])).numpy()
            for i in range(0, frames.shape[0], self.batch_size)
        ]
        return np.concatenate(out, axis=0)

    def video_features(self, frames: np.ndarray, source: str | None = None) -> np.ndarray:
        """Features of every `frame_stride`-th frame of one video's `(T, H, W, 3)` uint8 frames."""
        return self.frame_features(check_frames(frames, source)[:: self.preset.frame_stride], source)
