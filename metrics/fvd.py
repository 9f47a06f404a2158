"""FVD between generated and reference videos (presets `fvd/styleganv`, `fvd/videogpt`).

Each video contributes one clip (`ClipSampling`: length, stride, offset), transformed as the
preset's `FrameTransform` says and embedded by I3D (time-averaged 400-d logits).
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .frames import check_frames, clip_indices, transform_frames
from .frechet import FrechetMetric
from .media import read_video_frames
from .metric import Features, Sample
from .networks import i3d
from .presets import FVDPreset, presets_of
from .weights import load_verified

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
    """Fréchet Video Distance (I3D features of one clip per video) against a reference set.

    Files: `map`/`sample_features` read each sample's video. Arrays: `update(videos,
    reference=False)` takes one video `(T, H, W, 3)` uint8 RGB, a batch `(B, T, H, W, 3)` or a
    list of videos (sizes may differ); `keys` name the videos for presets with a random clip
    offset, `sources` (file names) go into error messages. `compute()` → `MetricResult`.
    """

    name, title, unit = "fvd", "FVD", "clips"
    default_preset = "fvd/styleganv"

    @classmethod
    def presets(cls) -> dict[str, FVDPreset]:
        return presets_of("fvd")

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset.weights,)

    def feature_dim(self) -> int:
        return LAYER_DIMS[self.preset.layer]

    def build_extractor(self) -> I3DFeatures:
        return I3DFeatures(self.preset, self.weight_paths.get(self.preset.weights), self.device, self.batch_size)

    def feature_key(self) -> dict[str, Any]:
        p = self.preset
        return {"pipeline": {"network": "i3d", "weights": p.weights, "bn_eps": p.bn_eps, "layer": p.layer,
                             "frames": asdict(p.frames), "clip": asdict(p.clip)}, "weights": self.weights()}

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        # A random clip offset is drawn from the sample's key, so the id is part of the input.
        random = self.preset.clip.offset == "random"
        return {"video": sample.video_sha256, **({"key": sample.sample_id} if random else {})}

    def sample_features(self, sample: Sample) -> Features:
        clip = self.preset.clip
        video = sample.require_video()
        frames = read_video_frames(video, limit=clip.span if clip.offset == "start" else None)
        x = self.extractor.clip_input(frames, key=sample.sample_id, source=str(video))
        return {"features": self.extractor.forward(torch.stack([x])).numpy()}

    def update(self, videos: Any, reference: bool = False, keys: Sequence[str] | None = None,
               sources: Sequence[str | None] | None = None) -> None:
        if isinstance(videos, np.ndarray) and videos.ndim == 4:
            videos = [videos]
        self._state(reference).update(self.extractor.videos_features(list(videos), keys, sources))

