"""Streaming video frames with PyAV, for containers OpenCV cannot open and for pipelines that
do not pin OpenCV (the canonical AV-Align path reads with OpenCV: `metrics.av_align.flow`).
PyAV is imported where a file is opened: finding and pairing videos loads none of it."""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError

from .errors import describe

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".mpg", ".mpeg", ".gif")


def pyav_frames(path: str | Path, pixel_format: str = "rgb24") -> tuple[float | None, Iterator[np.ndarray]]:
    """(average fps or None, iterator of `(H, W, 3) uint8` frames in `pixel_format`, "rgb24" or
    "bgr24"). Frames are decoded one at a time; a decode error mid-stream is an InputError."""
    import av

    try:
        container = av.open(str(path))
        stream = container.streams.video[0]
    except (av.FFmpegError, IndexError, UnicodeDecodeError, ValueError) as exc:
        reason = "no video stream" if isinstance(exc, IndexError) else describe(exc)
        raise InputError(path, f"PyAV cannot read a video from it ({reason})") from None
    rate = stream.average_rate or stream.guessed_rate
    stream.thread_type = "AUTO"

    def frames() -> Iterator[np.ndarray]:
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format=pixel_format)
        except av.FFmpegError as exc:
            raise InputError(path, f"video decoding failed ({describe(exc)})") from None
        finally:
            container.close()

    return (float(rate) if rate else None), frames()


def iter_video_frames(path: str | Path, stride: int = 1, limit: int | None = None) -> Iterator[np.ndarray]:
    """Frames `(H, W, 3)` uint8 RGB of the first video stream: every `stride`-th frame from
    frame 0, at most `limit` of them (the decoder stops there)."""
    _, frames = pyav_frames(path, "rgb24")
    try:
        yield from islice(islice(frames, 0, None, stride), limit)
    finally:
        frames.close()  # type: ignore[attr-defined]


def read_video_frames(path: str | Path, stride: int = 1, limit: int | None = None) -> np.ndarray:
    """`(T, H, W, 3)` uint8 RGB frames (see `iter_video_frames`); a video without frames is an error."""
    frames = list(iter_video_frames(path, stride, limit))
    if not frames:
        raise InputError(path, "the video stream holds no decodable frame")
    return np.stack(frames)
