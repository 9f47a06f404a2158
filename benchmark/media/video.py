"""Streaming video frames with PyAV, for containers OpenCV cannot open and for pipelines that
do not pin OpenCV (the canonical AV-Align path reads with OpenCV: `metrics.av_align.flow`)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import av
import numpy as np

from metrics.errors import InputError

from .errors import describe

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".mpg", ".mpeg", ".gif")


def pyav_frames(path: str | Path, pixel_format: str = "rgb24") -> tuple[float | None, Iterator[np.ndarray]]:
    """(average fps or None, iterator of `(H, W, 3) uint8` frames in `pixel_format`, "rgb24" or
    "bgr24"). Frames are decoded one at a time; a decode error mid-stream is an InputError."""
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
