"""The console summary `avbench score` and `avbench merge` print."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .numbers import format_score
from .table import Score


def metric_label(record: dict[str, Any]) -> str:
    """"Title ↑ [preset vN]": a metric of results.json as the console names it."""
    arrow = "↑" if record["higher_is_better"] else "↓"
    return f"{record['title']} {arrow} [{record['preset']} v{record['version']}]"


def summary_lines(results: dict[str, Any], run_dir: Path) -> list[str]:
    counts, flags = results["counts"], results["flags"]
    b, m = results["benchmark"], results["model"]
    shard = f", shard {results['shard']['index']}/{results['shard']['count']}" if results["shard"] else ""
    lines = [f"{m.get('label') or m['name']} on {b['name']}@{b['version']}{shard}: {counts['scored']} of "
             f"{counts['expected']} samples scored, {counts['failed']} failed -> {run_dir}"]
    for record in results["metrics"].values():
        lines.append(f"  {metric_label(record)}: {format_score(Score.from_dict(record))}  (n={record['n']})")
        lines += [f"    note: {note}" for note in record["notes"]]  # e.g. samples scored with warnings
    if not flags["reportable"]:
        lines.append("  not reportable: " + "; ".join(flags["reasons"]))
    return lines
