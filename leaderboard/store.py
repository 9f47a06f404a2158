"""The leaderboard store: a folder of entries, one per (model, benchmark) result.

    STORE/
      entries/<entry_id>/entry.json    the entry (see `Entry`)
      entries/<entry_id>/bundle/       the verified submission's files (absent for `reported`)

An entry is added atomically (written to a temporary folder, then renamed), so a store never
holds half an entry. Entries are plain JSON: nothing in a store is ever executed or unpickled.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from avbench.benchmark.report.table import Score
from avbench.metrics.errors import AvbenchError, InputError

ENTRIES = "entries"
ENTRY_FILE = "entry.json"
BUNDLE_DIR = "bundle"
ENTRY_FORMAT = "avbench-leaderboard-entry/1"

# How far a number can be trusted, most to least: our own runs; re-scored or re-computed by the
# maintainers from a submission; a submission whose bundle checks passed; a number copied from
# a paper (preset possibly unknown).
TRUST_LEVELS = ("reference", "verified", "self-reported", "reported")

_ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Entry:
    """A leaderboard row: one model's scores on one benchmark.

    `model` is the model card (`name` required; link, type, params, release_date, resolution,
    fps, frames, duration, checkpoint, commit, sampled_by, evaluated_by, ... as given).
    `benchmark` is the benchmark name (`vggsound`, `landscape`, `audioset-drums`, or a custom
    one); `source` says where the numbers come from (a bundle's sha256, a paper citation);
    `notes` are caveats a reader must see (e.g. "AV-Align preset unknown").
    """

    entry_id: str
    trust: str
    model: dict[str, Any]
    benchmark: str
    scores: dict[str, Score]
    source: str
    benchmark_version: str | None = None
    suite_version: str | None = None
    reportable: bool = True
    notes: tuple[str, ...] = ()
    added_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.trust not in TRUST_LEVELS:
            raise AvbenchError(f"entry {self.entry_id}: trust must be one of {', '.join(TRUST_LEVELS)}, not {self.trust!r}")
        if not _ENTRY_ID.match(self.entry_id):
            raise AvbenchError(f"entry id {self.entry_id!r}: use letters, digits, '.', '_' and '-' only")
        if not self.model.get("name"):
            raise AvbenchError(f"entry {self.entry_id}: the model card has no name")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["notes"] = list(self.notes)
        data["scores"] = {k: {**asdict(s), "ci95": None if s.ci95 is None else list(s.ci95)} for k, s in self.scores.items()}
        return {"format": ENTRY_FORMAT, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Entry":
        if data.get("format") != ENTRY_FORMAT:
            raise AvbenchError(f"not a leaderboard entry of format {ENTRY_FORMAT} (format {data.get('format')!r})")
        return cls(entry_id=data["entry_id"], trust=data["trust"], model=dict(data["model"]),
                   benchmark=data["benchmark"], scores={k: Score.from_dict(v) for k, v in data["scores"].items()},
                   source=data["source"], benchmark_version=data.get("benchmark_version"),
                   suite_version=data.get("suite_version"), reportable=bool(data.get("reportable", True)),
                   notes=tuple(data.get("notes") or ()), added_at=data.get("added_at"), extra=dict(data.get("extra") or {}))


class EntryExists(AvbenchError):
    """The store already holds an entry with this id (resubmit with replace)."""

    def __init__(self, message: str, entry_id: str):
        super().__init__(message)
        self.entry_id = entry_id


def entry_dir(store: str | Path, entry_id: str) -> Path:
    return Path(store) / ENTRIES / entry_id


def read_entries(store: str | Path) -> list[Entry]:
    """Every entry of `store`, sorted by entry id. A missing store folder is an error; an empty one is not."""
    root = Path(store)
    if not root.is_dir():
        raise InputError(root, "leaderboard store folder does not exist")
    entries = []
    for path in sorted((root / ENTRIES).glob(f"*/{ENTRY_FILE}")):
        try:
            entries.append(Entry.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(path, f"not a readable leaderboard entry ({type(exc).__name__}: {exc})") from None
        except AvbenchError as exc:
            raise InputError(path, str(exc)) from None
    return entries


def add_entry(store: str | Path, entry: Entry, bundle: str | Path | None = None, replace: bool = False) -> Path:
    """Add `entry` (with a copy of the verified `bundle` folder, if given) to `store` atomically.

    An existing entry id is refused unless `replace` (a resubmission of the same model version).
    Returns the entry's folder.
    """
    final = entry_dir(store, entry.entry_id)
    if final.exists() and not replace:
        raise EntryExists(f"the store already holds entry {entry.entry_id} ({final}); resubmit with --replace",
                          entry.entry_id)
    with atomic_folder(final) as tmp:
        if bundle is not None:
            shutil.copytree(bundle, tmp / BUNDLE_DIR, symlinks=True)
        (tmp / ENTRY_FILE).write_text(json.dumps(entry.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n",
                                      encoding="utf-8")
    return final


@contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `final`; when the block succeeds it replaces `final` (a
    rename each way, so readers see the old folder or the new one, never half of one); when it
    fails it is removed and `final` is left as it was."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield tmp
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
