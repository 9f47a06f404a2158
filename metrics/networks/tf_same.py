"""TensorFlow "SAME" padding for convolutions and pooling.

TF pads each axis so that `out = ceil(in / stride)`, putting the odd extra element at the *end*
(PyTorch's symmetric `padding=` cannot express that). Max-pooling pads with -inf so that padded
positions never win, which is what TF's SAME pooling means (it ignores padded positions).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding TF SAME adds to an axis of `size` elements."""
    out = -(-size // stride)  # ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int], value: float = 0.0) -> torch.Tensor:
    """Pad the last `len(kernel)` axes of `x` as TF SAME does before a conv or pool."""
    sizes = x.shape[-len(kernel):]
    pads: list[int] = []
    for size, k, s in reversed(list(zip(sizes, kernel, stride))):  # F.pad lists the last axis first
        pads.extend(same_padding(size, k, s))
    if not any(pads):
        return x
    return F.pad(x, pads, value=value)


def max_pool3d_same(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int]) -> torch.Tensor:
    """`(B, C, T, H, W)` max-pool with TF SAME padding; output `(B, C, ceil(T/sT), ceil(H/sH), ceil(W/sW))`."""
    return F.max_pool3d(pad_same(x, kernel, stride, value=float("-inf")), tuple(kernel), tuple(stride))
