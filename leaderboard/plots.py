"""Leaderboard plots (matplotlib Agg, PNG + SVG, the report's style): per-metric bars with 95%
CI per benchmark, FVD vs AV-Align with the Pareto front, the paper's reported numbers beside our
reproductions, and the mean-win-rate ranking. A plot with nothing to show is not drawn; the
reason is returned as a note instead."""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avbench.benchmark.report.plots import PALETTE, plot_style, save_figure
from avbench.benchmark.report.runs import format_number

from .names import slug
from .table_model import BenchmarkTable, Row

TRUST_HATCH = {"reported": "//", "self-reported": "..", "verified": "", "reference": ""}


@dataclass
class PlotSet:
    """Plots written (benchmark, or "" for cross-benchmark ones -> [{title, png, svg}]) and notes on those skipped."""

    plots: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, title: str, names: list[str], folder: str, wide: bool = False) -> None:
        png, svg = (f"{folder}/{n}" for n in names)
        self.plots.setdefault(key, []).append({"title": title, "png": png, "svg": svg, "wide": wide})


def _label(row: Row) -> str:
    return row.model if row.entry.trust != "reported" else f"{row.model} (paper)"


def _colours(rows: list[Row]) -> dict[str, str]:
    names = list(dict.fromkeys(r.model for r in rows))
    return {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}


def _errors(rows: list[Row], metric: str) -> np.ndarray:
    out = []
    for row in rows:
        score = row.cells[metric].score
        ci = score.ci95
        out.append([score.value - ci[0], ci[1] - score.value] if ci else [np.nan, np.nan])
    return np.array(out).T.reshape(2, -1)


def _wrapped(label: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def metric_bars(table: BenchmarkTable, out: Path) -> list[str]:
    """One panel per metric (two panels a row), a horizontal bar per entry in the table's order
    with its 95% CI (reported rows hatched); model names on the left of each panel row."""
    columns = [c for c in table.columns
               if any(c.metric in r.cells and r.cells[c.metric].score.value is not None for r in table.rows)]
    if not columns:
        return []
    plt = plot_style()
    colours = _colours(table.rows)
    rows = table.rows
    ncols = min(2, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    labels = [_wrapped(_label(r)) for r in rows]
    height = 0.2 * sum(label.count("\n") + 1 for label in labels) + 0.25 * len(rows) + 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 2.6, max(2.8, height) * nrows), squeeze=False,
                             sharey=True)
    y = np.arange(len(rows))
    for ax, column in zip(axes.flat, columns):
        present = [i for i, r in enumerate(rows)
                   if column.metric in r.cells and r.cells[column.metric].score.value is not None]
        values = [rows[i].cells[column.metric].score.value for i in present]
        errors = _errors([rows[i] for i in present], column.metric)
        bars = ax.barh(y[present], values, color=[colours[rows[i].model] for i in present],
                       xerr=errors, capsize=3, edgecolor="black", linewidth=0.6)
        for patch, i, v, right in zip(bars, present, values, np.asarray(values) + np.nan_to_num(errors[1])):
            patch.set_hatch(TRUST_HATCH.get(rows[i].entry.trust, ""))
            ax.annotate(format_number(v), (max(right, 0.0), y[i]), textcoords="offset points", xytext=(4, 0),
                        va="center", fontsize=8)
        ax.set_title(f"{column.header}  [{', '.join(column.presets)}]", fontsize=10, loc="left")
        ax.margins(x=0.18)
    axes[0, 0].set_yticks(y, labels, fontsize=9)
    axes[0, 0].invert_yaxis()
    for ax in list(axes.flat)[len(columns):]:
        ax.axis("off")
    hatched = " (hatched: paper numbers)" if any(r.entry.trust == "reported" for r in rows) else ""
    fig.suptitle(f"{table.benchmark}: each metric with its 95% CI{hatched}")
    return save_figure(fig, out, "metrics_bars")


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points (fvd, av_align) that no other point dominates (FVD no higher and
    AV-Align no lower, one of them strictly), ordered by FVD."""
    front = [i for i, (f, a) in enumerate(points)
             if not any(f2 <= f and a2 >= a and (f2 < f or a2 > a) for f2, a2 in points)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


def fvd_vs_av_align(table: BenchmarkTable, out: Path) -> list[str]:
    """Scatter of FVD ↓ against AV-Align ↑, CIs as error bars, the Pareto front as a step line."""
    rows = [r for r in table.rows if all(m in r.cells and r.cells[m].score.value is not None for m in ("fvd", "av_align"))]
    if len(rows) < 2:
        return []
    plt = plot_style()
    colours = _colours(table.rows)
    points = [(r.cells["fvd"].score.value, r.cells["av_align"].score.value) for r in rows]
    fig, ax = plt.subplots(figsize=(10.5, max(5.0, 0.32 * len(rows) + 1.5)))
    for k, (row, (x, y)) in enumerate(zip(rows, points), start=1):
        xerr, yerr = (_errors([row], m) for m in ("fvd", "av_align"))
        marker = "s" if row.entry.trust == "reported" else "o"
        # Numbered points and a key beside the axes: names written at the points overlap.
        ax.errorbar([x], [y], xerr=None if np.isnan(xerr).all() else xerr, yerr=None if np.isnan(yerr).all() else yerr,
                    fmt=marker, color=colours[row.model], capsize=3, markersize=8, label=_wrapped(f"{k}. {_label(row)}", 44))
        ax.annotate(str(k), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    front = pareto_front(points)
    fx = [points[i][0] for i in front]
    fy = [points[i][1] for i in front]
    ax.step(fx, fy, where="post", color="black", linestyle="--", linewidth=1, label="Pareto front")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    ax.set_xlabel("FVD ↓")
    ax.set_ylabel("AV-Align ↑")
    ax.set_title(f"{table.benchmark}: quality vs synchrony (squares: paper numbers)", loc="left")
    ax.margins(x=0.2, y=0.15)
    return save_figure(fig, out, "fvd_vs_av_align")


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def reproductions(table: BenchmarkTable) -> list[tuple[Row, Row]]:
    """(reported row, our row) pairs of the same model: our entry names the paper entry in
    `extra["reproduces"]`, or both model names agree ignoring case and punctuation."""
    reported = [r for r in table.rows if r.entry.trust == "reported"]
    ours = [r for r in table.rows if r.entry.trust != "reported"]
    pairs = []
    for paper in reported:
        for row in ours:
            named = row.entry.extra.get("reproduces")
            if named == paper.entry.entry_id or (named is None and _name_key(row.model) == _name_key(paper.model)):
                pairs.append((paper, row))
    return pairs


def reported_vs_reproduced(tables: list[BenchmarkTable], out: Path) -> list[str]:
    """Per metric, the paper's number beside ours for every reproduced model × benchmark; when
    no run reproduces a paper row, the paper rows alone with that said on the figure."""
    pairs = [(t.benchmark, p, o) for t in tables for p, o in reproductions(t)]
    reported = [(t.benchmark, r) for t in tables for r in t.rows if r.entry.trust == "reported"]
    if not reported:
        return []
    plt = plot_style()
    if not pairs:
        fig, ax = plt.subplots(figsize=(6.0, 2.4))
        ax.axis("off")
        names = sorted({f"{r.model} ({b})" for b, r in reported})
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
               yerr=_errors([o for _, _, o in group], metric), capsize=4, label="ours")
        for xi, v in zip(x, paper):
            ax.annotate(format_number(v), (xi - 0.2, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
        for xi, v in zip(x, ours):
            ax.annotate(format_number(v), (xi + 0.2, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
        column = group[0][1].cells[metric].score
        ax.set_title(f"{column.title or metric} {'↑' if column.higher_is_better else '↓'}")
        ax.set_xticks(x, [f"{o.model}\n{b}" for b, _, o in group], fontsize=9)
        ax.margins(y=0.15)
        ax.legend(frameon=False, fontsize=9)
    fig.suptitle("Reported (paper) vs reproduced (ours, 95% CI)")
    return save_figure(fig, out, "reported_vs_reproduced")


def win_rate_ranking(tables: list[BenchmarkTable], out: Path) -> list[str]:
    """Horizontal bars of the mean win rate, one panel per benchmark with two or more ranked rows."""
    ranked = [(t, [r for r in t.rows if r.win_rate is not None]) for t in tables]
    ranked = [(t, rows) for t, rows in ranked if len(rows) >= 2]
    if not ranked:
        return []
    plt = plot_style()
    labels = {id(r): _wrapped(_label(r)) for _, rows in ranked for r in rows}
    lines = [sum(labels[id(r)].count("\n") + 1 for r in rows) for _, rows in ranked]
    height = sum(0.22 * n + 0.2 * len(rows) + 1.0 for n, (_, rows) in zip(lines, ranked))
    fig, axes = plt.subplots(len(ranked), 1, figsize=(9.0, max(3.0, height)), squeeze=False,
                             gridspec_kw={"height_ratios": [n + 2 for n in lines]})
    for ax, (table, rows) in zip(axes.flat, ranked):
        colours = _colours(table.rows)
        y = np.arange(len(rows))
        bars = ax.barh(y, [r.win_rate for r in rows], color=[colours[r.model] for r in rows], edgecolor="black",
                       linewidth=0.6)
        for patch, row in zip(bars, rows):
            patch.set_hatch(TRUST_HATCH.get(row.entry.trust, ""))
            ax.annotate(f"{row.win_rate:.2f}", (row.win_rate, patch.get_y() + patch.get_height() / 2),
                        textcoords="offset points", xytext=(4, 0), va="center", fontsize=9)
        ax.set_yticks(y, [labels[id(r)] for r in rows], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.12)
        ax.set_title(table.benchmark, loc="left", fontsize=11)
    axes.flat[-1].set_xlabel("mean win rate ↑ (HELM; missing metrics excluded)")
    fig.suptitle("Mean win rate ranking")
    return save_figure(fig, out, "win_rate_ranking")


def write_plots(tables: list[BenchmarkTable], out: Path, prefix: str = "plots") -> PlotSet:
    """Every plot under `out` (= SITE/`prefix`); per-benchmark plots in a subfolder each."""
    result = PlotSet()
    for table in tables:
        folder = slug(table.benchmark)
        for title, plot in (("Metrics with 95% CI", metric_bars), ("FVD vs AV-Align", fvd_vs_av_align)):
            names = plot(table, out / folder)
            if names:  # several metric panels, or the scatter's key, need the page's full width to be legible
                wide = plot is fvd_vs_av_align or len(table.columns) > 1
                result.add(table.benchmark, title, names, f"{prefix}/{folder}", wide=wide)
            else:
                result.notes.append(f"{table.benchmark}: no {title} plot (needs "
                                    f"{'two entries with both FVD and AV-Align' if plot is fvd_vs_av_align else 'a metric value'}).")
    for title, plot, why in (("Reported vs reproduced", reported_vs_reproduced, "no paper (reported) rows in the store"),
                             ("Mean win rate ranking", win_rate_ranking, "no benchmark has two ranked entries")):
        names = plot(tables, out)
        if names:
            # The no-reproduction notice is a small card; the bars need the full width.
            wide = plot is win_rate_ranking or any(reproductions(t) for t in tables)
            result.add("", title, names, prefix, wide=wide)
        else:
            result.notes.append(f"no {title} plot: {why}.")
    return result
