"""Plots of tables, for `avbench report` and every other table of the suite (matplotlib Agg,
PNG + SVG, one style): per-metric bars with 95% CIs (a reference's level as a line across its
metric's bars) and FVD vs AV-Align with the contenders' Pareto front; for runs, per-class
AV-Align bars and the distribution of per-clip AV-Align. The style, colours and helpers here
serve plots of the same tables elsewhere. A plot returns the names of the files it wrote: none
when it has nothing to show."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from avbench.metrics.fileio import atomic_write

from .numbers import format_number
from .runs import Run
from .table import Column, Row, Score, Table

# Colour-blind-safe (Okabe-Ito) for the contenders; references keep fixed colours.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#f0e442", "#000080", "#8c564b", "#999999")
REFERENCE_COLOURS = {"real": "#333333", "chance": "#e69f00", "shifted": "#56b4e9"}
OTHER_REFERENCE_COLOUR = "#bbbbbb"
LEVEL_LINES = {"chance": ":", "real": "--"}  # line style of a level drawn across its metric's bars
MAX_CLASSES = 30  # per-class plot: the most frequent classes


def plot_style():
    """pyplot on the Agg backend with avbench's style (SVGs reproducible byte for byte)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
                         "xtick.labelsize": 10, "ytick.labelsize": 10, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "avbench"})
    return plt


def save_figure(fig, out: Path, stem: str) -> list[str]:
    """`fig` as out/stem.png and out/stem.svg (closed afterwards); returns the two file names."""
    fig.tight_layout()
    names = []
    for ext in ("png", "svg"):
        with atomic_write(out / f"{stem}.{ext}") as fh:
            fig.savefig(fh, format=ext, dpi=150, metadata={"Date": None} if ext == "svg" else None)
        names.append(f"{stem}.{ext}")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return names


def colours(rows: list[Row]) -> dict[str, str]:
    """Label -> colour: the contenders the palette in order (rows of one model share it), the
    references their fixed colour."""
    names = dict.fromkeys(r.label for r in rows if not r.is_reference)
    result = {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}
    result.update({r.label: REFERENCE_COLOURS.get(r.reference or "", OTHER_REFERENCE_COLOUR) for r in rows
                   if r.is_reference})
    return result


def plot_label(row: Row) -> str:
    return f"{row.label} (paper)" if row.paper else row.label


def wrapped(label: str, width: int = 38) -> str:
    """`label` broken into lines of at most `width` characters (a long model name on a plot axis)."""
    return "\n".join(textwrap.wrap(label, width)) or label


def _value(row: Row, key: str) -> float | None:
    cell = row.cells.get(key)
    return None if cell is None else cell.score.value


def ci_errors(scores: list[Score]) -> np.ndarray:
    """(2, n) distances from each value down and up to its CI bounds (NaN without a CI)."""
    out = [[s.value - s.ci95[0], s.ci95[1] - s.value] if s.ci95 else [np.nan, np.nan] for s in scores]
    return np.array(out).T.reshape(2, -1)


def _titled(column: Column) -> str:
    return f"{column.header}  [{', '.join(column.presets)}]"


def _marked(table: Table, paper: str, reference: str) -> str:
    """" (paper: ..., reference: ...)": how the figure marks paper rows and references, where it has them."""
    marks = [text for text, shown in ((paper, any(r.paper for r in table.rows)),
                                      (reference, any(r.is_reference for r in table.rows))) if shown]
    return f" ({'; '.join(marks)})" if marks else ""


def level_lines(table: Table, column: Column) -> dict[str, float]:
    """Level -> the value drawn across `column`'s bars: for each level column of the metric, the
    first reference of that level with a value (e.g. AV-Align's chance and real levels)."""
    lines = {}
    for level in (c.level for c in table.columns if c.level and c.metric == column.key):
        value = next((v for r in table.rows if r.reference == level and (v := _value(r, column.key)) is not None), None)
        if value is not None:
            lines[level] = value
    return lines


def metric_bars(table: Table, out: Path) -> list[str]:
    """One panel per metric (two panels a row), a horizontal bar per row in the table's order
    with its 95% CI, hatched as the row says; the metric's levels as vertical lines."""
    columns = [c for c in table.metric_columns if any(_value(r, c.key) is not None for r in table.rows)]
    if not columns:
        return []
    plt = plot_style()
    palette = colours(table.rows)
    rows = table.rows
    ncols = min(2, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    labels = [wrapped(plot_label(r)) for r in rows]
    height = 0.2 * sum(label.count("\n") + 1 for label in labels) + 0.25 * len(rows) + 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 2.6, max(2.8, height) * nrows), squeeze=False,
                             sharey=True)
    y = np.arange(len(rows))
    for ax, column in zip(axes.flat, columns):
        present = [i for i, r in enumerate(rows) if _value(r, column.key) is not None]
        scores = [rows[i].cells[column.key].score for i in present]
        values = [s.value for s in scores]
        errors = ci_errors(scores)
        bars = ax.barh(y[present], values, color=[palette[rows[i].label] for i in present],
                       xerr=errors, capsize=3, edgecolor="black", linewidth=0.6)
        for patch, i, v, right in zip(bars, present, values, np.asarray(values) + np.nan_to_num(errors[1])):
            patch.set_hatch(rows[i].hatch)
            ax.annotate(format_number(v), (max(right, 0.0), y[i]), textcoords="offset points", xytext=(4, 0),
                        va="center", fontsize=8)
        for level, value in level_lines(table, column).items():
            ax.axvline(value, color="black", linestyle=LEVEL_LINES.get(level, "-."), linewidth=1,
                       label=f"{level} {value:.3f}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", frameon=False, fontsize=8)
        ax.set_title(_titled(column), fontsize=10, loc="left")
        ax.margins(x=0.18)
    axes[0, 0].set_yticks(y, labels, fontsize=9)
    axes[0, 0].invert_yaxis()
    for ax in list(axes.flat)[len(columns):]:
        ax.axis("off")
    fig.suptitle(f"{table.benchmark}: each metric with its 95% CI"
                 + _marked(table, "hatched: paper numbers", "hatched: references"))
    return save_figure(fig, out, "metrics_bars")


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points (fvd, av_align) that no other point dominates (FVD no higher and
    AV-Align no lower, one of them strictly), ordered by FVD."""
    front = [i for i, (f, a) in enumerate(points)
             if not any(f2 <= f and a2 >= a and (f2 < f or a2 > a) for f2, a2 in points)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


def fvd_vs_av_align(table: Table, out: Path) -> list[str]:
    """Scatter of FVD ↓ against AV-Align ↑ (two or more rows with both), CIs as error bars,
    numbered points with a key, the Pareto front of the contenders as a step line."""
    rows = [r for r in table.rows if _value(r, "fvd") is not None and _value(r, "av_align") is not None]
    if len(rows) < 2:
        return []
    plt = plot_style()
    palette = colours(table.rows)
    points = [(r.cells["fvd"].score.value, r.cells["av_align"].score.value) for r in rows]
    fig, ax = plt.subplots(figsize=(10.5, max(5.0, 0.32 * len(rows) + 1.5)))
    for k, (row, (x, y)) in enumerate(zip(rows, points), start=1):
        xerr, yerr = (ci_errors([row.cells[m].score]) for m in ("fvd", "av_align"))
        marker = "s" if row.paper else "D" if row.is_reference else "o"
        # Numbered points and a key beside the axes: names written at the points overlap.
        ax.errorbar([x], [y], xerr=None if np.isnan(xerr).all() else xerr, yerr=None if np.isnan(yerr).all() else yerr,
                    fmt=marker, color=palette[row.label], capsize=3, markersize=8,
                    label=wrapped(f"{k}. {plot_label(row)}", 44))
        ax.annotate(str(k), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    contenders = [i for i, r in enumerate(rows) if not r.is_reference]
    front = [contenders[i] for i in pareto_front([points[i] for i in contenders])]
    if front:
        ax.step([points[i][0] for i in front], [points[i][1] for i in front], where="post", color="black",
                linestyle="--", linewidth=1, label="Pareto front")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    by_key = {c.key: c for c in table.columns}
    ax.set_xlabel(_titled(by_key["fvd"]))
    ax.set_ylabel(_titled(by_key["av_align"]))
    ax.set_title(f"{table.benchmark}: quality vs synchrony"
                 + _marked(table, "squares: paper numbers", "diamonds: references"), loc="left")
    ax.margins(x=0.2, y=0.15)
    return save_figure(fig, out, "fvd_vs_av_align")


def _run_rows(table: Table, runs: list[Run]) -> list[tuple[Row, Run]]:
    """The rows of `table` with the runs they show (a run's row is keyed by its folder)."""
    by_key = {str(run.path): run for run in runs}
    return [(row, by_key[row.key]) for row in table.rows if row.key in by_key]


def av_align_by_class(table: Table, runs: list[Run], out: Path) -> list[str]:
    """Per-class mean AV-Align, grouped bars (a colour per row), the most frequent classes."""
    present = [(row, run) for row, run in _run_rows(table, runs) if run.results["by_category"].get("av_align")]
    if not present:
        return []
    plt = plot_style()
    palette = colours(table.rows)
    counts: dict[str, int] = {}
    for _, run in present:
        for label, rec in run.results["by_category"]["av_align"].items():
            counts[label] = max(counts.get(label, 0), rec["n"])
    classes = sorted(counts, key=lambda c: (-counts[c], c))[:MAX_CLASSES]
    height = max(3.0, 0.32 * len(classes) * len(present) + 1.2)
    fig, ax = plt.subplots(figsize=(9.0, height))
    bar = 0.8 / len(present)
    y = np.arange(len(classes))
    for k, (row, run) in enumerate(present):
        by = run.results["by_category"]["av_align"]
        values = [by[c]["value"] if c in by else np.nan for c in classes]
        ax.barh(y + k * bar - 0.4 + bar / 2, values, height=bar, color=palette[row.label], label=row.label,
                edgecolor="black", linewidth=0.5, hatch=row.hatch)
    ax.set_yticks(y, [f"{c} (n={counts[c]})" for c in classes])
    ax.invert_yaxis()
    ax.set_xlabel("mean AV-Align per class ↑")
    ax.set_title(table.benchmark)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return save_figure(fig, out, "av_align_by_class")


def av_align_histogram(table: Table, runs: list[Run], out: Path) -> list[str]:
    """Distribution of per-clip AV-Align (defined scores), one outline per row."""
    values = {row.label: run.sample_values("av_align") for row, run in _run_rows(table, runs)
              if "av_align" in run.results["metrics"]}
    values = {k: v for k, v in values.items() if v}
    if not values:
        return []
    plt = plot_style()
    palette = colours(table.rows)
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    bins = np.linspace(0.0, max(1.0, max(max(v) for v in values.values())), 21)
    for label, v in values.items():
        ax.hist(v, bins=bins, histtype="stepfilled", alpha=0.3, color=palette[label])
        ax.hist(v, bins=bins, histtype="step", linewidth=2, color=palette[label], label=f"{label} (n={len(v)})")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("per-clip AV-Align")
    ax.set_ylabel("clips")
    ax.set_title(table.benchmark)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return save_figure(fig, out, "av_align_histogram")
