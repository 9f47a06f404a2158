"""Where a benchmark's clips come from: the definition's `sources:` (which items column names the
source file, where its segment starts and ends), read into a `SourceSpec` that says, for one
item row, which file of a user's download to cut and where (`avbench data prepare`)."""
from __future__ import annotations

import math
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.metrics.errors import InputError


@dataclass(frozen=True)
class Segment:
    """One item's clip in its source: the file stem `source_id`, seconds [start, start + duration)
    (`duration` None: to the end of the file)."""

    item_id: str
    source_id: str
    start: float
    duration: float | None
    url: str | None


@dataclass(frozen=True)
class SourceSpec:
    """Items columns naming an item's source file stem (`id`), its start and end in seconds (None:
    0, and the end of the file unless `seconds`, the clip length), and a download `url` template."""

    id: str
    start: str | None = None
    end: str | None = None
    seconds: float | None = None
    url: str | None = None

    @classmethod
    def from_definition(cls, data: dict[str, Any], path: Path) -> SourceSpec:
        """The YAML's `sources:` mapping (schema-checked); its columns are checked where it is used
        (`require_columns`), so a subset of the items with fewer columns still loads for scoring."""
        if data.get("end") is not None and data.get("seconds") is not None:
            raise InputError(path, "sources: give end or seconds, not both")
        return cls(**{**data, "seconds": None if data.get("seconds") is None else float(data["seconds"])})

    def require_columns(self, columns: set[str], benchmark: str) -> None:
        """An InputError unless the items have every column this spec names (the URL's too)."""
        named = {c for c in (self.id, self.start, self.end) if c is not None}
        try:
            named |= {name for _, name, _, _ in string.Formatter().parse(self.url or "") if name is not None}
        except ValueError as exc:
            raise InputError(None, f"{benchmark}: sources.url {self.url!r} is not a template ({exc})") from None
        lacking = sorted(named - columns)
        if lacking:
            raise InputError(None, f"the items of {benchmark} lack the column(s) {', '.join(lacking)} that its "
                                   f"`sources:` names (they have {', '.join(sorted(columns))})")

    def segment(self, row: dict[str, str]) -> Segment:
        """Where the item of `row` is in its source (seconds)."""
        start = _seconds(row, self.start) if self.start else 0.0
        if self.end:
            duration: float | None = _seconds(row, self.end) - start
            if duration <= 0:
                raise InputError(None, f"item {row['item_id']}: {self.end} is not after {self.start}")
        else:
            duration = self.seconds
        url = self.url.format(**row) if self.url else None
        return Segment(row["item_id"], row[self.id], start, duration, url)


def _seconds(row: dict[str, str], column: str) -> float:
    try:
        value = float(row[column])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(None, f"item {row['item_id']}: {column} {row[column]!r} is not a number of seconds")
    return value
