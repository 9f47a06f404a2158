"""The media of one benchmark item cut to the protocol's segment, shared by the adapters."""
from __future__ import annotations

import math
from pathlib import Path

from avbench.metrics.errors import InputError

from ..generators import BenchmarkItem
from avbench.metrics.media import probe
from avbench.metrics.media.edit import audio_segment, copy_file, write_video_segment, write_wav


def output_paths(item: BenchmarkItem, out_dir: Path) -> tuple[Path, Path]:
    """`<out_dir>/<item_id>.mp4` and `.wav`; an id that would leave `out_dir` is refused."""
    parts = Path(item.item_id).parts
    if not parts or Path(item.item_id).is_absolute() or ".." in parts:
        raise InputError(None, f"item id {item.item_id!r} cannot name a file inside the run folder")
    base = out_dir / item.item_id
    return base.with_name(base.name + ".mp4"), base.with_name(base.name + ".wav")


def _is_segment(file_duration: float | None, start: float, duration: float, fps: float | None) -> bool:
    """True when a file of `file_duration` seconds is exactly the segment [start, start + duration)
    (NaN duration: the whole file)."""
    if start != 0:
        return False
    if math.isnan(duration):
        return True
    if file_duration is None:
        return False
    return file_duration <= duration + (1.0 / fps if fps else 0.0) + 1e-3


def write_item_video(item: BenchmarkItem, dst: Path) -> None:
    """The item's own video segment at `dst`: the dataset file itself when it is the segment."""
    if item.video_path is None:
        raise InputError(None, f"item {item.item_id}: the benchmark has no video for it")
    info = probe(item.video_path)
    if not info.has_video:
        raise InputError(item.video_path, "no video stream")
    if _is_segment(info.duration, item.start, item.duration, info.fps):
        copy_file(item.video_path, dst)
    else:
        write_video_segment(item.video_path, dst, item.start, item.duration)


def write_item_audio(item: BenchmarkItem, dst: Path, shift: float = 0.0) -> None:
    """The audio segment of `item` at `dst` as wav, delayed by `shift` seconds (negative:
    advanced); a wav that already is the segment is copied."""
    src = Path(item.audio_path)
    if not src.is_file():
        raise InputError(src, "audio file does not exist")
    if shift == 0.0 and src.suffix.lower() == ".wav" and _is_segment(probe(src).duration, item.start, item.duration, None):
        copy_file(src, dst)
        return
    write_audio_segment(src, item.start, None if math.isnan(item.duration) else item.duration, dst, shift)


def write_audio_segment(source: Path, start: float, duration: float | None, dst: Path, shift: float = 0.0) -> int:
    """Seconds [start, start + duration) of `source` (None: to its end) at its own rate and
    channels as 16-bit wav at `dst`, delayed by `shift` seconds; silence where the source ends
    early. Returns the rate (Hz)."""
    samples, rate = audio_segment(source, start, duration, shift)
    if samples.shape[0] == 0:
        raise InputError(source, f"no audio from {start:g} s")
    write_wav(samples, rate, dst)
    return rate
