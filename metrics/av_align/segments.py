"""One long clip on every core: a clip's flow trajectory measured in segments.

The flow value of frame pair (i-1, i) depends on those two frames only, so the pairs of a clip
can be shared out. A segment owns the pairs `start..stop-1`: its worker opens the clip with
OpenCV as the canonical path does, seeks to frame `start - 1` (`CAP_PROP_POS_FRAMES`: FFmpeg
seeks to the key frame before it and decodes forward), and reads on with the same
`FlowTrajectory`, so every value is computed from the same decoded frames by the same code.

A seek is trusted only when it is proven. Neighbouring segments overlap by two frames: the
earlier one reads frames `stop - 1` and `stop` after its last pair, the later one starts with
them, and the driver compares their digests; the last segment must read exactly the frames the
container lists and then meet the end of the stream. Only clips whose timestamps sit on frame
index / fps (where OpenCV's frame numbers are exact) are split at all. Anything else (a digest
that differs, a read that fails, a frame count off by one) sends the clip back to a whole,
sequential measurement, so a segmented clip's trajectory always equals the sequential one.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .clip_checks import variable_frame_rate
from .presets import FarnebackParams

# Below this many pairs a segment's seek (decoding forward from a key frame) costs more than it
# shares out.
MIN_SEGMENT_PAIRS = 32
# Pieces per worker: finer pieces even out clips of unequal cost across the pool.
PIECES_PER_WORKER = 2


@dataclass(frozen=True)
class Segment:
    """Pairs `start..stop-1` of a clip (pair i is frames (i-1, i)); `stop` None = to the end."""

    start: int
    stop: int | None


@dataclass(frozen=True)
class SegmentFlow:
    """What a segment's worker measured: `values` (K,) float64, the flow of pairs start.. (the
    first segment's begins with pair 1 twice, as the canonical trajectory does); `head` and
    `tail` the digests of the two frames it overlaps with the segments before and after it;
    `n_frames` the frames it read, overlap included; `fps` the rate OpenCV reports."""

    values: np.ndarray
    head: tuple[str, ...]
    tail: tuple[str, ...]
    n_frames: int
    fps: float


def splittable(n_frames: int | None, fps: float | None, timestamps: np.ndarray) -> bool:
    """Whether a clip's frames can be found by seeking: the container lists its frames and rate,
    and every frame's timestamp (seconds) lies within half a frame of index / fps."""
    if not n_frames or not fps or fps <= 0 or not math.isfinite(fps):
        return False
    if timestamps.size != n_frames or not np.all(np.diff(timestamps) > 0):
        return False
    return variable_frame_rate("", timestamps, fps) is None


def plan_segments(n_frames: int, pieces: int) -> list[Segment]:
    """`n_frames` frames' pairs 1..n_frames-1 in at most `pieces` segments of at least
    `MIN_SEGMENT_PAIRS` pairs each (one segment, the whole clip, when it is too short)."""
    n_pairs = n_frames - 1
    pieces = max(1, min(pieces, n_pairs // MIN_SEGMENT_PAIRS))
    bounds = [1 + (n_pairs * k) // pieces for k in range(pieces)]
    return [Segment(start, stop) for start, stop in zip(bounds, bounds[1:])] + [Segment(bounds[-1], None)]


def pieces_per_clip(costs: list[float], workers: int) -> list[int]:
    """How many segments each clip gets: a clip costing more than the pool's share of work
    (total / (`PIECES_PER_WORKER` × workers); cost = frames × pixels) is cut into pieces of about
    that size. One worker splits nothing."""
    if workers <= 1 or not costs:
        return [1] * len(costs)
    share = sum(costs) / (PIECES_PER_WORKER * workers)
    return [max(1, min(workers * PIECES_PER_WORKER, math.ceil(cost / share))) if share > 0 else 1 for cost in costs]


def _digest(frame: np.ndarray) -> str:
    return hashlib.blake2b(frame.tobytes(), digest_size=16).hexdigest()


def segment_flow(video: Path, segment: Segment, params: FarnebackParams) -> SegmentFlow | None:
    """Measure one segment of `video` (in a worker); None when OpenCV cannot open or read it as
    the segment needs (the driver then measures the clip whole, which reports the problem)."""
    import cv2

    from .flow import FlowTrajectory

    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            return None
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        if segment.start > 1 and not cap.set(cv2.CAP_PROP_POS_FRAMES, segment.start - 1):
            return None
        flow = FlowTrajectory(params)
        head: list[str] = []
        tail: list[str] = []
        # frames start-1 .. stop-1 carry the pairs; frame `stop` only closes the overlap
        wanted = None if segment.stop is None else segment.stop - segment.start + 2
        n_read = 0
        while wanted is None or n_read < wanted:
            ok, frame = cap.read()
            if not ok:
                break
            n_read += 1
            if n_read <= 2:
                head.append(_digest(frame))
            if wanted is not None and n_read >= wanted - 1:
                tail.append(head[n_read - 1] if n_read <= 2 else _digest(frame))
            if wanted is None or n_read < wanted:
                flow.push(frame)
        if (wanted is not None and n_read < wanted) or flow.n_frames < 2:
            return None
        values = flow.trajectory() if segment.start == 1 else flow.trajectory()[1:]
        return SegmentFlow(values, tuple(head), tuple(tail), n_read, fps)
    except cv2.error:
        return None
    finally:
        cap.release()


def joined_trajectory(segments: list[Segment], flows: list[SegmentFlow | None], n_listed: int) -> np.ndarray | None:
    """The clip's `(N,) float64` trajectory from its segments' flows, or None unless every
    segment was read in full, every overlap matches and the clip has the `n_listed` frames its
    container lists."""
    if any(flow is None for flow in flows):
        return None
    for before, after in zip(flows, flows[1:]):
        if before.tail != after.head:  # type: ignore[union-attr]
            return None
    if segments[-1].start - 1 + flows[-1].n_frames != n_listed:  # type: ignore[union-attr]
        return None
    return np.concatenate([flow.values for flow in flows])  # type: ignore[union-attr]
