"""Report plots (matplotlib, PNG + SVG): per-metric bars with 95% CI, FVD vs AV-Align, per-class
AV-Align bars, and the distribution of per-clip AV-Align. Controls are drawn in grey."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .runs import Run, format_number
from .table import metric_order

# Colour-blind-safe (Okabe-Ito); controls keep fixed colours and are hatched in bar charts.
CONTROL_COLOURS = {"real": "#333333", "shuffled-audio": "#e69f00", "shifted": "#56b4e9"}
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#f0e442", "#000080", "#8c564b", "#999999")
CONTROL_HATCH = "//"
MAX_CLASSES = 30  # per-class plot: the most frequent classes


def _colours(runs: list[Run]) -> dict[str, str]:
    colours, k = {}, 0
    for run in runs:
        if run.is_control:
            colours[run.model] = CONTROL_COLOURS.get(run.adapter, "#bbbbbb")
        else:
            colours[run.model] = PALETTE[k % len(PALETTE)]
            k += 1
    return colours


def plot_style():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
                         "xtick.labelsize": 10, "ytick.labelsize": 10, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "avbench"})
    return plt


def save_figure(fig, out: Path, stem: str) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    names = []
    for ext in ("png", "svg"):
        fig.savefig(out / f"{stem}.{ext}", dpi=150, metadata={"Date": None} if ext == "svg" else None)
        names.append(f"{stem}.{ext}")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return names


def _metric_names(runs: list[Run]) -> list[str]:
    return metric_order(m for run in runs for m in run.results["metrics"])


def metric_bars(runs: list[Run], out: Path, title: str) -> list[str]:
    """One panel per metric: a bar per run, 95% CI as error bars; AV-Align panels carry the
    chance (shuffled-audio) and real-video levels as dashed lines."""
    plt = plot_style()
    names = _metric_names(runs)
    colours = _colours(runs)
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    width = max(4.5, 1.1 * len(runs) + 1.5)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, 3.9 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        present = [r for r in runs if r.metric(name) and r.metric(name)["value"] is not None]
        values = [r.metric(name)["value"] for r in present]
        errors = np.array([[v - r.metric(name)["ci95"][0], r.metric(name)["ci95"][1] - v] if r.metric(name)["ci95"]
                           else [np.nan, np.nan] for r, v in zip(present, values)]).T.reshape(2, -1)
        x = np.arange(len(present))
        bars = ax.bar(x, values, color=[colours[r.model] for r in present], yerr=errors, capsize=4,
                      edgecolor="black", linewidth=0.6, error_kw={"elinewidth": 1.2})
        for patch, run in zip(bars, present):
            patch.set_hatch(CONTROL_HATCH if run.is_control else "")
        for xi, v, top in zip(x, values, np.asarray(values) + np.nan_to_num(errors[1])):
            ax.annotate(format_number(v), (xi, max(top, 0.0)), textcoords="offset points", xytext=(0, 4), ha="center", va="bottom",
                        fontsize=9, bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
        record = present[0].metric(name) if present else None
        if record is not None:
            ax.set_title(f"{record['title']} {'↑' if record['higher_is_better'] else '↓'}  [{record['preset']}]")
        if name == "av_align":
            for adapter, style, text in (("shuffled-audio", ":", "chance"), ("real", "--", "real")):
                level = next((r.metric(name)["value"] for r in present if r.adapter == adapter), None)
                if level is not None:
                    ax.axhline(level, color="black", linestyle=style, linewidth=1, label=f"{text} {level:.3f}")
            if ax.get_legend_handles_labels()[0]:  # between title and axes, clear of the bars
                ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=9)
                ax.set_title(ax.get_title(), pad=22)
        long_names = len(present) > 3 or any(len(r.model) > 8 for r in present)
        ax.set_xticks(x, [r.model for r in present], rotation=30 if long_names else 0,
                      ha="right" if long_names else "center")
        ax.margins(y=0.18)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(title)
    return save_figure(fig, out, "metrics_bars")


def fvd_vs_av_align(runs: list[Run], out: Path, title: str) -> list[str]:
    """Scatter of FVD (lower is better) against AV-Align (higher is better) with AV-Align CIs."""
    present = [r for r in runs if r.metric("fvd") and r.metric("av_align") and r.metric("fvd")["value"] is not None
               and r.metric("av_align")["value"] is not None]
    if not present:
        return []
    plt = plot_style()
    colours = _colours(runs)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for run in present:
        x, y = run.metric("fvd")["value"], run.metric("av_align")["value"]
        ci = run.metric("av_align")["ci95"]
        yerr = [[y - ci[0]], [ci[1] - y]] if ci else None
        ax.errorbar([x], [y], yerr=yerr, fmt="o", color=colours[run.model], capsize=4, markersize=8)
        ax.annotate(run.model, (x, y), textcoords="offset points", xytext=(7, 5), fontsize=10)
    ax.set_xlabel(f"FVD ↓  [{present[0].metric('fvd')['preset']}]")
    ax.set_ylabel(f"AV-Align ↑  [{present[0].metric('av_align')['preset']}]")
    ax.set_title(title)
    ax.margins(x=0.2, y=0.1)
    return save_figure(fig, out, "fvd_vs_av_align")


def av_align_by_class(runs: list[Run], out: Path, title: str) -> list[str]:
    """Per-class mean AV-Align, grouped bars (one colour per run), the most frequent classes."""
    present = [r for r in runs if r.results["by_category"].get("av_align")]
    if not present:
        return []
    plt = plot_style()
    colours = _colours(runs)
    counts: dict[str, int] = {}
    for run in present:
        for label, rec in run.results["by_category"]["av_align"].items():
            counts[label] = max(counts.get(label, 0), rec["n"])
    classes = sorted(counts, key=lambda c: (-counts[c], c))[:MAX_CLASSES]
    height = max(3.0, 0.32 * len(classes) * len(present) + 1.2)
    fig, ax = plt.subplots(figsize=(9.0, height))
    bar = 0.8 / len(present)
    y = np.arange(len(classes))
    for k, run in enumerate(present):
        by = run.results["by_category"]["av_align"]
        values = [by[c]["value"] if c in by else np.nan for c in classes]
        ax.barh(y + k * bar - 0.4 + bar / 2, values, height=bar, color=colours[run.model], label=run.model,
                edgecolor="black", linewidth=0.5, hatch=CONTROL_HATCH if run.is_control else "")
    ax.set_yticks(y, [f"{c} (n={counts[c]})" for c in classes])
    ax.invert_yaxis()
    ax.set_xlabel("mean AV-Align per class ↑")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return save_figure(fig, out, "av_align_by_class")


def av_align_histogram(runs: list[Run], out: Path, title: str) -> list[str]:
    """Distribution of per-clip AV-Align (defined scores), one outline per run."""
    values = {r.model: r.sample_values("av_align") for r in runs if r.metric("av_align")}
    values = {k: v for k, v in values.items() if v}
    if not values:
        return []
    plt = plot_style()
    colours = _colours(runs)
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    bins = np.linspace(0.0, max(1.0, max(max(v) for v in values.values())), 21)
    for model, v in values.items():
        ax.hist(v, bins=bins, histtype="stepfilled", alpha=0.3, color=colours[model])
        ax.hist(v, bins=bins, histtype="step", linewidth=2, color=colours[model], label=f"{model} (n={len(v)})")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("per-clip AV-Align")
    ax.set_ylabel("clips")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return save_figure(fig, out, "av_align_histogram")


PLOTS = (metric_bars, fvd_vs_av_align, av_align_by_class, av_align_histogram)


def write_plots(runs: list[Run], out: Path) -> list[str]:
    """Every plot for every benchmark among `runs`, under `out` (files named <benchmark>-<plot>)."""
    written = []
    for benchmark in dict.fromkeys(r.benchmark for r in runs):
        group = [r for r in runs if r.benchmark == benchmark]
        folder = out / benchmark.replace("@", "-v")
        for plot in PLOTS:
            written += [f"{folder.name}/{name}" for name in plot(group, folder, benchmark)]
    return written
