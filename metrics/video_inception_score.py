"""Video Inception Score on C3D (UCF-101, 101 classes) under the three incompatible protocols.

| protocol | input recipe | samples and splits | eps |
|---|---|---|---|
| `isv/tgan2` (default) | tgan2: bilinear (align_corners) to 112², BGR − mean | consecutive sets of 2048 clips, one split each, mean ± std over sets (TGANv2 runs 10 sets) | p + 1e-20 |
| `isv/tgan` | tgan: cv2 cubic 128², crop 112, BGR − mean | one split over all clips (9 984 in TGAN) | log(· + 1e-7) |
| `isv/styleganv` | tgan2 recipe (inside StyleGAN-V's TorchScript) | 2048 clips, `RandomState(42)` shuffle, 10 splits | none |

Every clip is its first 16 frames. IS grows with split size, so the protocols give different
numbers on the same clips; every result names its protocol and notes a sample count that
differs from the protocol's. Sources: pfnet-research/tgan2 (scripts/compute_inception_score.py,
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
from .errors import AvbenchError, InputError
from .fileio import sha256_file
from .inception_score import ISResult, ISScoring, LogitsState, inception_score, result_from_state, softmax64
from .networks.c3d import UCF101_CLASSES, load_c3d

@dataclass(frozen=True)
class VideoISProtocol:
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


PROTOCOLS: dict[str, VideoISProtocol] = {
    p.name: p
    for p in (
        VideoISProtocol(
            name="isv/tgan2",
            version="1",
            recipe="tgan2",
            c3d_weights="c3d-ucf101-tgan2",
            mean_weights="c3d-ucf101-mean-tgan2",
            scoring=ISScoring(splits=None, split_size=2048, eps=1e-20, eps_mode="add_to_probs"),
            reference_samples=2048 * 10,
            description="TGANv2 official code: sets of 2048 clips, one split each, mean ± std over sets",
        ),
        VideoISProtocol(
            name="isv/tgan",
            version="1",
            recipe="tgan",
            c3d_weights="c3d-ucf101-tgan2",
            mean_weights="c3d-ucf101-mean-tgan",
            scoring=ISScoring(splits=1, eps=1e-7, eps_mode="inside_logs"),
            reference_samples=9984,
            description="TGAN v1 evaluation script: one split over all clips (deterministic C3D)",
        ),
        VideoISProtocol(
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
DEFAULT_PROTOCOL = "isv/tgan2"


def get_protocol(name: str) -> VideoISProtocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise AvbenchError(f"unknown video IS protocol {name!r}; known: {', '.join(PROTOCOLS)}") from None


class VideoInceptionScore:
    """Mergeable video IS: `update` clips, `merge` shards, `compute` the protocol's score.

    The state is the fc8 logits of every clip in order; C3D and the mean clip are loaded on the
    first `update` (explicit paths, else the weights registry).
    """

    metric = "isv"

    def __init__(
        self,
        protocol: str = DEFAULT_PROTOCOL,
        c3d_path: str | Path | None = None,
        mean_path: str | Path | None = None,
        device: str | torch.device = "cpu",
        batch_size: int = 8,
        offline: bool | None = None,
        model: torch.nn.Module | None = None,
        mean: np.ndarray | None = None,
    ):
        """`model`/`mean` (a loaded `C3D` and mean clip) replace the weight files when given."""
        self.protocol = get_protocol(protocol)
        self.state = LogitsState(UCF101_CLASSES)
        self.device = torch.device(device)
        self.batch_size = batch_size
        self._paths = (c3d_path, mean_path)
        self._offline = offline
        self._model = None if model is None else model.eval().to(self.device)
        self._mean = None if mean is None else mean_clip(mean)
        self.weights_sha256: dict[str, str] = {}

    def load(self) -> None:
        """Load C3D and the mean clip now (else on the first `update`); raises WeightsError when absent."""
        c3d_path, mean_path = self._paths
        if self._model is None:
            model, sha = load_c3d(self.protocol.c3d_weights, c3d_path, self._offline)
            self._model = model.to(self.device)
            self.weights_sha256[self.protocol.c3d_weights] = sha
        if self._mean is None:
            path = weights.resolve(self.protocol.mean_weights, mean_path, self._offline)
            mean = weights.load_file(weights.get_spec(self.protocol.mean_weights), path)
            if "mean" not in mean:
                raise InputError(path, "mean file has no 'mean' array")
            self._mean = mean_clip(mean["mean"], str(path))
            self.weights_sha256[self.protocol.mean_weights] = sha256_file(path)

    def clip_inputs(self, clips: np.ndarray, source: str | None = None) -> torch.Tensor:
        """`(B, T >= 16, H, W, 3)` uint8 → the protocol's C3D input `(B, 3, 16, 112, 112)`."""
        clips = np.asarray(clips)
        if clips.ndim != 5 or clips.shape[1] < self.protocol.num_frames:
            raise InputError(source, f"{self.protocol.name} needs clips of >= {self.protocol.num_frames} frames, got shape {clips.shape}")
        if self._mean is None:
            self.load()
        return PREPROCESSORS[self.protocol.recipe](clips[:, : self.protocol.num_frames], self._mean, source)

    @torch.inference_mode()
    def logits(self, clips: np.ndarray, source: str | None = None) -> np.ndarray:
        """fc8 logits `(B, 101)` of uint8 clips `(B, T >= 16, H, W, 3)` (first 16 frames)."""
        if self._model is None:
            self.load()
        out = []
        for start in range(0, len(clips), self.batch_size):
            x = self.clip_inputs(clips[start : start + self.batch_size], source).to(self.device)
            out.append(self._model(x)["logits"].float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, UCF101_CLASSES), np.float32)

    def update(self, clips: np.ndarray, source: str | None = None) -> None:
        """Score uint8 clips `(B, T >= 16, H, W, 3)` RGB and append their logits."""
        self.state.update(self.logits(clips, source), source)

    def update_logits(self, logits: Any, source: str | None = None) -> None:
        self.state.update(logits, source)

    def merge(self, other: "VideoInceptionScore") -> "VideoInceptionScore":
        if other.protocol != self.protocol:
            raise AvbenchError(f"cannot merge {other.protocol.name} state into {self.protocol.name}")
        self.state.merge(other.state)
        return self

    def compute(self) -> ISResult:
        p = self.protocol
        result = result_from_state(self.metric, p.name, p.version, self.state, p.scoring,
                                   min_split=p.scoring.split_size, weights_sha256=self.weights_sha256)
        if p.scoring.split_size is None and result.n_samples != p.reference_samples:
            note = (f"{result.n_samples} clips where the protocol uses {p.reference_samples}: "
                    "IS depends on the split size, compare only numbers with equal counts")
            result = ISResult(**{**result.to_dict(), "notes": result.notes + (note,)})
        return result


def video_inception_score(logits: np.ndarray, protocol: str = DEFAULT_PROTOCOL) -> float:
    """The protocol's IS mean of stored `(N, 101)` C3D logits (functional twin of `compute`)."""
    return inception_score(softmax64(logits), get_protocol(protocol).scoring).mean
