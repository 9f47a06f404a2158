"""CSV files a user hands avbench (manifests, items, labels, a run's manifest), read in one
place: UTF-8 with or without a byte-order mark (as spreadsheet programs save it), the header's
column names stripped, and anything unreadable an InputError naming the file in one line."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .errors import InputError


@dataclass(frozen=True)
class CsvRow:
    """One data row: `line` (1-based, the row's last physical line), `values` by column ("" where
    the row is shorter than the header) and `extra`, the fields past the header's columns."""

    line: int
    values: dict[str, str]
    extra: tuple[str, ...] = ()

    def misfit(self) -> str | None:
        """Why the row does not fit the header (more fields than columns: a value holding an
        unquoted comma would otherwise shift silently), or None."""
        if not self.extra:
            return None
        return f"line {self.line}: {len(self.values) + len(self.extra)} fields for {len(self.values)} columns"


@dataclass(frozen=True)
class CsvFile:
    """A CSV file as read: its non-blank records with their line numbers, and the sha256 of its bytes."""

    path: Path
    what: str  # the file's role in messages: "manifest", "items file", ...
    records: tuple[tuple[int, tuple[str, ...]], ...]
    sha256: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The header's column names, stripped; InputError for an empty file."""
        if not self.records:
            raise InputError(self.path, f"{self.what} is empty (not even a header row)")
        return tuple(name.strip() for name in self.records[0][1])

    def rows(self, required: Sequence[str] = (), nonempty: bool = False, misfits: bool = False) -> list[CsvRow]:
        """The records after the header as rows; InputError when there is no header, it names a
        column twice or lacks a `required` one, (`nonempty`) no row follows it, or (unless
        `misfits`: the caller reports them per row) a row does not fit it."""
        header = self.columns
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise InputError(self.path, f"{self.what} header names column(s) {', '.join(map(repr, repeated))} twice")
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(self.path, f"{self.what} lacks column(s) {', '.join(missing)}")
        rows = [CsvRow(line, dict(zip(header, [*fields, *[""] * (len(header) - len(fields))])),
                       tuple(fields[len(header):])) for line, fields in self.records[1:]]
        if nonempty and not rows:
            raise InputError(self.path, f"{self.what} has a header and no rows")
        misfit = None if misfits else next((row.misfit() for row in rows if row.extra), None)
        if misfit is not None:
            raise InputError(self.path, misfit)
        return rows


def parse_csv(text: str, path: str | Path, what: str, sha256: str = "") -> CsvFile:
    """The records of CSV `text` (read from `path`, whose role is `what`)."""
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:  # binary junk, and no path may hold one (Python's csv reads it since 3.11)
        line = text.count("\n", 0, nul) + 1
        raise InputError(path, f"{what} is not text (a NUL byte on line {line})")
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        for fields in reader:
            if fields:
                records.append((reader.line_num, tuple(fields)))
    except csv.Error as exc:
        raise InputError(path, f"{what} is not readable CSV (line {reader.line_num}: {exc})") from None
    return CsvFile(Path(path), what, tuple(records), sha256)


def read_csv(path: str | Path, what: str) -> CsvFile:
    """The CSV file at `path` (UTF-8, a byte-order mark allowed); `what` names its role in errors."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read {what} ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, f"{what} is not UTF-8 text") from None
    return parse_csv(text, path, what, hashlib.sha256(raw).hexdigest())
