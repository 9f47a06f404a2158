"""The torch flow path over many clips (`--flow torch`, not canonical): flow cache entries.

The same entry as the canonical `runner.clip_flow` makes, with the trajectory from the torch
Farneback (`torch_flow`): frames decoded by PyAV in a background thread (identical to OpenCV's on
the media tested), converted to gray as the canonical path does, and the frame pairs of
consecutive clips batched together on one device. A clip whose frames stop decoding is refused
in one line (the canonical path scores the frames read before; this path does not guess).
"""
from __future__ import annotations

from pathlib import Path
from typing import Hashable, Iterator, TypeVar

import numpy as np
import torch

from ..errors import AvbenchError, InputError
from ..media import frame_timestamps, probe
from .clip_checks import check_fps
from .presets import FarnebackParams
from .runner import flow_entry
from .torch_flow import default_device, prefetched_gray_frames, stream_trajectories

K = TypeVar("K", bound=Hashable)

DECODER = "pyav"


def flow_device(name: str | None) -> torch.device:
    """The torch device of `name` ("cpu", "cuda", "cuda:1", ...), the best available for None or
    "auto"; an AvbenchError for a name torch does not know or a device this machine lacks."""
    if name in (None, "auto"):
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        raise AvbenchError(f"flow device {name!r} is not a torch device (auto, cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        raise AvbenchError(f"flow device {name!r}: no such CUDA device on this machine (use auto or cpu)")
    if device.type not in ("cpu", "cuda"):
        raise AvbenchError(f"flow device {name!r}: only cpu and cuda devices are supported")
    return device


def batch_size(device: torch.device) -> int:
    """Frame pairs per call: a GPU takes many 720p pairs at once; on a CPU larger batches gain nothing."""
    return 32 if device.type == "cuda" else 4


def torch_flows(videos: list[tuple[K, Path]], params: FarnebackParams, fps: float | None,
                device: torch.device) -> Iterator[tuple[K, dict[str, np.ndarray] | InputError]]:
    """`(key, flow cache entry)` for each `(key, video)`, or `(key, InputError)` for a video that
    cannot be measured; `fps` overrides the container's rate (a container stating none is refused
    without it, as on the canonical path)."""
    ready = []
    for key, video in videos:
        try:
            info = probe(video)
            if not info.has_video:
                raise InputError(video, "the file has no video stream")
            if fps is None:
                check_fps(video, info.fps)
        except InputError as exc:
            yield key, exc
            continue
        ready.append((key, video, info))
    clips = (((key, video, info), prefetched_gray_frames(video)) for key, video, info in ready)
    for (key, video, info), trajectory in stream_trajectories(clips, params, device, batch_size(device)):
        if isinstance(trajectory, InputError):
            yield key, trajectory
        elif trajectory.size < 2:
            yield key, InputError(video, "fewer than 2 decodable frames; AV-Align needs at least 2")
        else:
            yield key, flow_entry(trajectory, info.fps or 0.0, DECODER, info.n_frames or 0, frame_timestamps(video))
