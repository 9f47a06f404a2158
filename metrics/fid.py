"""FID between generated and reference frames (presets `fid/ttur`, `fid/pytorch-fid`)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from .inception_features import InceptionFeatures
from .presets import FIDPreset, get_preset
from .set_metric import FrechetMetric, SetMetricResult, score_sets


class FID(FrechetMetric):
    """Fréchet Inception Distance over video frames (or image stacks).

    `update(frames (T, H, W, 3) uint8 RGB, reference=False)` adds every `frame_stride`-th frame
    of one video; `compute()` → `SetMetricResult`. Pass `extractor=` to share one Inception
    network with a `KID` of the same frame transform.
    """

    metric = "fid"

    def __init__(
        self,
        preset: str | FIDPreset = "fid/ttur",
        weights_path: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = 32,
        extractor: InceptionFeatures | None = None,
    ):
        self.preset: FIDPreset = get_preset(preset, "fid")
        self.extractor = InceptionFeatures.shared(extractor, self.preset, weights_path, device, batch_size)
        super().__init__()

    def update(self, frames: np.ndarray, reference: bool = False, source: str | None = None) -> None:
        self.update_features(self.extractor.video_features(frames, source), reference)


def fid(generated: Iterable[np.ndarray], reference: Iterable[np.ndarray], **kwargs) -> SetMetricResult:
    """FID between two iterables of `(T, H, W, 3)` uint8 frame stacks; kwargs go to `FID`."""
    return score_sets(FID(**kwargs), generated, reference)
