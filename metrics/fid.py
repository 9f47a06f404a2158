"""FID between generated and reference frames (presets `fid/ttur`, `fid/pytorch-fid`)."""
from __future__ import annotations

import numpy as np

from .frechet import FrechetMetric
from .inception_features import InceptionFrames
from .presets import FIDPreset, presets_of


class FID(InceptionFrames, FrechetMetric):
    """Fréchet Inception Distance over video frames (or image stacks) against a reference set.

    Files: each sample's video (every `frame_stride`-th frame). Arrays: `update(frames
    (T, H, W, 3) uint8 RGB, reference=False)` adds one video's frames. `compute()` →
    `MetricResult`. Pass `extractor=` to share one Inception network with a `KID` or `InceptionScore`
    of the same frame pipeline.
    """

    name, title, unit = "fid", "FID", "frames"
    default_preset = "fid/ttur"

    @classmethod
    def presets(cls) -> dict[str, FIDPreset]:
        return presets_of("fid")

    def update(self, frames: np.ndarray, reference: bool = False, source: str | None = None) -> None:
        self._state(reference).update(self.video_rows(frames, source))
