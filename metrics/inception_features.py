"""Frame features of the TF Inception-v3 (2015-12-05) for the FID, KID and frame IS presets.

Frames go through the preset's `FrameTransform` (value map and resize, `metrics.frames`) and
the network in batches; a video contributes every `frame_stride`-th frame. `InceptionFrames`
gives the three metrics their common feature step, so presets that agree on the pipeline share
one network and one feature cache entry per video.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch

from .frames import check_frames, transform_frames
from .media import read_video_frames
from .metric import Features, Sample
from .networks import inception
from .networks.loading import load_strict
from .presets import FIDPreset, KIDPreset
from .weights import load_verified

FramePreset = Union[FIDPreset, KIDPreset, Any]  # and the frame IS presets (metrics.inception_score)
LAYER_DIMS = {"pool": 2048, "logits_unbiased": 1008}


def feature_pipeline(preset: FramePreset) -> tuple:
    """What decides the features: two presets agreeing here can share one extractor."""
    return preset.weights, preset.layer, preset.frames, preset.frame_stride


class InceptionFeatures:
    """`(T, H, W, 3)` uint8 RGB frames → `(T', dim)` float32 Inception features."""

    def __init__(self, preset: FramePreset, weights_path: str | Path | None = None, device: str = "cpu",
                 batch_size: int = 32):
        self.preset = preset
        self.dim = LAYER_DIMS[preset.layer]
        self.device = torch.device(device)
        self.batch_size = batch_size
        state, self.weights_sha256, source = load_verified(preset.weights, weights_path)
        self.network = load_strict(inception.InceptionV3TF(), state, source).to(self.device)

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


class InceptionFrames:
    """The feature step of FID, KID and frame IS (a mixin of `NetworkMetric`s whose presets have
    `weights`, `layer`, `frames` and `frame_stride`): Inception features of every
    `frame_stride`-th frame of the sample's video, `{"features": (T', dim) float32}`."""

    preset: FramePreset
    weight_paths: dict[str, str]
    device: str
    batch_size: int
    extractor: InceptionFeatures

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset.weights,)

    def feature_dim(self) -> int:
        return LAYER_DIMS[self.preset.layer]

    def can_share(self, extractor: InceptionFeatures) -> bool:
        return feature_pipeline(extractor.preset) == feature_pipeline(self.preset)

    def build_extractor(self) -> InceptionFeatures:
        return InceptionFeatures(self.preset, self.weight_paths.get(self.preset.weights), self.device, self.batch_size)

    def feature_key(self) -> dict[str, Any]:
        weights, layer, frames, stride = feature_pipeline(self.preset)
        return {"pipeline": {"network": "inception-tf", "weights": weights, "layer": layer, "frames": asdict(frames),
                             "frame_stride": stride}, "weights": self.weights()}  # type: ignore[attr-defined]

    def sample_features(self, sample: Sample) -> Features:
        video = sample.require_video()
        frames = read_video_frames(video, stride=self.preset.frame_stride)
        return {"features": self.extractor.frame_features(frames, str(video))}

    def video_rows(self, frames: np.ndarray, source: str | None = None) -> np.ndarray:
        """Features of one in-memory video `(T, H, W, 3)` uint8 (its `frame_stride`-th frames)."""
        return self.extractor.video_features(frames, source)
