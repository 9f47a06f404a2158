"""Resize kernels and frame transforms against independent computations."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from avbench.metrics.frames import transform_frames
from avbench.metrics.presets import PRESETS
from avbench.metrics.resize import resize_frames, resize_tf1_bilinear, short_side_size


def tf1_bilinear_reference(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TF 1.x ResizeBilinear (align_corners=False, legacy scaler), one pixel at a time in
    float32 exactly as `resize_bilinear_op.cc` writes it."""
    in_h, in_w = image.shape
    f32 = np.float32
    scale_y, scale_x = f32(in_h) / f32(out_h), f32(in_w) / f32(out_w)
    out = np.zeros((out_h, out_w), dtype=np.float32)
    for i in range(out_h):
        in_y = f32(i) * scale_y
        y0 = max(int(math.floor(in_y)), 0)
        y1 = min(int(math.ceil(in_y)), in_h - 1)
        dy = in_y - f32(math.floor(in_y))
        for j in range(out_w):
            in_x = f32(j) * scale_x
            x0 = max(int(math.floor(in_x)), 0)
            x1 = min(int(math.ceil(in_x)), in_w - 1)
            dx = in_x - f32(math.floor(in_x))
            top = image[y0, x0] + (image[y0, x1] - image[y0, x0]) * dx
            bottom = image[y1, x0] + (image[y1, x1] - image[y1, x0]) * dx
            out[i, j] = top + (bottom - top) * dy
    return out


@pytest.mark.parametrize("in_hw,out_hw", [((16, 24), (299, 299)), ((37, 53), (224, 224)), ((300, 260), (224, 111))])
def test_tf1_bilinear_is_bit_exact_against_numpy_reference(in_hw, out_hw):
    rng = np.random.default_rng(0)
    uint8_values = rng.integers(0, 256, size=(1, 2, *in_hw)).astype(np.float32)
    floats = rng.standard_normal((1, 1, *in_hw)).astype(np.float32)
    for images in (uint8_values, floats):
        ours = resize_tf1_bilinear(torch.from_numpy(images), out_hw).numpy()
        for c in range(images.shape[1]):
            np.testing.assert_array_equal(ours[0, c], tf1_bilinear_reference(images[0, c], *out_hw))


def test_tf1_bilinear_differs_from_half_pixel_bilinear():
    # The two kernels are not interchangeable: this is the difference presets pin.
    x = torch.arange(64, dtype=torch.float32).reshape(1, 1, 8, 8)
    tf1 = resize_tf1_bilinear(x, (20, 20))
    half_pixel = F.interpolate(x, size=(20, 20), mode="bilinear", align_corners=False)
    assert tf1[0, 0, 0, 0] == 0.0 and half_pixel[0, 0, 0, 0] == 0.0
    assert (tf1 - half_pixel).abs().max() > 1.0


def test_short_side_crop_geometry_follows_videogpt():
    assert short_side_size(48, 64, 224) == (224, 299)  # ceil(64 * 224 / 48) = ceil(298.67)
    assert short_side_size(64, 48, 224) == (299, 224)
    assert short_side_size(30, 30, 224) == (224, 224)
    x = torch.rand(2, 3, 48, 64)
    out = resize_frames(x, "torch-bilinear", "short-side-crop", 224)
    full = F.interpolate(x, size=(224, 299), mode="bilinear", align_corners=False)
    torch.testing.assert_close(out, full[:, :, :, 37:261], rtol=0, atol=0)  # (299 - 224) // 2 = 37


@pytest.mark.parametrize(
    "preset,value,expected",
    [
        ("fvd/styleganv", 255, 1.0), ("fvd/styleganv", 0, -1.0),
        ("fvd/videogpt", 255, 1.0), ("fvd/videogpt", 0, -1.0),
        ("fid/ttur", 128, 0.0), ("fid/ttur", 255, 127 / 128), ("fid/ttur", 0, -1.0),
        ("fid/pytorch-fid", 255, 1.0), ("fid/pytorch-fid", 0, -1.0),
    ],
)
def test_value_maps_on_constant_frames(preset, value, expected):
    transform = PRESETS[preset].frames
    frames = np.full((2, 40, 30, 3), value, dtype=np.uint8)
    out = transform_frames(frames, transform)
    assert out.shape == (2, 3, transform.size, transform.size) and out.dtype == torch.float32
    torch.testing.assert_close(out, torch.full_like(out, expected), rtol=0, atol=1e-6)


def test_tf_fvd_transform_is_resize_then_scale():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, size=(3, 20, 28, 3), dtype=np.uint8)
    out = transform_frames(frames, PRESETS["fvd/styleganv"].frames).numpy()
    for t in range(3):
        for c in range(3):
            resized = tf1_bilinear_reference(frames[t, :, :, c].astype(np.float32), 224, 224)
            expected = np.float32(2.0) * resized / np.float32(255.0) - np.float32(1.0)
            np.testing.assert_array_equal(out[t, c], expected)
