"""Numbers copied from papers, as `reported` leaderboard entries (package data YAML under
`leaderboard/reported/`), with their source, table/row/column provenance and caveats.

Each number is kept as the paper's string in `extra["reported"]` (so "2.10" stays "2.10") and
as a float in the entry's scores. `reported_tables()` gives the tables row by row for
`avbench reproduce`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from avbench.benchmark.report.table import Score
from avbench.benchmark.yaml_files import read_yaml_mapping
from avbench.metrics.errors import InputError

from .names import slug
from .store import Entry

REPORTED = Path(__file__).resolve().parent / "reported"
FORMAT = "avbench-reported/1"


@dataclass(frozen=True)
class ReportedRow:
    """One row of a paper table (or a reference point quoted in its text)."""

    table_id: str
    key: str  # the row's handle in `avbench reproduce --runs KEY=RUN`
    row: str  # the row as the paper labels it
    benchmark: str
    model: str
    adapter: str | None  # our generator adapter that reproduces this row, if any
    values: dict[str, str]  # our metric name -> the paper's number, as printed
    provenance: dict[str, str]  # our metric name -> "Table 1 / <row> / <column>"
    source: str
    notes: tuple[str, ...]
    same_as: str | None = None  # key of another row with the same numbers
    point: bool = False  # a number from the text, not a table row


@dataclass(frozen=True)
class ReportedTable:
    table_id: str
    title: str
    columns: tuple[tuple[str, str, bool], ...]  # (paper column, our metric, higher is better)
    rows: tuple[ReportedRow, ...]
    source: str
    caveats: tuple[str, ...]


@lru_cache(maxsize=None)
def _load(path: Path) -> dict[str, Any]:
    data = read_yaml_mapping(path, "reported-numbers file")
    if data.get("format") != FORMAT:
        raise InputError(path, f"not of format {FORMAT}")
    return data


def _files() -> list[Path]:
    return sorted(REPORTED.glob("*.yaml"))


def _tables_of(data: dict[str, Any]) -> list[ReportedTable]:
    columns = tuple((c["column"], c["metric"], bool(c["higher_is_better"])) for c in data["columns"])
    caveats = tuple(data["caveats"])
    tables = []
    for table in data["tables"]:
        rows = []
        for r in table["rows"]:
            if len(r["values"]) != len(columns):
                raise InputError(table["id"], f"row {r['row']!r} has {len(r['values'])} values for {len(columns)} columns")
            rows.append(ReportedRow(
                table_id=table["id"], key=r["key"], row=r["row"], benchmark=r["benchmark"], model=r["model"],
                adapter=r.get("adapter"), values={m: str(v) for (_, m, _), v in zip(columns, r["values"])},
                provenance={m: f"{table['table']} / {r['row']} / {col}" for (col, m, _), v in zip(columns, r["values"])},
                source=data["source"].strip(), notes=tuple(table.get("notes", ())) + tuple(r.get("notes", ())) + caveats,
                same_as=r.get("same_as")))
        for p in data.get("points", ()):
            if table["id"] in p.get("tables", ()):
                rows.append(_point(p, table["id"], data))
        tables.append(ReportedTable(table["id"], f"{table['table']}: {table['title']}", columns, tuple(rows),
                                    data["source"].strip(), caveats))
    return tables


def _point(p: dict[str, Any], table_id: str, data: dict[str, Any]) -> ReportedRow:
    own_source = "source" in p
    notes = tuple(p.get("notes", ())) + (() if own_source else tuple(data["caveats"]))
    return ReportedRow(table_id=table_id, key=p["key"], row=p["model"], benchmark=p["benchmark"], model=p["model"],
                       adapter=p.get("adapter"), values={m: str(v) for m, v in p["values"].items()},
                       provenance={m: p["where"] for m in p["values"]},
                       source=(p["source"] if own_source else data["source"]).strip(), notes=notes, point=True)


def reported_tables() -> dict[str, ReportedTable]:
    """Every shipped paper table by id (e.g. `tempotokens-table1`), reference points included."""
    return {t.table_id: t for path in _files() for t in _tables_of(_load(path))}


def _entry_id(paper: str, row: ReportedRow) -> str:
    table = "" if row.point else row.table_id.rsplit("-", 1)[-1] + "--"
    return slug(f"{paper}--{table}{row.key}")


def reported_entries() -> list[Entry]:
    """Every reported number as a leaderboard entry (trust `reported`), one per table row and per
    reference point. A row repeating another row's numbers (Table 2's Text/Audio, Table 3's full
    model) names that row's entry id in `extra["same_as"]`."""
    entries = []
    for path in _files():
        data = _load(path)
        tables = _tables_of(data)
        rows = [r for t in tables for r in t.rows if not r.point]
        rows += [_point(p, (p.get("tables") or [""])[0], data) for p in data.get("points", ())]
        ids = {r.key: _entry_id(data["id"], r) for r in rows if not r.point}
        directions = {m: hib for t in tables for _, m, hib in t.columns}
        points = {p["key"]: p for p in data.get("points", ())}
        for row in rows:
            extra: dict[str, Any] = {"table": None if row.point else row.table_id, "row": row.row, "row_key": row.key,
                                     "reported": dict(row.values), "provenance": dict(row.provenance),
                                     "url": data.get("url"), "adapter": row.adapter}
            if row.same_as:
                extra["same_as"] = ids[row.same_as]
            if row.point:
                point = points[row.key]
                extra.update(url=point.get("url", data.get("url")), quote=point.get("quote"),
                             other_reported=dict(point.get("other", {})))
            scores = {m: Score(value=float(v), higher_is_better=directions[m]) for m, v in row.values.items()}
            entries.append(Entry(entry_id=_entry_id(data["id"], row), trust="reported", model={"name": row.model},
                                 benchmark=row.benchmark, scores=scores, source=row.source, notes=row.notes,
                                 extra=extra))
    return entries
