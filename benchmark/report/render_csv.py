"""Tables as CSV for machines: one line per row × metric with every digit. The caller picks the
fields: the score's (metric, title, higher_is_better, value, ci95_low, ci95_high, n, preset,
version, rank), the row's (benchmark, model, win_rate and its `fields`)."""
from __future__ import annotations

import csv
import io
from typing import Any, Sequence

from .table import Cell, Column, Row, Table


def _line(table: Table, row: Row, column: Column, cell: Cell) -> dict[str, Any]:
    s = cell.score
    low, high = s.ci95 or (None, None)
    return {**row.fields, "benchmark": table.benchmark, "model": row.label, "win_rate": row.win_rate,
            "metric": column.key, "title": column.title, "higher_is_better": column.higher_is_better,
            "value": s.value, "ci95_low": low, "ci95_high": high, "n": s.n, "preset": s.preset,
            "version": s.version, "rank": cell.rank}


def _text(value: Any) -> Any:
    """A list as "a | b"; the csv module writes None as an empty field and numbers with every digit."""
    if isinstance(value, (list, tuple)):
        return " | ".join(map(str, value))
    return value


def render_csv(tables: list[Table], fields: Sequence[str]) -> str:
    """A header of `fields`, then per table, row and metric column (in display order) one line."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for table in tables:
        for row in table.rows:
            for column in table.metric_columns:
                if column.key in row.cells:
                    line = _line(table, row, column, row.cells[column.key])
                    writer.writerow([_text(line[f]) for f in fields])
    return buf.getvalue()
