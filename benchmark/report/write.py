"""`avbench report`: tables and plots over run directories, written into one folder."""
from __future__ import annotations

from pathlib import Path

from avbench.metrics.errors import AvbenchError
from avbench.metrics.fileio import atomic_write

from .plots import write_plots
from .runs import load_runs
from .tables import build_tables, render_csv, render_html, render_latex, render_markdown

FORMATS = {"md": "report.md", "csv": "report.csv", "latex": "report.tex", "html": "report.html"}
PLOT_DIR = "plots"


def write_report(run_dirs: list[str | Path], out: str | Path, formats: list[str] | None = None,
                 plots: bool = True) -> list[Path]:
    """Write the requested table formats (default all) and the plots; returns the files written."""
    formats = formats or list(FORMATS)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise AvbenchError(f"unknown report format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    runs = load_runs(run_dirs)
    if not runs:
        raise AvbenchError("no run directories given")
    out = Path(out)
    tables = build_tables(runs)
    plot_files = [f"{PLOT_DIR}/{p}" for p in write_plots(runs, out / PLOT_DIR)] if plots else []
    written = [out / p for p in plot_files]
    renderers = {"md": lambda: render_markdown(tables), "csv": lambda: render_csv(tables),
                 "latex": lambda: render_latex(tables),
                 "html": lambda: render_html(tables, [p for p in plot_files if p.endswith(".png")])}
    for fmt in formats:
        path = out / FORMATS[fmt]
        with atomic_write(path, "w") as fh:
            fh.write(renderers[fmt]())
        written.append(path)
    return written
