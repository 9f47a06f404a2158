"""`avbench report`: tables and plots over run directories, written into one folder."""
from __future__ import annotations

from pathlib import Path

from avbench.metrics.errors import AvbenchError
from avbench.metrics.fileio import atomic_write

from .plots import av_align_by_class, av_align_histogram, fvd_vs_av_align, metric_bars
from .render_csv import render_csv
from .render_html import render_html
from .render_latex import render_latex
from .render_markdown import render_markdown
from .run_tables import run_tables
from .runs import Run, load_runs
from .table import Table

FORMATS = {"md": "report.md", "csv": "report.csv", "latex": "report.tex", "html": "report.html"}
CSV_FIELDS = ("benchmark", "model", "adapter", "metric", "preset", "version", "value", "ci95_low", "ci95_high", "n",
              "higher_is_better", "scored", "expected", "reportable", "run_dir")
PLOT_DIR = "plots"
TABLE_PLOTS = (metric_bars, fvd_vs_av_align)
RUN_PLOTS = (av_align_by_class, av_align_histogram)


def write_plots(tables: list[Table], runs: list[Run], out: Path) -> list[str]:
    """Every plot of every table under `out`, a folder per benchmark; returns their paths under `out`."""
    written = []
    for table in tables:
        folder = out / table.benchmark.replace("@", "-v")
        names = [name for plot in TABLE_PLOTS for name in plot(table, folder)]
        names += [name for plot in RUN_PLOTS for name in plot(table, runs, folder)]
        written += [f"{folder.name}/{name}" for name in names]
    return written


def report_formats(formats: list[str] | None) -> list[str]:
    """`formats` (default: all of FORMATS); an unknown one is an AvbenchError naming the choices."""
    formats = formats or list(FORMATS)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise AvbenchError(f"unknown report format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    return formats


def write_report(run_dirs: list[str | Path], out: str | Path, formats: list[str] | None = None,
                 plots: bool = True) -> list[Path]:
    """Write the requested table formats (default all) and the plots; returns the files written."""
    formats = report_formats(formats)
    runs = load_runs(run_dirs)
    if not runs:
        raise AvbenchError("no run directories given")
    out = Path(out)
    tables = run_tables(runs)
    plot_files = [f"{PLOT_DIR}/{p}" for p in write_plots(tables, runs, out / PLOT_DIR)] if plots else []
    written = [out / p for p in plot_files]
    renderers = {"md": lambda: render_markdown(tables), "csv": lambda: render_csv(tables, CSV_FIELDS),
                 "latex": lambda: render_latex(tables),
                 "html": lambda: render_html(tables, [p for p in plot_files if p.endswith(".png")])}
    for fmt in formats:
        path = out / FORMATS[fmt]
        with atomic_write(path, "w") as fh:
            fh.write(renderers[fmt]())
        written.append(path)
    return written
