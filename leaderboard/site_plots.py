"""The site's plots: the table plots per benchmark tab; across benchmarks, paper numbers beside
their reproductions and the mean-win-rate ranking (in the report plots' style); their titles and
widths on the page, a note for each plot skipped, and which of our rows reproduce a paper row."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avbench.benchmark.report.numbers import format_number
from avbench.benchmark.report.plots import (PALETTE, ci_errors, colours, fvd_vs_av_align, metric_bars, plot_label,
                                            plot_style, save_figure, wrapped)
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


def reported_vs_reproduced(tables: list[Table], pairs: list[tuple[str, Row, Row]], out: Path) -> list[str]:
    """Per metric, the paper's number beside ours for each (benchmark, paper row, our row) of
    `pairs`; without pairs, the tables' paper rows alone with that said on the figure."""
    reported = [(t.benchmark, r) for t in tables for r in t.rows if r.paper]
    if not reported:
        return []
    plt = plot_style()
    if not pairs:
        fig, ax = plt.subplots(figsize=(6.0, 2.4))
        ax.axis("off")
        names = sorted({f"{r.label} ({b})" for b, r in reported})
        ax.text(0.5, 0.7, "No run in this store reproduces a paper row\n(same model and benchmark).",
                ha="center", va="center", fontsize=13, transform=ax.transAxes)
        ax.text(0.5, 0.2, f"{len(reported)} paper rows, e.g. " + ", ".join(names[:3]) + (" ..." if len(names) > 3 else ""),
                ha="center", va="center", fontsize=10, wrap=True, transform=ax.transAxes)
        fig.suptitle("Reported (paper) vs reproduced")
        return save_figure(fig, out, "reported_vs_reproduced")
    metrics = list(dict.fromkeys(m for _, p, o in pairs for m in p.cells if m in o.cells))
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(4.5, 1.6 * len(pairs) + 1.5) * len(metrics), 4.4), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        group = [(b, p, o) for b, p, o in pairs if metric in p.cells and metric in o.cells]
        x = np.arange(len(group))
        paper = [p.cells[metric].score.value for _, p, _ in group]
        ours = [o.cells[metric].score.value for _, _, o in group]
        ax.bar(x - 0.2, paper, width=0.4, color="#bbbbbb", hatch="//", edgecolor="black", linewidth=0.6, label="paper")
        ax.bar(x + 0.2, ours, width=0.4, color=PALETTE[0], edgecolor="black", linewidth=0.6,
               yerr=ci_errors([o.cells[metric].score for _, _, o in group]), capsize=4, label="ours")
        for shift, values in ((-0.2, paper), (0.2, ours)):
            for xi, v in zip(x, values):
                ax.annotate(format_number(v), (xi + shift, v), textcoords="offset points", xytext=(0, 3), ha="center",
                            fontsize=8)
        score = group[0][1].cells[metric].score
        ax.set_title(f"{score.title or metric} {'↑' if score.higher_is_better else '↓'}")
        ax.set_xticks(x, [f"{o.label}\n{b}" for b, _, o in group], fontsize=9)
        ax.margins(y=0.15)
        ax.legend(frameon=False, fontsize=9)
    fig.suptitle("Reported (paper) vs reproduced (ours, 95% CI)")
    return save_figure(fig, out, "reported_vs_reproduced")


def win_rate_ranking(tables: list[Table], out: Path) -> list[str]:
    """Horizontal bars of the mean win rate, one panel per table with two or more ranked rows."""
    ranked = [(t, [r for r in t.rows if r.win_rate is not None]) for t in tables]
    ranked = [(t, rows) for t, rows in ranked if len(rows) >= 2]
    if not ranked:
        return []
    plt = plot_style()
    labels = {id(r): wrapped(plot_label(r)) for _, rows in ranked for r in rows}
    lines = [sum(labels[id(r)].count("\n") + 1 for r in rows) for _, rows in ranked]
    height = sum(0.22 * n + 0.2 * len(rows) + 1.0 for n, (_, rows) in zip(lines, ranked))
    fig, axes = plt.subplots(len(ranked), 1, figsize=(9.0, max(3.0, height)), squeeze=False,
                             gridspec_kw={"height_ratios": [n + 2 for n in lines]})
    for ax, (table, rows) in zip(axes.flat, ranked):
        palette = colours(table.rows)
        y = np.arange(len(rows))
        bars = ax.barh(y, [r.win_rate for r in rows], color=[palette[r.label] for r in rows], edgecolor="black",
                       linewidth=0.6)
        for patch, row in zip(bars, rows):
            patch.set_hatch(row.hatch)
            ax.annotate(f"{row.win_rate:.2f}", (row.win_rate, patch.get_y() + patch.get_height() / 2),
                        textcoords="offset points", xytext=(4, 0), va="center", fontsize=9)
        ax.set_yticks(y, [labels[id(r)] for r in rows], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.12)
        ax.set_title(table.benchmark, loc="left", fontsize=11)
    axes.flat[-1].set_xlabel("mean win rate ↑ (HELM; missing metrics excluded)")
    fig.suptitle("Mean win rate ranking")
    return save_figure(fig, out, "win_rate_ranking")


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
