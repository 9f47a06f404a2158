"""Normalising what an upstream or driver wrote into avbench's per-sample pair:
`<id>.mp4` (H.264 yuv420p, native size, exact rational fps, frame count asserted) and `<id>.wav`
(the exact conditioning segment, cut from the ORIGINAL audio at its native rate and channels with
`benchmark.adapters.segments.write_audio_segment`, never from the upstream's own mp4/MP3 track)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import librosa
import numpy as np

from avbench.metrics.media import probe
from avbench.metrics.media.edit import audio_segment, write_mp4
from avbench.metrics.errors import AvbenchError, InputError

# TATS's save_video_grid (nrow=1) puts the frame at the top left of a zero canvas one pixel
# larger than the frame plus one pixel of padding on each axis: (h + 2) x (w + 2), frame in [:h, :w].
TATS_GRID_PADDING = 2


def load_frames(path: Path) -> np.ndarray:
    """Raw frames a driver saved: `(T, H, W, 3) uint8` from a .npy (never unpickled)."""
    try:
        frames = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(path, f"not a readable frame array ({exc})") from None
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise InputError(path, f"expected (T, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    return frames


def undo_tats_grid(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """`(T, H', W', 3)` frames decoded from a TATS `generation_*.avi` back to the model's
    `(T, height, width, 3)`: imageio's macro-block rescale (to multiples of 16) is undone by an
    area resize to the grid size `(height + 2, width + 2)`, then the padding is cropped away."""
    grid_h, grid_w = height + TATS_GRID_PADDING, width + TATS_GRID_PADDING
    if frames.shape[1:3] != (grid_h, grid_w):
        frames = np.stack([cv2.resize(f, (grid_w, grid_h), interpolation=cv2.INTER_AREA) for f in frames])
    return np.ascontiguousarray(frames[:, :height, :width])


def write_sample_video(frames: np.ndarray, fps: Fraction, expected_frames: int, path: Path) -> None:
    """`frames` as H.264 at exactly `fps`; the frame count is asserted before and after writing."""
    if frames.shape[0] != expected_frames:
        raise AvbenchError(f"{path.name}: {frames.shape[0]} frames where the model makes {expected_frames}")
    write_mp4(frames, path, fps)
    info = probe(path)
    if info.n_frames != expected_frames or info.fps_rational != f"{fps.numerator}/{fps.denominator}":
        raise AvbenchError(f"{path}: written with {info.n_frames} frames at {info.fps_rational} fps, "
                           f"expected {expected_frames} at {fps}")


def mono_conditioning(source: Path, offset: float, n_samples: int, rate: int) -> np.ndarray:
    """`(1, n_samples) float32` conditioning: channel 0 of the segment of `source` starting at
    `offset` seconds and lasting n_samples / rate seconds, resampled (soxr_hq) to `rate` Hz,
    zero-padded or cut to exactly n_samples, not normalised (MM-Diffusion's input). A segment
    that starts past the end of the audio is an error, not silence."""
    length = probe(source).duration
    if length is not None and offset >= length:
        raise InputError(source, f"the conditioning segment starts at {offset:g} s, past the end of the audio ({length:g} s)")
    samples, native = audio_segment(source, offset, n_samples / rate)
    channel = samples[:, 0]
    if native != rate:
        channel = librosa.resample(channel, orig_sr=native, target_sr=rate, res_type="soxr_hq")
    out = np.zeros((1, n_samples), dtype=np.float32)
    out[0, :min(n_samples, channel.shape[0])] = channel[:n_samples]
    return out
