"""Loading run directories for reports."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import run_dir as rd
from .table import Score

# The control models, bracketing every result, and the reference each one is in a table: the
# dataset's own clips (real), another item's audio (chance), audio delayed by k frames (shifted).
CONTROLS = {"real": "real", "shuffled-audio": "chance", "shifted": "shifted"}


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
    def benchmark(self) -> str:
        b = self.results["benchmark"]
        return f"{b['name']}@{b['version']}"

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
