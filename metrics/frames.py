"""Decoded frames → network input, as a preset's `FrameTransform` and `ClipSampling` say.

Each value map is a pair of steps around the resize, in the float32 operation order of the
implementation it reproduces (the order changes the last bits):

- `tf-fvd` (google-research FVD): resize the 0..255 values, then `2·x/255 − 1`.
- `videogpt` (VideoGPT `preprocess`): `x/255`, resize, then `(x − 0.5)·2`.
- `ttur` (torch-fidelity, the TF Inception graph): resize the 0..255 values, then `(x − 128)/128`.
- `pytorch-fid`: `x/255` (torchvision `ToTensor`), resize, then `2·x − 1`.
"""
from __future__ import annotations

import zlib
from typing import Callable

import numpy as np
import torch

from .errors import InputError
from .presets import ClipSampling, FrameTransform
from .resize import resize_frames

Step = Callable[[torch.Tensor], torch.Tensor]

VALUE_MAPS: dict[str, tuple[Step, Step]] = {
    "tf-fvd": (lambda x: x, lambda x: 2.0 * x / 255.0 - 1.0),
    "videogpt": (lambda x: x / 255.0, lambda x: (x - 0.5) * 2.0),
    "ttur": (lambda x: x, lambda x: (x - 128.0) / 128.0),
    "pytorch-fid": (lambda x: x / 255.0, lambda x: 2.0 * x - 1.0),
}


def check_frames(frames: np.ndarray, source: str | None = None) -> np.ndarray:
    """Validate decoded frames: `(T, H, W, 3)` uint8 RGB with T >= 1."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise InputError(source, f"expected frames (T, H, W, 3) uint8 RGB, got {frames.shape} {frames.dtype}")
    return frames


def transform_frames(frames: np.ndarray, transform: FrameTransform) -> torch.Tensor:
    """`(T, H, W, 3)` uint8 → `(T, 3, size, size)` float32 network input."""
    before, after = VALUE_MAPS[transform.value_map]
    # Reorder the uint8 bytes first: cheaper than reordering float32, and the kernels want NCHW.
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).contiguous().to(torch.float32)
    x = resize_frames(before(x), transform.resize_kernel, transform.geometry, transform.size)
    return after(x).contiguous()


def clip_indices(n_frames: int, clip: ClipSampling, key: str = "", source: str | None = None) -> np.ndarray:
    """Frame indices of the clip a video of `n_frames` contributes.

    A video shorter than the clip's span is an InputError: padding or looping would invent
    frames. A random offset depends only on `clip.seed` and `key` (e.g. the file name), so
    sharded and one-pass runs draw the same clips.
    """
    if n_frames < clip.span:
        raise InputError(
            source,
            f"video has {n_frames} frames; the preset needs {clip.span} "
            f"({clip.length} frames at stride {clip.stride})",
        )
    start = 0
    if clip.offset == "random":
        if not key:
            raise InputError(source, "a random clip offset needs the video's key (e.g. its file name)")
        rng = np.random.default_rng([clip.seed, zlib.crc32(key.encode("utf-8"))])
        start = int(rng.integers(0, n_frames - clip.span + 1))
    return start + clip.stride * np.arange(clip.length)
