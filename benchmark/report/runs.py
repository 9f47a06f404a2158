"""Loading run directories for reports, and how their values are named and formatted."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import run_dir as rd
from .table import Score

CONTROLS = ("real", "shuffled-audio", "shifted")  # control models, bracketing every result


def format_number(value: float | None) -> str:
    """Three decimals (fewer for large values, three significant digits for small ones); values
    below 1e-9 in magnitude are rounding noise of an exact zero (e.g. a distance of a set to
    itself) and show as 0.000. Files (csv, json) keep every digit."""
    if value is None or not math.isfinite(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 10:
        return f"{value:.2f}"
    if magnitude >= 0.01:
        return f"{value:.3f}"
    if magnitude < 1e-9:
        return "0.000"
    return f"{value:.3g}"


def half_width(record: dict[str, Any]) -> float | None:
    ci = record.get("ci95")
    return None if not ci else (ci[1] - ci[0]) / 2


def format_value(record: dict[str, Any] | None, ci: bool = True, pm: str = "±") -> str:
    if record is None:
        return "—"
    text = format_number(record["value"])
    h = half_width(record)
    if ci and h is not None and record["value"] is not None:
        text += f" {pm} {format_number(h)}"
    return text


@dataclass
class Run:
    """One finished run directory, as a report sees it."""

    path: Path
    results: dict[str, Any]

    @property
    def model(self) -> str:
        m = self.results["model"]
        return m.get("label") or m["name"]

    @property
    def adapter(self) -> str:
        return self.results["model"]["name"]

    @property
    def is_control(self) -> bool:
        return self.adapter in CONTROLS

    @property
    def benchmark(self) -> str:
        b = self.results["benchmark"]
        return f"{b['name']}@{b['version']}"

    def title(self, metric: str) -> str:
        record = self.metric(metric)
        return record["title"] if record else metric

    def metric(self, name: str) -> dict[str, Any] | None:
        return self.results["metrics"].get(name)

    def sample_values(self, metric: str) -> list[float]:
        return [r["value"] for r in rd.read_samples(self.path) if r["metric"] == metric and math.isfinite(r["value"])]


def scores_from_results(results: dict[str, Any]) -> dict[str, Score]:
    """The scores of a harness `results.json` (metric name -> Score)."""
    return {name: Score.from_dict(record) for name, record in results["metrics"].items()}


def load_runs(paths: list[str | Path]) -> list[Run]:
    """Finished runs (results.json present), labels made unique by their folder name."""
    runs = [Run(Path(p), rd.read_results(Path(p))) for p in paths]
    seen: dict[str, int] = {}
    for run in runs:
        seen[run.model] = seen.get(run.model, 0) + 1
    for run in runs:
        if seen[run.model] > 1:
            run.results["model"]["label"] = f"{run.model} ({run.path.name})"
    return runs


def control_level(runs: list[Run], benchmark: str, adapter: str, metric: str, preset: str) -> dict[str, Any] | None:
    """The metric record of the `adapter` control on `benchmark` with the same preset, if run."""
    for run in runs:
        record = run.metric(metric)
        if run.benchmark == benchmark and run.adapter == adapter and record and record["preset"] == preset:
            return record
    return None
