"""Video Inception Score on C3D (UCF-101, 101 classes) under the three incompatible presets.

| preset | input recipe | samples and splits | eps |
|---|---|---|---|
| `isv/tgan2` (default) | tgan2: bilinear (align_corners) to 112², BGR − mean | consecutive sets of 2048 clips, one split each, mean ± std over sets (TGANv2 runs 10 sets) | p + 1e-20 |
| `isv/tgan` | tgan: cv2 cubic 128², crop 112, BGR − mean | one split over all clips (9 984 in TGAN) | log(· + 1e-7) |
| `isv/styleganv` | tgan2 recipe (inside StyleGAN-V's TorchScript) | 2048 clips, `RandomState(42)` shuffle, 10 splits | none |

Every clip is its first 16 frames. IS grows with split size, so the presets give different
numbers on the same clips; every result names its preset and notes a sample count that
differs from the preset's. Sources: pfnet-research/tgan2 (scripts/compute_inception_score.py,
tgan2/evaluations/inception_score.py), pfnet-research/tgan (evaluation/calc_inception.py),
universome/stylegan-v (src/metrics/video_inception_score.py).

Deviations, all at float rounding level unless stated: class probabilities come from a float64
softmax of the stored fc8 logits (the originals take float32 softmax outputs); TGAN v1's script
ran C3D with dropout *active* (`with using_config('train', False) and no_backprop_mode()` enters
only the second context), which is random and not reproduced — `isv/tgan` runs C3D
deterministically; how StyleGAN-V's TorchScript maps uint8 to its input and resizes is not
readable without running it, so `isv/styleganv` uses the tgan2 recipe its source names
(**unverified**).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from . import weights
from .c3d_preprocessing import CLIP_FRAMES, PREPROCESSORS, mean_clip
from .errors import InputError
from .fileio import sha256_file
from .inception_score import ISScoring, ISValue, LogitsMetric
from .media import read_video_frames
from .metric import Features, Sample
from .networks.c3d import UCF101_CLASSES, load_c3d

@dataclass(frozen=True)
class VideoISPreset:
    """Everything a video IS number depends on; `name` and `version` go into every result."""

    name: str
    version: str
    recipe: Literal["tgan2", "tgan"]
    c3d_weights: str
    mean_weights: str
    scoring: ISScoring
    reference_samples: int
    description: str
    num_frames: int = CLIP_FRAMES


PRESETS: dict[str, VideoISPreset] = {
    p.name: p
    for p in (
        VideoISPreset(
            name="isv/tgan2",
            version="1",
            recipe="tgan2",
            c3d_weights="c3d-ucf101-tgan2",
            mean_weights="c3d-ucf101-mean-tgan2",
            scoring=ISScoring(splits=None, split_size=2048, eps=1e-20, eps_mode="add_to_probs"),
            reference_samples=2048 * 10,
            description="TGANv2 official code: sets of 2048 clips, one split each, mean ± std over sets",
        ),
        VideoISPreset(
            name="isv/tgan",
            version="1",
            recipe="tgan",
            c3d_weights="c3d-ucf101-tgan2",
            mean_weights="c3d-ucf101-mean-tgan",
            scoring=ISScoring(splits=1, eps=1e-7, eps_mode="inside_logs"),
            reference_samples=9984,
            description="TGAN v1 evaluation script: one split over all clips (deterministic C3D)",
        ),
        VideoISPreset(
            name="isv/styleganv",
            version="1",
            recipe="tgan2",
            c3d_weights="c3d-ucf101-styleganv",
            mean_weights="c3d-ucf101-mean-tgan2",
            scoring=ISScoring(splits=10, shuffle_seed=42),
            reference_samples=2048,
            description="StyleGAN-V isv2048_ucf: 2048 clips, RandomState(42) shuffle, 10 splits",
        ),
    )
}


class C3DFeatures:
    """uint8 clips `(B, T >= 16, H, W, 3)` RGB → C3D fc8 logits `(B, 101)`, through the preset's
    input recipe. `model`/`mean` (a loaded `C3D` and mean clip) replace the weight files."""

    def __init__(self, preset: VideoISPreset, c3d_path: str | Path | None = None, mean_path: str | Path | None = None,
                 device: str | torch.device = "cpu", batch_size: int = 8, model: torch.nn.Module | None = None,
                 mean: np.ndarray | None = None):
        self.preset = preset
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.weights_sha256: dict[str, str] = {}
        if model is None:
            model, self.weights_sha256[preset.c3d_weights] = load_c3d(preset.c3d_weights, c3d_path)
        self.model = model.eval().to(self.device)
        if mean is None:
            path = weights.resolve(preset.mean_weights, mean_path)
            loaded = weights.load_file(weights.get_spec(preset.mean_weights), path)
            if "mean" not in loaded:
                raise InputError(path, "mean file has no 'mean' array")
            mean, source = loaded["mean"], str(path)
            self.weights_sha256[preset.mean_weights] = sha256_file(path)
        else:
            source = None
        self.mean = mean_clip(mean, source)

    def clip_inputs(self, clips: np.ndarray, source: str | None = None) -> torch.Tensor:
        """`(B, T >= 16, H, W, 3)` uint8 → the preset's C3D input `(B, 3, 16, 112, 112)`."""
        clips = np.asarray(clips)
        if clips.ndim != 5 or clips.shape[1] < self.preset.num_frames:
            raise InputError(source, f"{self.preset.name} needs clips of >= {self.preset.num_frames} frames, got shape {clips.shape}")
        return PREPROCESSORS[self.preset.recipe](clips[:, : self.preset.num_frames], self.mean, source)

    @torch.inference_mode()
    def logits(self, clips: np.ndarray, source: str | None = None) -> np.ndarray:
        """fc8 logits `(B, 101)` of uint8 clips `(B, T >= 16, H, W, 3)` (first 16 frames)."""
        out = []
        for start in range(0, len(clips), self.batch_size):
            x = self.clip_inputs(clips[start : start + self.batch_size], source).to(self.device)
            out.append(self.model(x)["logits"].float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, UCF101_CLASSES), np.float32)


class VideoInceptionScore(LogitsMetric):
    """Video IS: one C3D clip (the first 16 frames) per sample.

    Files: each sample's video. Arrays: `update(clips (B, T >= 16, H, W, 3) uint8 RGB)` adds each
    clip as one sample. `compute()` → `MetricResult`, noting a sample count that differs from the
    preset's (IS grows with split size).
    """

    name, title = "isv", "IS (video)"
    default_preset = "isv/tgan2"
    num_classes = UCF101_CLASSES

    @classmethod
    def presets(cls) -> dict[str, VideoISPreset]:
        return dict(PRESETS)

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset.c3d_weights, self.preset.mean_weights)

    def build_extractor(self) -> C3DFeatures:
        p = self.preset
        return C3DFeatures(p, self.weight_paths.get(p.c3d_weights), self.weight_paths.get(p.mean_weights), self.device,
                           self.batch_size)

    def feature_key(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"pipeline": {"network": "c3d", "preset": asdict(self.preset)}, "weights": self.weights()}

    def sample_features(self, sample: Sample) -> Features:
        video = sample.require_video()
        frames = read_video_frames(video, limit=self.preset.num_frames)
        return {"features": self.extractor.logits(frames[None], str(video))}

    def update(self, clips: np.ndarray, source: str | None = None, sample_id: str | None = None) -> None:
        """Add each clip of `clips` as one sample. `sample_id` names the sample (then `clips` holds
        one clip), so in-memory shards merge like scored files; without it, ids follow the order
        of addition."""
        if sample_id is not None and len(clips) != 1:
            raise InputError(source, f"one sample_id names one clip, got {len(clips)} clips")
        for row in self.extractor.logits(clips, source):
            self.update_logits(row[None], sample_id)

    def notes(self, value: ISValue) -> list[str]:
        p = self.preset
        notes = []
        if p.scoring.split_size is not None and min(value.split_sizes) < p.scoring.split_size:
            notes.append(f"splits of {min(value.split_sizes)} samples are below the preset's {p.scoring.split_size}: "
                         "IS grows with split size, so this number is not comparable with published ones")
        notes += super().notes(value)
        if p.scoring.split_size is None and value.n_samples != p.reference_samples:
            notes.append(f"{value.n_samples} clips where the preset uses {p.reference_samples}: "
                         "IS depends on the split size, compare only numbers with equal counts")
        return notes

