"""`avbench data prepare`: a benchmark's layout under a data root, cut from the user's download.

Each item's source is a media file under the source folder named `<item_id>.<ext>` (already the
item's clip: taken from 0 s) or `<source id>.<ext>` (a whole video, e.g. `<ytid>.mp4` as yt-dlp
names it: cut at the item's start and end). The video is re-encoded to the segment at the
source's frame rate and size (an `.mp4` that already is the segment is linked or copied), and
the audio is written as 16-bit mono WAV at its track's own sample rate. A file already in the
layout and valid is kept, so a rerun (or a killed run run again) does only what is left; every
write is atomic. Items that cannot be prepared are listed in `missing.csv` in the data root.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fileio import atomic_write, is_temp_name
from avbench.metrics.media import VIDEO_EXTENSIONS, MediaInfo, load_audio, probe
from avbench.metrics.media.edit import write_video_segment, write_wav

from .adapters.segments import write_item_video
from .definition import Benchmark
from .folder_lock import writing
from .generators import BenchmarkItem
from .sources import Segment

REPORT = "missing.csv"
# Why an item could not be prepared (the `reason` column of missing.csv).
ABSENT, AMBIGUOUS, TOO_SHORT, UNREADABLE = "absent", "ambiguous", "too short", "unreadable"


class ItemMissing(AvbenchError):
    """One item cannot be prepared: `reason` (one of the reasons above) and a one-line detail."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        super().__init__(detail)


@dataclass(frozen=True)
class Missing:
    """An item left out: its id, its source, why (`reason`), the one-line detail and where to get it."""

    item_id: str
    source_id: str
    reason: str
    detail: str
    url: str | None


@dataclass
class PrepareReport:
    """What `prepare_dataset` did: items `kept` (already there and valid), `written`, `missing`."""

    root: Path
    total: int
    kept: int = 0
    written: int = 0
    missing: list[Missing] = field(default_factory=list)

    def summary(self) -> list[str]:
        """A few lines for the terminal."""
        lines = [(f"{self.total} items in {self.root}: {self.kept + self.written} ready ({self.written} written, "
                  f"{self.kept} already there), {len(self.missing)} missing")]
        for reason, count in Counter(m.reason for m in self.missing).most_common():
            lines.append(f"  {count} {reason}")
        if self.missing:
            lines.append(f"the missing items and why: {self.root / REPORT}")
        return lines


def source_files(folder: Path) -> dict[str, list[Path]]:
    """Media files under `folder` (any depth) by stem; temp and partial downloads are left out."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in VIDEO_EXTENSIONS and path.is_file() and not is_temp_name(path.name):
            found.setdefault(path.stem, []).append(path)
    return found


def _source(segment: Segment, files: dict[str, list[Path]], folder: Path) -> tuple[Path, float, float | None]:
    """The file to cut for `segment` and the seconds [start, start + duration) to cut from it."""
    for stem, start in ((segment.item_id, 0.0), (segment.source_id, segment.start)):
        candidates = files.get(stem, [])
        if len(candidates) > 1:
            raise ItemMissing(AMBIGUOUS, f"several source files for {stem}: {', '.join(map(str, candidates))}")
        if candidates:
            return candidates[0], start, segment.duration
    names = {f"{segment.source_id}.*", f"{segment.item_id}.*"}
    raise ItemMissing(ABSENT, f"no {' or '.join(sorted(names))} under {folder}")


def _frame(fps: float | None) -> float:
    """One frame period in seconds (0 when the rate is unknown): the tolerance of a clip's length."""
    return 1.0 / fps if fps else 0.0


def _video_ready(path: Path, duration: float | None) -> MediaInfo | None:
    """What `path` holds when it is a video of at least `duration` seconds (None: any), else None."""
    try:
        info = probe(path)
    except InputError:
        return None
    if not info.has_video:
        return None
    long_enough = duration is None or (info.duration is not None and info.duration >= duration - _frame(info.fps) - 1e-3)
    return info if long_enough else None


def _audio_ready(path: Path, duration: float | None, tolerance: float) -> bool:
    """Whether `path` is mono audio lasting `duration` seconds but for `tolerance`."""
    try:
        streams = probe(path).audio_streams
    except InputError:
        return False
    if len(streams) != 1 or streams[0].channels != 1:
        return False
    return duration is None or (streams[0].duration is not None and streams[0].duration >= duration - tolerance - 1e-3)


def _write_video(item: BenchmarkItem, src: Path, start: float, duration: float | None) -> None:
    """The segment's frames at `item.video_path`; an `.mp4` that already is the segment is linked."""
    dst = Path(item.video_path)  # type: ignore[arg-type]  # prepare_item checked it
    if src.suffix.lower() == ".mp4":
        whole = float("nan") if duration is None else duration
        write_item_video(replace(item, video_path=src, start=start, duration=whole), dst)
    else:
        write_video_segment(src, dst, start, float("inf") if duration is None else duration)
    if not _video_ready(dst, duration):
        dst.unlink(missing_ok=True)
        raise ItemMissing(TOO_SHORT, f"{src}: fewer frames than the segment's {duration} s from {start:g} s")


def _write_audio(dst: Path, src: Path, start: float, duration: float | None, tolerance: float) -> None:
    """Seconds [start, start + duration) of `src`'s audio, mono, at the track's own rate, as 16-bit
    WAV; refused when the source's audio ends more than `tolerance` seconds before the segment
    does. Not resampled: AV-Align's onsets (at 22.05 kHz) use content above the 8 kHz a 16 kHz
    file would keep, and each generator resamples its conditioning itself."""
    samples, rate = load_audio(src, sample_rate=None, mono=True)
    first = round(start * rate)
    count = samples.shape[0] - first if duration is None else round(duration * rate)
    segment = samples[first:first + count]
    if count <= 0 or segment.shape[0] < count - tolerance * rate:
        have = samples.shape[0] / rate
        raise ItemMissing(TOO_SHORT, f"{src}: its audio lasts {have:.2f} s, the segment ends at "
                                     f"{start + (duration or 0):g} s")
    write_wav(segment, rate, dst)


def prepare_item(item: BenchmarkItem, segment: Segment, files: dict[str, list[Path]], folder: Path) -> bool:
    """Write the item's video and audio where the layout says, from its source under `folder`;
    a file already there and valid is kept. True when anything was written; ItemMissing (or an
    InputError naming the source) when the item cannot be prepared."""
    video, audio = Path(item.video_path), Path(item.audio_path)  # type: ignore[arg-type]
    done = _video_ready(video, segment.duration)
    if done is not None and _audio_ready(audio, segment.duration, _frame(done.fps)):
        return False
    src, start, duration = _source(segment, files, folder)
    try:
        info = probe(src)
    except InputError as exc:
        raise ItemMissing(UNREADABLE, str(exc)) from None
    if not info.has_video or not info.has_audio:
        raise ItemMissing(UNREADABLE, f"{src}: no {'video stream' if not info.has_video else 'audio track'}")
    frame = _frame(info.fps)
    if duration is not None and info.duration is not None and info.duration < start + duration - frame - 1e-3:
        raise ItemMissing(TOO_SHORT, f"{src}: {info.duration:.2f} s long, the segment ends at {start + duration:g} s")
    if done is None:
        _write_video(item, src, start, duration)
    if not _audio_ready(audio, segment.duration, frame):
        _write_audio(audio, src, start, duration, frame)
    return True


def prepare_dataset(benchmark: Benchmark, source: str | Path, progress: bool = True) -> PrepareReport:
    """Build `benchmark`'s layout under its data root from the media files under `source`; every
    item that cannot be prepared is recorded (and listed in `<data root>/missing.csv`), never
    stops the others."""
    from tqdm import tqdm

    folder = Path(source)
    if benchmark.sources is None:
        raise AvbenchError(f"benchmark {benchmark.name} does not say where its clips come from (no `sources:` "
                           f"in {benchmark.definition_path})")
    if not folder.is_dir():
        raise InputError(folder, "is no folder (give the folder of your downloaded videos as --source)")
    benchmark.sources.require_columns(set(benchmark.rows[0]), benchmark.id)
    items = benchmark.items()
    if any(i.video_path is None or i.audio_path == i.video_path for i in items):
        raise AvbenchError(f"benchmark {benchmark.name}: its layout must name a video and an audio file per item")
    root = Path(benchmark.data_root)  # type: ignore[arg-type]  # items() needed it
    report = PrepareReport(root, len(items))
    with writing(root):
        files = source_files(folder)
        for row, item in tqdm(list(zip(benchmark.rows, items)), desc=f"prepare {benchmark.name}", unit="item",
                              disable=not progress):
            segment = None
            try:
                segment = benchmark.sources.segment(row)
                wrote = prepare_item(item, segment, files, folder)
            except ItemMissing as exc:
                report.missing.append(Missing(item.item_id, segment.source_id, exc.reason, str(exc), segment.url))
                continue
            except InputError as exc:  # a source that fails mid-decode, an items row without numbers
                report.missing.append(Missing(item.item_id, "" if segment is None else segment.source_id, UNREADABLE,
                                              str(exc), None if segment is None else segment.url))
                continue
            report.written += wrote
            report.kept += not wrote
        _write_report(root / REPORT, report.missing)
    return report


def _write_report(path: Path, missing: list[Missing]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["item_id", "source_id", "reason", "detail", "url"])
    for m in missing:
        writer.writerow([m.item_id, m.source_id, m.reason, m.detail, m.url or ""])
    with atomic_write(path, "w") as fh:
        fh.write(text.getvalue())
