"""The leaderboard as data: `leaderboard.json` (what the site shows, reported rows included),
the same object as `data.js` for pages opened from disk (browsers block fetch() on file://),
and `leaderboard.csv` (one row per entry × metric, every digit kept)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from avbench.benchmark.report.runs import format_number

from .store import TRUST_LEVELS
from .table_model import BenchmarkTable, Cell, Row

SITE_FORMAT = "avbench-leaderboard-site/1"
DATA_GLOBAL = "AVBENCH_LEADERBOARD"
CSV_COLUMNS = ("benchmark", "entry_id", "model", "trust", "reportable", "metric", "title", "higher_is_better",
               "value", "ci95_low", "ci95_high", "n", "preset", "version", "rank", "win_rate", "benchmark_version",
               "suite_version", "source", "notes")


def _cell(cell: Cell) -> dict[str, Any]:
    s = cell.score
    text = format_number(s.value)
    if s.value is not None and cell.half_width is not None:
        text += f" ± {format_number(cell.half_width)}"
    return {"display": text, "value": s.value, "ci95": None if s.ci95 is None else list(s.ci95), "half_width": cell.half_width,
            "n": s.n, "preset": s.preset, "version": s.version, "title": s.title,
            "higher_is_better": s.higher_is_better, "rank": cell.rank}


def _row(row: Row, samples: dict[str, str]) -> dict[str, Any]:
    e = row.entry
    return {"entry_id": e.entry_id, "model": e.model, "trust": e.trust, "reportable": e.reportable,
            "reasons": row.reasons, "notes": list(e.notes), "source": e.source,
            "benchmark_version": e.benchmark_version, "suite_version": e.suite_version, "added_at": e.added_at,
            "win_rate": row.win_rate,
            "win_rate_display": "—" if row.win_rate is None else f"{row.win_rate:.3f}", "scores": {m: _cell(c) for m, c in row.cells.items()},
            "samples": samples.get(e.entry_id)}


def site_data(tables: list[BenchmarkTable], plots: dict[str, list[dict[str, str]]], samples: dict[str, str],
              notes: list[str], generated_at: str) -> dict[str, Any]:
    """The site's data object. `plots`: benchmark (or "" for cross-benchmark plots) -> [{title,
    png, svg}]; `samples`: entry id -> its per-sample data script (relative path); `notes`:
    build notes (e.g. plots skipped and why)."""
    return {
        "format": SITE_FORMAT, "generated_at": generated_at, "trust_levels": list(TRUST_LEVELS),
        "notes": notes, "plots": plots.get("", []),
        "benchmarks": [{
            "name": t.benchmark,
            "columns": [{"metric": c.metric, "title": c.title, "higher_is_better": c.higher_is_better,
                         "arrow": c.arrow, "presets": list(c.presets)} for c in t.columns],
            "rows": [_row(r, samples) for r in t.rows],
            "footnotes": t.footnotes,
            "plots": plots.get(t.benchmark, []),
        } for t in tables],
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def to_data_js(data: dict[str, Any], target: str = f"window.{DATA_GLOBAL}") -> str:
    """A script assigning `data` to the JavaScript expression `target` (JSON is valid JavaScript;
    `</` is escaped so no string can close a <script> element)."""
    body = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    return f"{target} = {body};\n"


def render_csv(tables: list[BenchmarkTable]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in tables:
        for row in table.rows:
            e = row.entry
            for column in table.columns:
                cell = row.cells.get(column.metric)
                if cell is None:
                    continue
                s = cell.score
                ci = s.ci95 or ("", "")
                writer.writerow([table.benchmark, e.entry_id, row.model, e.trust, e.reportable, column.metric,
                                 column.title, column.higher_is_better, "" if s.value is None else repr(s.value),
                                 repr(ci[0]) if s.ci95 else "", repr(ci[1]) if s.ci95 else "",
                                 "" if s.n is None else s.n, s.preset or "", s.version or "", cell.rank or "",
                                 "" if row.win_rate is None else repr(row.win_rate), e.benchmark_version or "",
                                 e.suite_version or "", e.source, " | ".join(e.notes)])
    return buf.getvalue()
