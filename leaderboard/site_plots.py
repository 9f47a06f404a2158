"""The site's plots: the table plots per benchmark tab and across benchmarks, their titles and
widths on the page, a note for each plot skipped, and which of our rows reproduce a paper row."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from avbench.benchmark.report.plots import fvd_vs_av_align, metric_bars, reported_vs_reproduced, win_rate_ranking
from avbench.benchmark.report.table import Row, Table

from .names import slug
from .store import Entry


@dataclass
class PlotSet:
    """Plots written (benchmark, or "" for cross-benchmark ones -> [{title, png, svg}]) and notes on those skipped."""

    plots: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, title: str, names: list[str], folder: str, wide: bool = False) -> None:
        png, svg = (f"{folder}/{n}" for n in names)
        self.plots.setdefault(key, []).append({"title": title, "png": png, "svg": svg, "wide": wide})


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def reproductions(table: Table, entries: list[Entry]) -> list[tuple[Row, Row]]:
    """(paper row, our row) pairs of the same model in `table`: our entry names the paper entry
    in `extra["reproduces"]`, or both model names agree ignoring case and punctuation."""
    reproduces = {e.entry_id: e.extra.get("reproduces") for e in entries}
    ours = [r for r in table.rows if not r.paper]
    pairs = []
    for paper in (r for r in table.rows if r.paper):
        for row in ours:
            named = reproduces[row.key]
            if named == paper.key or (named is None and _name_key(row.label) == _name_key(paper.label)):
                pairs.append((paper, row))
    return pairs


def write_plots(tables: list[Table], entries: list[Entry], out: Path, prefix: str = "plots") -> PlotSet:
    """Every plot under `out` (= SITE/`prefix`); per-benchmark plots in a subfolder each."""
    result = PlotSet()
    for table in tables:
        folder = slug(table.benchmark)
        for title, plot, needs in (("Metrics with 95% CI", metric_bars, "a metric value"),
                                   ("FVD vs AV-Align", fvd_vs_av_align, "two entries with both FVD and AV-Align")):
            names = plot(table, out / folder)
            if names:  # several metric panels, or the scatter's key, need the page's full width to be legible
                wide = plot is fvd_vs_av_align or len(table.columns) > 1
                result.add(table.benchmark, title, names, f"{prefix}/{folder}", wide=wide)
            else:
                result.notes.append(f"{table.benchmark}: no {title} plot (needs {needs}).")
    pairs = [(t.benchmark, paper, ours) for t in tables for paper, ours in reproductions(t, entries)]
    names = reported_vs_reproduced(tables, pairs, out)
    if names:  # the no-reproduction notice is a small card; the bars need the full width
        result.add("", "Reported vs reproduced", names, prefix, wide=bool(pairs))
    else:
        result.notes.append("no Reported vs reproduced plot: no paper (reported) rows in the store.")
    names = win_rate_ranking(tables, out)
    if names:
        result.add("", "Mean win rate ranking", names, prefix, wide=True)
    else:
        result.notes.append("no Mean win rate ranking plot: no benchmark has two ranked entries.")
    return result
