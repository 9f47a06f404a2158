"""Named image resize kernels, the step where Fréchet-metric implementations silently differ.

Every kernel maps `(N, C, H, W)` float32 to `(N, C, h, w)` float32 and is registered by the name
the presets use:

- `tf1-bilinear`: TensorFlow 1.x `tf.image.resize_bilinear` (align_corners=False, no half-pixel
  centres, no antialias), the kernel of the TF FVD reference and of TTUR/torch-fidelity FID.
  Follows TF's `resize_bilinear_op.cc` float32 arithmetic step by step, so on CPU it gives the
  same bits as TF and as torch-fidelity's `interpolate_bilinear_2d_like_tensorflow1x`.
- `torch-bilinear`: `F.interpolate(mode="bilinear", align_corners=False, antialias=False)`, the
  kernel of pytorch-fid and the VideoGPT/TATS FVD family.

Geometries (how the target size is reached) are separate: `direct` resizes to `size × size`
ignoring the aspect ratio; `short-side-crop` scales the shorter side to `size` (longer side
rounded up, as VideoGPT's `preprocess`) and takes the centred `size × size` crop.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

ResizeKernel = Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]


def _tf1_axis(in_size: int, out_size: int, device: torch.device):
    """Source indices and weights along one axis, in TF1's float32 arithmetic:
    `in = i * (in_size / out_size)`, `lo = floor(in)`, `hi = min(ceil(in), in_size - 1)`,
    `lerp = in - floor(in)`."""
    scale = torch.tensor(in_size, dtype=torch.float32) / torch.tensor(out_size, dtype=torch.float32)
    pos = torch.arange(out_size, dtype=torch.float32, device=device) * scale.to(device)
    floor = torch.floor(pos)
    lo = floor.long().clamp(min=0)
    hi = torch.ceil(pos).long().clamp(max=in_size - 1)
    return lo, hi, pos - floor


def resize_tf1_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """TF1-legacy bilinear resize of `(N, C, H, W)` float32 to `size = (h, w)`.

    TF interpolates each output pixel as `top = tl + (tr - tl)·dx`, `bottom = bl + (br - bl)·dx`,
    `out = top + (bottom - top)·dy`; interpolating every source row along x first and then
    picking rows performs exactly those float32 operations in that order.
    """
    if x.dtype != torch.float32 or x.dim() != 4:
        raise ValueError(f"resize_tf1_bilinear expects (N, C, H, W) float32, got {tuple(x.shape)} {x.dtype}")
    out_h, out_w = size
    n, c, in_h, in_w = x.shape
    x_lo, x_hi, dx = _tf1_axis(in_w, out_w, x.device)
    y_lo, y_hi, dy = _tf1_axis(in_h, out_h, x.device)
    # gather: much faster than index_select along the last axis; in-place steps round alike.
    left = torch.gather(x, 3, x_lo.expand(n, c, in_h, out_w))
    rows = torch.gather(x, 3, x_hi.expand(n, c, in_h, out_w)).sub_(left).mul_(dx).add_(left)
    top = rows.index_select(2, y_lo)
    return rows.index_select(2, y_hi).sub_(top).mul_(dy.view(-1, 1)).add_(top)


def resize_torch_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """`F.interpolate` bilinear (half-pixel centres, no antialias) of `(N, C, H, W)` float32."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=False)


RESIZE_KERNELS: dict[str, ResizeKernel] = {
    "tf1-bilinear": resize_tf1_bilinear,
    "torch-bilinear": resize_torch_bilinear,
}
GEOMETRIES = ("direct", "short-side-crop")


def short_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    """Size `(h, w)` whose shorter side is `size`, the longer rounded up (VideoGPT)."""
    scale = size / min(height, width)
    if height < width:
        return size, math.ceil(width * scale)
    return math.ceil(height * scale), size


def resize_frames(x: torch.Tensor, kernel: str, geometry: str, size: int) -> torch.Tensor:
    """Resize `(N, C, H, W)` float32 to `(N, C, size, size)` with a named kernel and geometry."""
    try:
        resize = RESIZE_KERNELS[kernel]
    except KeyError:
        raise ValueError(f"unknown resize kernel {kernel!r}; known: {', '.join(RESIZE_KERNELS)}") from None
    if geometry == "direct":
        return resize(x, (size, size))
    if geometry == "short-side-crop":
        x = resize(x, short_side_size(x.shape[2], x.shape[3], size))
        top = (x.shape[2] - size) // 2
        left = (x.shape[3] - size) // 2
        return x[:, :, top : top + size, left : left + size]
    raise ValueError(f"unknown resize geometry {geometry!r}; known: {', '.join(GEOMETRIES)}")
