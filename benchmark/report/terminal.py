"""The short table `avbench score` and `avbench av-align` print last: per metric its mean, 95% CI,
n and failures, and for AV-Align the lowest and highest clips. Drawn with rich on a terminal;
plain aligned text for a pipe, a file or CI (one row a line, columns separated by two spaces)."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Mapping

from .numbers import format_number
from .summary import metric_label
from .table import Score

HEADER = ("metric", "mean", "95% CI", "n", "failed", "lowest", "highest")
NUMERIC = {"mean", "n", "failed"}  # right-aligned columns


@dataclass(frozen=True)
class MetricLine:
    """One metric of one run: `label` (title, direction, preset), its score, the samples that
    failed, and for a per-clip metric the (sample id, value) of its lowest and highest clips."""

    label: str
    score: Score
    failed: int
    lowest: tuple[str, float] | None = None
    highest: tuple[str, float] | None = None

    def cells(self) -> tuple[str, ...]:
        ci = self.score.ci95
        return (self.label, format_number(self.score.value),
                "—" if ci is None else f"[{format_number(ci[0])}, {format_number(ci[1])}]",
                "—" if self.score.n is None else str(self.score.n), str(self.failed),
                _clip(self.lowest), _clip(self.highest))


def _clip(end: tuple[str, float] | None) -> str:
    return "—" if end is None else f"{end[0]} {format_number(end[1])}"


def extremes(values: Mapping[str, float]) -> tuple[tuple[str, float], tuple[str, float]] | None:
    """The (sample id, value) of the lowest and the highest defined value (ties: the first id in
    sorted order); None when no value is defined."""
    defined = sorted((v, k) for k, v in values.items() if v is not None and math.isfinite(v))
    if not defined:
        return None
    low = defined[0]
    high = min((k for v, k in defined if v == defined[-1][0]))
    return (low[1], low[0]), (high, defined[-1][0])


def run_table(results: dict[str, Any], run_dir: Path) -> list[MetricLine]:
    """The lines of a scored run: each metric of results.json; AV-Align's clips from samples.parquet."""
    from .. import run_dir as rd

    per_sample: dict[str, dict[str, float]] = {}
    if any(name == "av_align" for name in results["metrics"]):
        for row in rd.read_samples(run_dir):
            per_sample.setdefault(row["metric"], {})[row["sample_id"]] = row["value"]
    lines = []
    for name, record in results["metrics"].items():
        ends = extremes(per_sample.get(name, {})) if name == "av_align" else None
        lines.append(MetricLine(metric_label(record), Score.from_dict(record), results["counts"]["failed"],
                                *(ends or (None, None))))
    return lines


def plain_text(lines: list[MetricLine]) -> str:
    """The table as aligned text: a header line, then one line per metric."""
    rows = [HEADER] + [line.cells() for line in lines]
    widths = [max(len(row[k]) for row in rows) for k in range(len(HEADER))]
    return "\n".join("  ".join(cell.rjust(w) if HEADER[k] in NUMERIC else cell.ljust(w)
                               for k, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows)


def print_table(lines: list[MetricLine], file: IO[str] | None = None) -> None:
    """Print `lines`: a rich table when `file` (default stdout) is a terminal, else `plain_text`."""
    from rich.console import Console
    from rich.table import Table

    file = file or sys.stdout
    console = Console(file=file)
    if not console.is_terminal:
        print(plain_text(lines), file=file)
        return
    table = Table(title="summary")
    for column in HEADER:
        table.add_column(column, justify="right" if column in NUMERIC else "left")
    for line in lines:
        table.add_row(*line.cells())
    console.print(table)
