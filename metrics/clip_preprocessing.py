"""CLIP image preprocessing without torchvision: Pillow bicubic resize of the shortest edge to
224, centre crop 224, rescale to [0, 1], normalise with the OpenAI CLIP mean/std.

Two conventions, equal up to the crop offset and the last float32 bit of the rescale:
* `hf` — the Hugging Face CLIP image processor with its PIL backend (`CLIPImageProcessor` in
  transformers 4, `CLIPImageProcessorPil` in 5), used by torchmetrics' CLIPScore: crop offset
  `(size − crop) // 2`, rescale `float32(float64(x) · (1/255))`. (transformers 5 picks a
  torchvision backend when torchvision is installed; that one resizes with torch bicubic and gives
  other numbers.)
* `openai` — OpenAI `clip.load`'s transform (torchvision Resize/CenterCrop/ToTensor/Normalize on a
  PIL image), used by jmhessel/clipscore: crop offset `int(round((size − crop) / 2))` (differs by
  one pixel when size − crop ≡ 3 mod 4), rescale `float32(x) / 255`.
Both resize with `PIL.Image.resize(…, BICUBIC)` to `(int(224 · long / short), 224)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from .errors import InputError

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class CLIPImageSpec:
    """Resize of the shortest edge to `size`, centre crop `crop`, the `convention` of §module."""

    size: int = 224
    crop: int = 224
    convention: Literal["hf", "openai"] = "hf"
    mean: tuple[float, float, float] = OPENAI_CLIP_MEAN
    std: tuple[float, float, float] = OPENAI_CLIP_STD


def resized_size(height: int, width: int, size: int) -> tuple[int, int]:
    """`(h, w)` after resizing the shortest edge to `size` (torchvision/HF rule: long side truncated)."""
    if height <= width:
        return size, int(size * width / height)
    return int(size * height / width), size


def _crop_offset(length: int, crop: int, convention: str) -> int:
    if convention == "openai":
        return int(round((length - crop) / 2.0))
    return (length - crop) // 2


def clip_pixel_values(frames: np.ndarray, spec: CLIPImageSpec = CLIPImageSpec(), source: str | None = None) -> torch.Tensor:
    """uint8 RGB frames `(N, H, W, 3)` → CLIP pixel values `(N, 3, crop, crop)` float32."""
    from PIL import Image

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise InputError(source, f"expected uint8 RGB frames (N, H, W, 3), got {frames.dtype} {frames.shape}")
    n, height, width, _ = frames.shape
    new_h, new_w = resized_size(height, width, spec.size)
    if min(new_h, new_w) < spec.crop:
        raise InputError(source, f"frames of {height}x{width} cannot be centre-cropped to {spec.crop}")
    top = _crop_offset(new_h, spec.crop, spec.convention)
    left = _crop_offset(new_w, spec.crop, spec.convention)
    out = np.empty((n, spec.crop, spec.crop, 3), dtype=np.uint8)
    for i, frame in enumerate(frames):
        resized = np.asarray(Image.fromarray(frame).resize((new_w, new_h), resample=Image.Resampling.BICUBIC))
        out[i] = resized[top : top + spec.crop, left : left + spec.crop]
    if spec.convention == "openai":
        x = torch.from_numpy(out).to(torch.float32) / 255.0
    else:
        x = torch.from_numpy((out.astype(np.float64) * (1 / 255)).astype(np.float32))
    mean = torch.tensor(spec.mean, dtype=torch.float32)
    std = torch.tensor(spec.std, dtype=torch.float32)
    return ((x - mean) / std).permute(0, 3, 1, 2).contiguous()
