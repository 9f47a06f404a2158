"""The two input recipes of the C3D video Inception Score, exactly as TGAN and TGANv2 feed C3D.

Both read uint8 RGB clips `(B, 16, H, W, 3)` and produce `(B, 3, 16, 112, 112)` float32 BGR on
the 0-255 scale minus the UCF-101 mean clip. TGAN and TGANv2 map stored uint8 video u to their
[-1, 1] range by (u − 128)/128 (tgan2:tgan2/datasets/h5video.py, tgan:datasets/ucf_dataset.py)
and back by ×128 + 128, so the pixel values entering both recipes are u itself.

* `tgan2` (pfnet-research/tgan2:tgan2/models/c3d/c3d_ucf101.py): ×128 with RGB→BGR (the `pre`
  1×1×1 convolution), Chainer `F.resize_images` straight to 112×112 (bilinear on the
  `linspace(0, H−1, 112)` grid, i.e. align_corners=True; Chainer 6.0.0 of tgan2's Docker image
  has no other mode), then + (128 − mean[:, :, 8:120, 8:120]).
* `tgan` (pfnet-research/tgan:evaluation/calc_inception.py): every frame `cv2.resize(…, (128,
  128), INTER_CUBIC)` in float32, channels reversed to BGR, minus the mean clip cropped to
  columns 21:149, then the centre 112×112 crop [8:120, 8:120].
"""
from __future__ import annotations

import numpy as np
import torch

from .errors import InputError

CLIP_FRAMES = 16
C3D_SIZE = 112
_MEAN_SHAPE = (3, CLIP_FRAMES, 128, 171)


def mean_clip(array: np.ndarray, source: str = "mean2.npz") -> np.ndarray:
    """The UCF-101 mean clip of a `mean2.npz` ('mean' array) as `(3, 16, 128, 171)` float64, BGR."""
    array = np.asarray(array)
    if array.size != int(np.prod(_MEAN_SHAPE)):
        raise InputError(source, f"mean clip has {array.size} values, expected {_MEAN_SHAPE}")
    return array.reshape(_MEAN_SHAPE).astype(np.float64)


def chainer_resize_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Chainer's `F.resize_images` (bilinear): `(N, C, H, W)` float32 → `(N, C, h, w)`.

    Source rows/columns are `linspace(0, H−1, h)` computed in float64 (align_corners=True); the
    fractional weights are cast to the input dtype as Chainer does.
    """
    _, _, height, width = x.shape
    out_h, out_w = size

    def axis(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        pos = np.linspace(0, n_in - 1, num=n_out, dtype=np.float64)
        frac, lo = np.modf(pos)
        lo = lo.astype(np.int64)
        hi = np.minimum(lo + 1, n_in - 1)
        return torch.from_numpy(lo), torch.from_numpy(hi), torch.from_numpy(frac).to(x.dtype)

    v0, v1, vw = axis(height, out_h)
    u0, u1, uw = axis(width, out_w)
    vw = vw.view(-1, 1)
    top_left, top_right = x[:, :, v0][..., u0], x[:, :, v0][..., u1]
    bottom_left, bottom_right = x[:, :, v1][..., u0], x[:, :, v1][..., u1]
    return ((1 - vw) * (1 - uw) * top_left + (1 - vw) * uw * top_right) + (
        vw * (1 - uw) * bottom_left + vw * uw * bottom_right
    )


def _check_clips(clips: np.ndarray, source: str | None) -> np.ndarray:
    clips = np.asarray(clips)
    if clips.ndim != 5 or clips.shape[1] != CLIP_FRAMES or clips.shape[-1] != 3:
        raise InputError(source, f"expected (B, {CLIP_FRAMES}, H, W, 3) clips, got shape {clips.shape}")
    if clips.dtype != np.uint8:
        raise InputError(source, f"expected uint8 frames, got {clips.dtype}")
    return clips


def preprocess_tgan2(clips: np.ndarray, mean: np.ndarray, source: str | None = None) -> torch.Tensor:
    """TGANv2 recipe: uint8 `(B, 16, H, W, 3)` RGB → `(B, 3, 16, 112, 112)` float32 BGR − mean."""
    clips = _check_clips(clips, source)
    b, t, h, w, _ = clips.shape
    # (u − 128)/128 is the clip in tgan2's [-1, 1]; `pre` multiplies by 128 and swaps to BGR.
    x = (torch.from_numpy(clips).to(torch.float32) - 128.0) / 128.0
    x = x.clamp(-1.0, 1.0) * 128.0
    x = x.flip(-1).permute(0, 1, 4, 2, 3).reshape(b * t, 3, h, w)
    x = chainer_resize_bilinear(x, (C3D_SIZE, C3D_SIZE))
    x = x.reshape(b, t, 3, C3D_SIZE, C3D_SIZE).permute(0, 2, 1, 3, 4)
    bias = torch.from_numpy((128.0 - mean[:, :, 8 : 8 + C3D_SIZE, 8 : 8 + C3D_SIZE]).astype(np.float32))
    return (x + bias).contiguous()


def preprocess_tgan(clips: np.ndarray, mean: np.ndarray, source: str | None = None) -> torch.Tensor:
    """TGAN v1 recipe: uint8 `(B, 16, H, W, 3)` RGB → `(B, 3, 16, 112, 112)` float32 BGR − mean."""
    import cv2

    clips = _check_clips(clips, source)
    b, t = clips.shape[:2]
    frames = clips.reshape(b * t, *clips.shape[2:]).astype(np.float32)
    resized = np.stack([cv2.resize(f, (128, 128), interpolation=cv2.INTER_CUBIC) for f in frames])
    x = resized.reshape(b, t, 128, 128, 3).transpose(0, 4, 1, 2, 3)[:, ::-1]
    x = x - mean[:, :, :, 21 : 21 + 128].astype(np.float32)[None]
    x = x[:, :, :, 8 : 8 + C3D_SIZE, 8 : 8 + C3D_SIZE]
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


PREPROCESSORS = {"tgan2": preprocess_tgan2, "tgan": preprocess_tgan}
