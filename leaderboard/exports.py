"""The leaderboard as data: `leaderboard.json` (the tables as the site shows them, reported rows
included: a serialisation of the table model), the same object as `data.js` for pages opened
from disk (browsers block fetch() on file://), and the fields of `leaderboard.csv` (one line per
entry × metric, every digit kept)."""
from __future__ import annotations

import json
from typing import Any

from avbench.benchmark.report.numbers import format_score
from avbench.benchmark.report.table import Cell, Row, Table

from .entry_tables import format_rate
from .store import TRUST_LEVELS

SITE_FORMAT = "avbench-leaderboard-site/1"
DATA_GLOBAL = "AVBENCH_LEADERBOARD"
CSV_COLUMNS = ("benchmark", "entry_id", "model", "trust", "reference", "reportable", "metric", "title",
               "higher_is_better", "value", "ci95_low", "ci95_high", "n", "preset", "version", "rank", "win_rate",
               "av_align_position", "benchmark_version", "suite_version", "source", "notes")


def _cell(cell: Cell) -> dict[str, Any]:
    s = cell.score
    return {"display": format_score(s), "value": s.value, "ci95": None if s.ci95 is None else list(s.ci95),
            "half_width": s.half_width, "n": s.n, "preset": s.preset, "version": s.version, "title": s.title,
            "higher_is_better": s.higher_is_better, "rank": cell.rank}


def _row(row: Row, samples: dict[str, str]) -> dict[str, Any]:
    return {**row.fields, "win_rate": row.win_rate, "win_rate_display": format_rate(row.win_rate),
            "scores": {key: _cell(c) for key, c in row.cells.items()}, "samples": samples.get(row.key)}


def site_data(tables: list[Table], plots: dict[str, list[dict[str, str]]], samples: dict[str, str],
              notes: list[str], generated_at: str) -> dict[str, Any]:
    """The site's data object. `plots`: benchmark (or "" for cross-benchmark plots) -> [{title,
    png, svg}]; `samples`: entry id -> its per-sample data script (relative path); `notes`:
    build notes (e.g. plots skipped and why)."""
    return {
        "format": SITE_FORMAT, "generated_at": generated_at, "trust_levels": list(TRUST_LEVELS),
        "notes": notes, "plots": plots.get("", []),
        "benchmarks": [{
            "name": t.benchmark,
            # a level column ("av_align:chance") holds a reference's score beside each contender
            "columns": [{"metric": c.key, "title": c.title, "higher_is_better": c.higher_is_better,
                         "arrow": c.arrow, "level": c.level, "presets": list(c.presets)} for c in t.columns],
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
