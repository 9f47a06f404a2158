"""FVD between generated and reference videos (presets `fvd/styleganv`, `fvd/videogpt`).

Each video contributes one clip (`ClipSampling`: length, stride, offset), transformed as the
preset's `FrameTransform` says and embedded by I3D (time-averaged 400-d logits).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from .extractor_weights import load_verified
from .frames import check_frames, clip_indices, transform_frames
from .networks import i3d
from .presets import FVDPreset, get_preset
from .set_metric import FrechetMetric, SetMetricResult, score_sets

LAYER_DIMS = {"logits": 400, "pool": 1024}


class I3DFeatures:
    """Videos `(T, H, W, 3)` uint8 RGB → `(B, dim)` float32 I3D features, one clip per video."""

    def __init__(self, preset: FVDPreset, weights_path: str | Path | None = None, device: str = "cpu",
                 batch_size: int = 8):
        self.preset = preset
        self.dim = LAYER_DIMS[preset.layer]
        self.device = torch.device(device)
        self.batch_size = batch_size
        state, self.weights_sha256, source = load_verified(preset.weights, weights_path)
        self.network = i3d.load_weights(i3d.I3D(bn_eps=preset.bn_eps), state, source).to(self.device)

    def clip_input(self, frames: np.ndarray, key: str = "", source: str | None = None) -> torch.Tensor:
        """One video's clip as network input `(3, L, 224, 224)` float32."""
        frames = check_frames(frames, source)
        clip = frames[clip_indices(frames.shape[0], self.preset.clip, key, source)]
        return transform_frames(clip, self.preset.frames).permute(1, 0, 2, 3)

    @torch.inference_mode()
    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Network input `(B, 3, L, 224, 224)` → `(B, dim)` float32."""
        return self.network(clips.to(self.device), output=self.preset.layer).float().cpu()

    def videos_features(self, videos: Sequence[np.ndarray], keys: Sequence[str] | None = None,
                        sources: Sequence[str | None] | None = None) -> np.ndarray:
        """Features `(B, dim)` of B videos, computed `batch_size` clips at a time."""
        keys = keys or [""] * len(videos)
        sources = sources or [None] * len(videos)
        out = []
        for start in range(0, len(videos), self.batch_size):
            stop = start + self.batch_size
            clips = [self.clip_input(v, k, s) for v, k, s in zip(videos[start:stop], keys[start:stop], sources[start:stop])]
            out.append(self.forward(torch.stack(clips)).numpy())
        return np.concatenate(out, axis=0) if out else np.zeros((0, self.dim), dtype=np.float32)


class FVD(FrechetMetric):
    """Fréchet Video Distance.

    `update(videos, reference=False)`: one video `(T, H, W, 3)` uint8 RGB, a batch
    `(B, T, H, W, 3)`, or a list of videos (sizes may differ); `keys` name the videos for the
    random clip offset of presets that use one, `sources` (file names) go into error messages.
    `compute()` → `SetMetricResult`. Pass `extractor=` to share one network between shards.
    """

    metric = "fvd"

    def __init__(
        self,
        preset: str | FVDPreset = "fvd/styleganv",
        weights_path: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = 8,
        extractor: I3DFeatures | None = None,
    ):
        self.preset: FVDPreset = get_preset(preset, "fvd")
        if extractor is not None and extractor.preset != self.preset:
            raise ValueError(f"the I3D extractor of {extractor.preset.name} cannot serve {self.preset.name}")
        self.extractor = extractor or I3DFeatures(self.preset, weights_path, device, batch_size)
        super().__init__()

    def update(self, videos, reference: bool = False, keys: Sequence[str] | None = None,
               sources: Sequence[str | None] | None = None) -> None:
        if isinstance(videos, np.ndarray) and videos.ndim == 4:
            videos = [videos]
        self.update_features(self.extractor.videos_features(list(videos), keys, sources), reference)


def fvd(generated: Iterable[np.ndarray], reference: Iterable[np.ndarray], **kwargs) -> SetMetricResult:
    """FVD between two iterables of `(T, H, W, 3)` uint8 videos; kwargs go to `FVD`."""
    return score_sets(FVD(**kwargs), generated, reference)
