"""Writing generated frames as H.264 mp4 with PyAV (exact frame rate, near-lossless)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from metrics.fileio import atomic_write

# Constant quality high enough that compression does not move frame-level metrics noticeably.
H264_OPTIONS = {"crf": "12", "preset": "medium"}


def write_mp4(frames: np.ndarray, path: str | Path, fps: int | Fraction) -> Path:
    """Write `(F, H, W, 3) uint8` RGB frames to `path` (libx264, yuv420p, `fps` frames per second).

    H and W must be even (yuv420p).
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected (F, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f"frame size {width}x{height} must be even for yuv420p")
    path = Path(path)
    with atomic_write(path) as fh, av.open(fh, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(H264_OPTIONS)
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path
