"""`avbench score DIR`: a plain folder of videos as the inputs of a score run.

The videos are paired to the benchmark's items by the `folder` model (`adapters/folder.py`:
`<DIR>/<item_id>.<ext>`, audio beside them or the item's own), which links them into
`<RUN_DIR>/inputs/` with a `manifest.csv`, as `avbench generate --model folder` would; scoring
then reads that folder like any generated run. A folder holding `generate.json` or
`manifest.csv` is a run already and is scored as it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.media.pairing import video_entries

from ..definition import Benchmark
from ..folder_lock import writing
from ..generate import FAILURES, GENERATE_RECORD, MANIFEST, generate

INPUTS = "inputs"  # the folder of the run directory that holds the linked videos


def is_run_folder(folder: Path) -> bool:
    """True for a generated run (its `generate.json`) or a folder with an inputs manifest."""
    return (folder / GENERATE_RECORD).is_file() or (folder / MANIFEST).is_file()


@dataclass
class FolderInputs:
    """The run folder made from a plain folder: `inputs` (for `score_run`), the items that got no
    video (`missing`: item id → reason, also in `<inputs>/generate_failures.csv`) and the videos
    named after no item of the benchmark (`extra`, relative to the folder)."""

    inputs: Path
    missing: dict[str, str] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)

    @property
    def failures_file(self) -> Path:
        return self.inputs / FAILURES


def _examples(names: list[str]) -> str:
    return ", ".join(names[:2]) + (", ..." if len(names) > 2 else "")


def link_folder(benchmark: Benchmark, folder: Path, run_dir: Path, output: dict[str, Any] | None = None,
                progress: bool = True) -> FolderInputs:
    """Pair the videos of `folder` to the items of `benchmark` into `<run_dir>/inputs`. Every call
    pairs afresh (links are cheap), so a video replaced in `folder` since an earlier run is the
    one scored. Videos that fail the output spec are linked all the same: scoring records each
    with its reason. No video named after any item: an InputError naming two expected names and
    what the folder holds."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise InputError(folder, "no such folder of videos")
    if run_dir.resolve() == folder:
        raise AvbenchError(f"--out {run_dir} is the folder of videos: give the scored run its own folder")
    inputs = run_dir / INPUTS
    with writing(inputs):  # an earlier pairing is dropped: this one lists the folder as it is now
        (inputs / MANIFEST).unlink(missing_ok=True)
    outcome = generate("folder", benchmark, inputs, options={"path": str(folder), "check": False}, output=output,
                       progress=progress)
    items = set(benchmark.item_ids)
    inside = run_dir.resolve()  # a run directory inside the folder holds links, not the user's videos
    videos = sorted(v.relative_to(folder).as_posix() for v in video_entries([folder])
                    if not v.resolve().is_relative_to(inside))
    extra = [v for v in videos if Path(v).with_suffix("").as_posix() not in items]
    if not outcome.generated:
        expected = sorted(items)[:2]
        found = f"found {len(videos)} video(s): {_examples(videos)}" if videos else "found no video"
        raise InputError(folder, f"no video is named after an item of {benchmark.id}: expected names like "
                                 f"{', '.join(f'{i}.mp4' for i in expected)}; {found}")
    return FolderInputs(inputs, dict(outcome.failures), extra)


def folder_notes(found: FolderInputs, folder: Path) -> list[str]:
    """The lines a user reads about the pairing: items without a video, videos without an item."""
    notes = []
    if found.missing:
        notes.append(f"{len(found.missing)} item(s) have no video in {folder} (e.g. "
                     f"{_examples(sorted(found.missing))}; recorded as failed, reasons in {found.failures_file})")
    if found.extra:
        notes.append(f"{len(found.extra)} video(s) in {folder} are named after no item and were not scored: "
                     f"{_examples(found.extra)}")
    return notes
