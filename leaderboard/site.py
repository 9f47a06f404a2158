"""`avbench leaderboard build`: the static site (plain HTML/CSS/JS + JSON; opens from disk and
from any static host), `leaderboard.{json,csv,tex}`, plots and the per-sample browser, built
into a temporary folder and then renamed over SITE."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from avbench.benchmark.report.render_csv import render_csv
from avbench.benchmark.report.render_latex import render_latex
from avbench.metrics.errors import AvbenchError

from .entry_tables import build_tables
from .exports import CSV_COLUMNS, site_data, to_data_js, to_json
from .names import slug
from .samples import SAMPLES_GLOBAL, build_sample_browser
from .site_plots import write_plots
from .store import Entry, atomic_folder, read_entries

ASSETS = ("index.html", "app.js", "style.css")
MARKER = "leaderboard.json"  # a folder holding this is a previous build, safe to replace


@dataclass
class BuildSummary:
    out: Path
    n_entries: int
    benchmarks: list[str]
    samples: list[str] = field(default_factory=list)  # entry ids with a per-sample browser
    notes: list[str] = field(default_factory=list)


def paper_entries() -> tuple[list[Entry], str | None]:
    """The paper's reported rows, or none and a note when `leaderboard.reported` is not there."""
    try:
        from .reported import reported_entries
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.reported":
            raise
        return [], "the paper's reported rows are not available in this installation (leaderboard.reported missing)"
    return list(reported_entries()), None


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise AvbenchError(f"{out}: exists and is not a leaderboard site (no {MARKER}); refusing to replace it")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _fill(tmp: Path, store: Path, entries: list[Entry], notes: list[str], max_peak_plots: int,
          workers: int | None) -> BuildSummary:
    tables = build_tables(entries)
    for name in ASSETS:
        _write(tmp / name, (resources.files(__package__) / "site_assets" / name).read_text(encoding="utf-8"))
    samples: dict[str, str] = {}
    for entry in entries:
        if entry.trust == "reported":
            continue
        data = build_sample_browser(entry, store, tmp, max_peak_plots, workers)
        if data is not None:
            key = slug(entry.entry_id)
            _write(tmp / "samples" / f"{key}.json", to_json(data))
            target = f"(window.{SAMPLES_GLOBAL} = window.{SAMPLES_GLOBAL} || {{}})[{json.dumps(entry.entry_id)}]"
            _write(tmp / "samples" / f"{key}.js", to_data_js(data, target))
            samples[entry.entry_id] = f"samples/{key}.js"
    plots = write_plots(tables, entries, tmp / "plots")
    notes = notes + plots.notes
    data = site_data(tables, plots.plots, samples, notes,
                     datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    _write(tmp / "leaderboard.json", to_json(data))
    _write(tmp / "data.js", to_data_js(data))
    _write(tmp / "leaderboard.csv", render_csv(tables, CSV_COLUMNS))
    _write(tmp / "leaderboard.tex", render_latex(tables))
    return BuildSummary(tmp, len(entries), [t.benchmark for t in tables], list(samples), notes)


def build_site(store: str | Path, out: str | Path, include_reported: bool = True, max_peak_plots: int = 100,
               workers: int | None = 1) -> BuildSummary:
    """Build the leaderboard of `store` into `out` (replacing a previous build atomically)."""
    store, out = Path(store), Path(out).resolve()
    entries = read_entries(store)
    notes: list[str] = []
    if include_reported:
        paper, note = paper_entries()
        held = {e.entry_id for e in entries}
        entries += [e for e in paper if e.entry_id not in held]
        notes += [note] if note else []
    _check_target(out)
    with atomic_folder(out) as tmp:
        summary = _fill(tmp, store, entries, notes, max_peak_plots, workers)
        tmp.chmod(0o755)  # mkdtemp makes it private; a site is meant to be served
    summary.out = out
    return summary
