"""`validate`: check a dataset copy, a set of inputs, or a finished run directory.

- dataset (`--benchmark B`): every item's video and audio present, readable, decodable and
  long enough for the protocol's segment;
- inputs (`--benchmark B --inputs RUN|manifest.csv`): what `score` would accept, decoding
  every frame: listed once, inside the run root, present, decodable, of the expected fps,
  frame count, size and duration, with audio;
- run directory (`RUN_DIR`): results.json against the shipped JSON Schema, its config hash
  against config.yaml, every aggregate recomputed from samples.parquet and states/, and then
  results.json and samples.parquet written again from the run's other files (`finalize`, as
  `score` and `merge` write them) and compared field by field: per-class means, every metric
  record, flags, seeds, the benchmark and model sections, the run id, each sample's label.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.scoring import Failure

from . import run_dir as rd
from .definition import Benchmark, OutputSpec
from .run_audit import read_run, rewrite_problems
from .scoring.inputs import check_media, collect
from .scoring.pipeline import config_hash, load_metric


@dataclass
class ItemReport:
    """Validation of a set of items: how many were checked and every problem found."""

    checked: int
    problems: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.checked - len({p.sample_id for p in self.problems if p.sample_id})

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "ok": self.ok,
                "problems": [{"sample_id": p.sample_id, "stage": p.stage, "error": p.error} for p in self.problems]}


def validate_inputs(benchmark: Benchmark, inputs: str | Path, spec: OutputSpec, decode: bool = True) -> ItemReport:
    """What `score` would find in `inputs`, with every frame decoded (unless `decode` is False)."""
    found = collect(benchmark, inputs, benchmark.item_ids, spec, decode=decode)
    problems = list(found.failures)
    problems += [Failure(i, "inputs", f"{i}: not an item of {benchmark.id}") for i in found.unexpected]
    return ItemReport(len(benchmark.item_ids), problems)


def validate_dataset(benchmark: Benchmark, decode: bool = True, progress: bool = True) -> ItemReport:
    """The user's copy of the benchmark's dataset under its data_root."""
    from tqdm import tqdm

    items = benchmark.items()
    _check_data_root(benchmark)
    report = ItemReport(len(items))
    for item in tqdm(items, desc=f"validate {benchmark.name}", unit="item", disable=not progress):
        if item.video_path is None:
            report.problems.append(Failure(item.item_id, "inputs", f"{item.item_id}: the benchmark has no video path"))
            continue
        audio = None if item.audio_path == item.video_path else item.audio_path
        needed = None if math.isnan(item.duration) else item.start + item.duration
        check = check_media(item.video_path, audio, OutputSpec(), decode=decode, min_duration=needed)
        if check.problems:
            report.problems.append(Failure(item.item_id, check.stage, "; ".join(check.problems)))
    return report


def _check_data_root(benchmark: Benchmark) -> None:
    """One InputError when the data root is missing or holds none of the layout's folders (else
    every item would report the same absence)."""
    root = benchmark.data_root
    if root is None:
        return
    folders = sorted({Path(t).parts[0] for t in benchmark.layout.values()
                      if t and not Path(t).is_absolute() and len(Path(t).parts) > 1 and "{" not in Path(t).parts[0]})
    if root.is_dir() and (not folders or any((root / f).is_dir() for f in folders)):
        return
    problem = "does not exist" if not root.is_dir() else f"holds no {' or '.join(f + '/' for f in folders)} folder"
    hint = (f" (build it from your download: avbench data prepare {benchmark.name} --source DIR --root {root})"
            if benchmark.sources is not None else "")
    raise InputError(root, f"{problem}: it is no copy of {benchmark.id}{hint}")


def _close(a: float | None, b: float | None, rel: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def validate_run(path: str | Path) -> list[str]:
    """Every problem of a finished run directory (empty: valid)."""
    run = Path(path)
    try:
        results = rd.read_results(run)
    except InputError as exc:
        return [str(exc)]
    problems = [f"results.json: {e}" for e in rd.schema_errors(results)]
    if problems:
        return problems
    try:
        files = read_run(run)
    except InputError as exc:
        return [str(exc)]
    config, manifest, samples = files.config, files.manifest, files.samples
    if config_hash(config) != results["config_hash"]:
        problems.append("config.yaml does not hash to results.json's config_hash")
    counts = results["counts"]
    if len(manifest) != counts["scored"]:
        problems.append(f"manifest.csv lists {len(manifest)} samples, results.json counts {counts['scored']} scored")
    if counts["scored"] + counts["failed"] != counts["expected"]:
        problems.append("counts: scored + failed != expected")
    if counts["failed"] and results["flags"]["reportable"]:
        problems.append("flags: reportable although samples failed")
    problems += _recompute(run, config, results, samples)
    return problems or rewrite_problems(run, results, files)


def _recompute(run: Path, config: dict[str, Any], results: dict[str, Any], samples: list[dict[str, Any]]) -> list[str]:
    """Aggregates recomputed from samples.parquet and states/ must match results.json."""
    problems = []
    for name, record in results["metrics"].items():
        if name not in config["metrics"]:
            problems.append(f"{name}: in results.json but not in config.yaml")
            continue
        try:
            metric = load_metric(run, name, config["metrics"][name]["options"])
            value = metric.compute()
        except AvbenchError as exc:
            if record["value"] is not None:
                problems.append(f"{name}: cannot recompute from states/ ({exc})")
            continue
        recomputed = None if not np.isfinite(value.value) else float(value.value)
        if not _close(recomputed, record["value"], 1e-9) or value.n != record["n"]:
            problems.append(f"{name}: states/ give {recomputed} (n={value.n}), results.json says {record['value']} (n={record['n']})")
        ci = None if value.ci95 is None else [float(value.ci95[0]), float(value.ci95[1])]
        if (ci is None) != (record["ci95"] is None) or (ci and not all(map(_close, ci, record["ci95"], (1e-9, 1e-9)))):
            problems.append(f"{name}: states/ give the 95% CI {ci}, results.json says {record['ci95']}")
        if metric.kind == "per-sample":
            rows = {r["sample_id"]: r["value"] for r in samples if r["metric"] == name}
            from_state = metric.sample_values()
            if rows.keys() != from_state.keys() or any(
                    not (_close(rows[k], from_state[k], 0.0) or (math.isnan(rows[k]) and math.isnan(from_state[k])))
                    for k in rows):
                problems.append(f"{name}: samples.parquet disagrees with states/")
    return problems
