"""Control "models" that bracket every result: `real` (the dataset's own clips: the real-video
level), `shuffled-audio` (real video with another item's audio: the chance level) and
`shifted` (real video with its own audio delayed by k frames)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avbench.metrics.errors import AvbenchError, InputError

from ..generators import BenchmarkItem, GeneratedSample
from avbench.metrics.media import probe
from .segments import output_paths, write_item_audio, write_item_video

# Controls keep each clip's native frame rate and size: only the duration is checked.
NATIVE_OUTPUT = {"fps": None, "frames": None, "width": None, "height": None}


def _no_options(model: str, options: dict[str, Any]) -> None:
    if options:
        raise AvbenchError(f"model `{model}`: unknown option(s) {', '.join(sorted(options))}")


class RealControl:
    """The item's own video and audio segment: the dataset files themselves when they are exactly
    the segment (linked), else the segment cut from them (video re-encoded with H.264 CRF 12 at
    its native fps and size, audio as 16-bit wav at its native rate)."""

    name = "real"
    output_spec = NATIVE_OUTPUT

    def __init__(self, **options: Any):
        _no_options(self.name, options)

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        video, audio = output_paths(item, out_dir)
        write_item_video(item, video)
        write_item_audio(item, audio)
        return GeneratedSample(item.item_id, video, audio)


def cyclic_derangement(ids: Sequence[str], seed: int) -> dict[str, str]:
    """id → another id: a uniformly drawn single cycle over the sorted ids (Sattolo's
    algorithm, `numpy.random.default_rng(seed)`), so no id keeps its own and the pairing does
    not depend on order or sharding."""
    order = sorted(ids)
    if len(order) < 2:
        raise AvbenchError("shuffled-audio needs at least two items")
    rng = np.random.default_rng(seed)
    perm = list(range(len(order)))
    for i in range(len(perm) - 1, 0, -1):
        j = int(rng.integers(0, i))  # j < i: Sattolo, one cycle
        perm[i], perm[j] = perm[j], perm[i]
    return {order[i]: order[perm[i]] for i in range(len(order))}


class ShuffledAudioControl:
    """The item's real video with the audio segment of another item (seeded derangement):
    AV-Align's chance level on this benchmark."""

    name = "shuffled-audio"
    output_spec = NATIVE_OUTPUT

    def __init__(self, seed: int = 0, **options: Any):
        _no_options(self.name, options)
        self.seed = int(seed)
        self.items: dict[str, BenchmarkItem] = {}
        self.partner: dict[str, str] = {}

    def prepare(self, items: Sequence[BenchmarkItem]) -> None:
        self.items = {item.item_id: item for item in items}
        self.partner = cyclic_derangement(list(self.items), self.seed)

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        if item.item_id not in self.partner:
            raise AvbenchError("shuffled-audio: prepare() was not given this item")
        video, audio = output_paths(item, out_dir)
        partner = self.items[self.partner[item.item_id]]
        write_item_video(item, video)
        write_item_audio(replace(partner, duration=item.duration), audio)
        return GeneratedSample(item.item_id, video, audio, {"audio_from": partner.item_id})


class ShiftedControl:
    """The item's real video with its own audio delayed by `frames` video frames (negative:
    advanced); silence fills the gap. The shift in seconds uses each clip's own frame rate."""

    name = "shifted"
    output_spec = NATIVE_OUTPUT

    def __init__(self, frames: float = 2, **options: Any):
        _no_options(self.name, options)
        self.frames = float(frames)

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        video, audio = output_paths(item, out_dir)
        write_item_video(item, video)
        fps = probe(video).fps
        if not fps:
            raise InputError(video, "no frame rate: cannot shift the audio by frames")
        write_item_audio(item, audio, shift=self.frames / fps)
        return GeneratedSample(item.item_id, video, audio, {"shift_frames": self.frames, "shift_seconds": self.frames / fps})
