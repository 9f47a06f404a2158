"""The video side of AV-Align: a streaming Farneback flow trajectory.

Frames are pushed one at a time and only the previous grayscale frame is kept, so memory does
not grow with clip length. Values equal the official per-pair computation:
`cv2.mean(cv2.magnitude(*Farneback(gray(prev), gray(curr))))[0]`.

Determinism: `cv2.magnitude` processes a scalar head until its *output* buffer is 32-byte
aligned and the rest with SIMD (fused multiply-add), so its float32 result depends on where
numpy happened to allocate the output. Through the Python bindings the official script's flow
values therefore vary at ~1e-11 relative between calls on equal inputs, enough to create or
remove a strict local maximum on plateaus of duplicated frames when no flow floor applies. We
pass 64-byte-aligned buffers, as OpenCV's own allocator (CV_MALLOC_ALIGN = 64) does in C++, so
every value is the all-SIMD result and repeatable.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ..errors import InputError
from ..media.errors import require_file
from .clip_checks import check_fps
from .presets import FarnebackParams


_ALIGN = 64

# OpenCV's FFmpeg logs every damaged packet to stderr, naming no file; avbench reports a clip's
# problem itself, in one line naming it (`clip_checks`). Read once, before the first capture.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype | type = np.float32) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + _ALIGN, dtype=np.uint8)
    start = (-raw.ctypes.data) % _ALIGN
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def flow_value(flow: np.ndarray, out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> float:
    """Mean Farneback magnitude of a `(H, W, 2) float32` flow field: `cv2.mean(cv2.magnitude)`
    computed in 64-byte-aligned buffers `(x, y, magnitude)` (allocated when not given)."""
    if out is None:
        out = tuple(aligned_empty(flow.shape[:2]) for _ in range(3))  # type: ignore[assignment]
    x, y, mag = out
    np.copyto(x, flow[..., 0])
    np.copyto(y, flow[..., 1])
    cv2.magnitude(x, y, mag)
    return cv2.mean(mag)[0]


class FlowTrajectory:
    """Accumulates the trajectory [flow(f0, f1), flow(f0, f1), flow(f1, f2), ...] of length N.

    The first pair is counted twice, as in the official code, so index 1 is never a peak.
    """

    def __init__(self, params: FarnebackParams | None = None):
        self._args = (params or FarnebackParams()).as_args()
        self._prev: np.ndarray | None = None
        self._buffers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._values: list[float] = []
        self.n_frames = 0

    def push(self, frame_bgr: np.ndarray) -> None:
        """Add the next frame, `(H, W, 3) uint8` BGR as `cv2.VideoCapture.read` returns it."""
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        if self._prev is not None:
            flow = cv2.calcOpticalFlowFarneback(self._prev, gray, None, *self._args)
            if self._buffers is None or self._buffers[0].shape != flow.shape[:2]:
                self._buffers = tuple(aligned_empty(flow.shape[:2]) for _ in range(3))  # type: ignore[assignment]
            value = flow_value(flow, self._buffers)
            if not self._values:
                self._values.append(value)
            self._values.append(value)
        self._prev = gray
        self.n_frames += 1

    def trajectory(self) -> np.ndarray:
        """`(N,) float64` mean flow magnitude per frame, pixels per frame (empty if N < 2)."""
        return np.asarray(self._values, dtype=np.float64)


@dataclass(frozen=True)
class VideoFlow:
    """A clip's flow trajectory with the time axis it was read with."""

    trajectory: np.ndarray  # (N,) float64, pixels per frame
    fps: float  # frames per second used for peak times
    n_frames: int
    decoder: str  # "opencv" (canonical) or the fallback that decoded the file


def opencv_frames(path: str | Path) -> tuple[float, Iterator[np.ndarray]]:
    """Open `path` with `cv2.VideoCapture`: (container fps, iterator of BGR frames).

    Raises InputError when there is no such file or OpenCV cannot open it.
    """
    cap = cv2.VideoCapture(str(require_file(path, "video")))
    if not cap.isOpened():
        cap.release()
        raise InputError(path, "OpenCV cannot open it as a video")
    fps = cap.get(cv2.CAP_PROP_FPS)

    def frames() -> Iterator[np.ndarray]:
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                yield frame
        finally:
            cap.release()

    return fps, frames()


def trajectory_from_frames(path: str | Path, frames: Iterator[np.ndarray], fps: float, decoder: str,
                           params: FarnebackParams | None = None) -> VideoFlow:
    """Stream `frames` through a FlowTrajectory; errors name `path`."""
    fps = check_fps(path, fps)
    acc = FlowTrajectory(params)
    try:
        for frame in frames:
            acc.push(frame)
    except cv2.error as exc:
        raise InputError(path, f"optical flow failed at frame {acc.n_frames}: {str(exc).strip().splitlines()[-1]}") from None
    if acc.n_frames < 2:
        raise InputError(path, f"{acc.n_frames} decodable frame(s); AV-Align needs at least 2")
    return VideoFlow(acc.trajectory(), fps, acc.n_frames, decoder)


def video_flow(path: str | Path, params: FarnebackParams | None = None, fps: float | None = None) -> VideoFlow:
    """The canonical video side: OpenCV decoding at native resolution, container fps unless
    `fps` overrides it."""
    container_fps, frames = opencv_frames(path)
    return trajectory_from_frames(path, frames, container_fps if fps is None else fps, "opencv", params)
