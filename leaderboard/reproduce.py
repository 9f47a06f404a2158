"""`avbench reproduce <table>`: our runs beside a paper table's reported numbers.

Runs are matched to rows explicitly (`ROW=RUN_DIR`, ROW a row key such as `vggsound/ours`) or by
their results.json: same benchmark and the row's generator adapter (`reference` for TempoTokens,
`tats`, `mm-diffusion`, `real`). For every row and metric it gives the reported number, ours, the
difference and the protocol choices that differ from or are unknown in the paper, read from the
run's results.json against what the paper states: a number whose protocol is
unknown is not a regression target, only a point of comparison.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from avbench.benchmark import run_dir as rd
from avbench.metrics.errors import AvbenchError

from .reported import ReportedRow, ReportedTable, reported_tables

DASH = "—"

# What the paper (arXiv v1) states about each protocol choice, and the released inference code's
# default where it has one. None: not stated.
PAPER_PROTOCOL: dict[str, tuple[str | None, str | None]] = {
    "sample count": (None, "150 per run (inference.py --n 150)"),
    "fps": (None, "12"),
    "frames": (None, "24"),
    "resolution": (None, "384x384"),
    "duration": (None, "2 s (first 2 s of the test audio)"),
}
# What the paper states about each metric's definition.
PAPER_METRICS: dict[str, str] = {
    "av_align": "preset unknown (2023 code could not run; 2025 code: 0.1 px floor, one-to-one)",
    "fvd": "Unterthiner et al. 2019 cited; feature extractor, clip length and resolution not stated",
    "clipsim": "frames vs the audio's class label (GODIVA); CLIP backbone and prompt not stated",
    "isv": "C3D trained on UCF-101 (implementation not named)",
}
# A column may be filled by another of our metrics, which then differs by definition.
FALLBACKS = {"isv": ("is", "ours is the frame Inception Score, the paper's a C3D video IS")}


@dataclass(frozen=True)
class ProtocolItem:
    name: str
    ours: str
    paper: str
    status: str  # "same", "differs" or "unknown"


@dataclass
class Cell:
    row_key: str
    row: str
    model: str
    benchmark: str
    metric: str
    column: str
    reported: str
    ours: float | None
    delta: float | None
    protocol: str
    run: str | None


@dataclass
class Comparison:
    table: ReportedTable
    cells: list[Cell] = field(default_factory=list)
    protocol: dict[str, list[ProtocolItem]] = field(default_factory=dict)  # row key -> run-level items


def parse_runs(values: list[str]) -> list[tuple[str | None, Path]]:
    """`ROW=RUN_DIR` or `RUN_DIR` arguments."""
    out = []
    for value in values:
        key, sep, path = value.rpartition("=")
        out.append((key if sep else None, Path(path)))
    return out


def match_runs(table: ReportedTable, runs: list[tuple[str | None, Path]]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Row key -> (run dir, results). A bare run goes to the one row of its benchmark and adapter."""
    rows = {r.key: r for r in table.rows}
    matched: dict[str, tuple[Path, dict[str, Any]]] = {}
    for key, path in runs:
        results = rd.read_results(path)
        if key is None:
            model, bench = results["model"]["name"], results["benchmark"]["name"]
            candidates = [r.key for r in table.rows if r.adapter == model and r.benchmark == bench]
            if len(candidates) != 1:
                raise AvbenchError(f"{path}: model {model} on {bench} matches {len(candidates)} rows of {table.table_id} "
                                   f"({', '.join(candidates) or 'none'}); name the row: ROW={path} "
                                   f"(rows: {', '.join(rows)})")
            key = candidates[0]
        if key not in rows:
            raise AvbenchError(f"{table.table_id} has no row {key!r} (rows: {', '.join(rows)})")
        if key in matched:
            raise AvbenchError(f"row {key} is given two runs ({matched[key][0]} and {path})")
        matched[key] = (path, results)
    return matched


def _fmt(value: Any) -> str:
    return DASH if value is None else str(value)


def run_protocol(row: ReportedRow, results: dict[str, Any]) -> list[ProtocolItem]:
    """Run-level protocol choices of `results` against the paper's (benchmark, counts, output)."""
    proto = results["benchmark"]["protocol"]
    spec = results["model"].get("output_spec") or {}
    pick = {k: spec.get(k) if spec.get(k) is not None else proto.get(k) for k in ("fps", "frames", "width", "height", "duration")}
    bench = results["benchmark"]["name"]
    items = [ProtocolItem("benchmark", f"{bench}@{results['benchmark']['version']}", row.benchmark,
                          "same" if bench == row.benchmark else "differs")]
    ours = {"sample count": str(results["counts"]["scored"]), "fps": _fmt(pick["fps"]), "frames": _fmt(pick["frames"]),
            "resolution": DASH if pick["width"] is None else f"{pick['width']}x{pick['height']}",
            "duration": DASH if pick["duration"] is None else f"{pick['duration']} s"}
    for name, (stated, code) in PAPER_PROTOCOL.items():
        paper = stated or f"not stated (released code: {code})"
        items.append(ProtocolItem(name, ours[name], paper, "unknown" if stated is None else
                                  ("same" if ours[name] == stated else "differs")))
    return items


def _metric_protocol(metric: str, used: str, record: dict[str, Any] | None) -> tuple[str, str]:
    """(status, text) of one metric's definition: ours vs what the paper states."""
    if record is None:
        return "unknown", "not in the run"
    ours = f"ours {record['preset']} v{record['version']}"
    if used != metric:
        return "differs", f"{FALLBACKS[metric][1]} ({ours})"
    if metric == "isv" and record["preset"].startswith("isv/"):
        return "unknown", f"same family, C3D on UCF-101; paper's implementation not named ({ours})"
    return "unknown", f"{PAPER_METRICS.get(metric, 'not stated')} ({ours})"


def compare(table_id: str, runs: list[tuple[str | None, Path]]) -> Comparison:
    tables = reported_tables()
    if table_id not in tables:
        raise AvbenchError(f"unknown table {table_id!r}; known: {', '.join(sorted(tables))}")
    table = tables[table_id]
    matched = match_runs(table, runs)
    comparison = Comparison(table)
    for row in table.rows:
        path, results = matched.get(row.key, (None, None))
        differing: list[str] = []
        if results is not None:
            items = run_protocol(row, results)
            comparison.protocol[row.key] = items
            differing = [f"{i.name} {i.status} (ours {i.ours})" for i in items if i.status == "differs"]
        for column, metric, _ in table.columns:
            if metric not in row.values:
                continue
            ours = delta = None
            if results is None:
                protocol = "no run"
            else:
                used = metric if metric in results["metrics"] else FALLBACKS.get(metric, (metric,))[0]
                record = results["metrics"].get(used)
                status, text = _metric_protocol(metric, used, record)
                if record is not None and record["value"] is not None:
                    ours = float(record["value"])
                    delta = ours - float(row.values[metric])
                protocol = "; ".join(differing + [f"{status}: {text}"])
            comparison.cells.append(Cell(row.key, row.row, row.model, row.benchmark, metric, column, row.values[metric],
                                         ours, delta, protocol, None if path is None else str(path)))
    return comparison


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _number(value: float | None, like: str, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:{'+' if signed else ''}.{_decimals(like) + 1}f}"


def render(comparison: Comparison, fmt: str = "md") -> str:
    """The comparison as a Markdown table plus protocol notes (`md`), CSV, or JSON."""
    table = comparison.table
    if fmt == "json":
        return json.dumps({"table": table.table_id, "title": table.title, "source": table.source,
                           "caveats": list(table.caveats), "cells": [asdict(c) for c in comparison.cells],
                           "protocol": {k: [asdict(i) for i in v] for k, v in comparison.protocol.items()}},
                          indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["table", "row", "model", "benchmark", "metric", "reported", "ours", "delta", "protocol", "run"])
        for c in comparison.cells:
            writer.writerow([table.table_id, c.row_key, c.model, c.benchmark, c.metric, c.reported,
                             "" if c.ours is None else repr(c.ours), "" if c.delta is None else repr(c.delta),
                             c.protocol, c.run or ""])
        return buf.getvalue()
    if fmt != "md":
        raise AvbenchError(f"unknown format {fmt!r}: md, csv or json")
    lines = [f"## {table.title}", "", f"Source: {table.source}", "",
             "| row | metric | reported | ours | Δ | protocol differences |", "|---|---|---|---|---|---|"]
    for c in comparison.cells:
        lines.append(f"| {c.row} | {c.column} | {c.reported} | {_number(c.ours, c.reported)} | "
                     f"{_number(c.delta, c.reported, signed=True)} | {c.protocol.replace('|', '/')} |")
    for key, items in comparison.protocol.items():
        lines += ["", f"Protocol of the run for `{key}` (ours | paper | status):"]
        lines += [f"- {i.name}: {i.ours} | {i.paper} | {i.status}" for i in items]
    lines += ["", "Caveats of the reported numbers:"] + [f"- {c}" for c in table.caveats]
    return "\n".join(lines) + "\n"
