"""A finished run directory read back as untrusted input (another machine's run, a submission):
`read_run` reads config.yaml, manifest.csv, failures.csv and samples.parquet, each checked for
the shape avbench writes, and `rewrite_problems` writes results.json and samples.parquet again
from those files and states/ (`finalize`, as `score` and `merge` write them) and compares them
field by field with the run's own."""
from __future__ import annotations

import json
import math
import reprlib
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError, InputError

from . import run_dir as rd
from .scoring.pipeline import finalize, load_metric
from .scoring.reference import Reference, state_size

CONFIG_SCHEMA = Path(__file__).resolve().parent / "schemas" / "config.schema.json"
# What results.json records that the run's other files cannot give (when and where it ran, its
# inputs manifest, how many rows that manifest listed): taken as recorded when it is written again.
AS_RECORDED = ("created_at", "provenance", "inputs", "counts")
RTOL = 1e-9  # numbers written again from the same states: only summation order may differ
_SHORT = reprlib.Repr()  # values in one-line messages, shortened
_SHORT.maxstring = _SHORT.maxother = 80


@dataclass(frozen=True)
class RunFiles:
    """What `read_run` read: config.yaml, and the rows of manifest.csv, failures.csv and samples.parquet."""

    config: dict[str, Any]
    manifest: list[dict[str, str]]
    failures: list[dict[str, str]]
    samples: list[dict[str, Any]]


def read_run(run: Path) -> RunFiles:
    """The run's files other than results.json and states/; an InputError names the first file
    that avbench could not have written (config not matching its schema, a CSV row with missing
    or extra fields, a samples.parquet cell of the wrong type)."""
    import jsonschema

    config = rd.read_config(run)
    validator = jsonschema.Draft202012Validator(json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8")))
    error = next(iter(sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(root)"
        raise InputError(run / rd.CONFIG, f"not a run config avbench writes ({where}: {textwrap.shorten(error.message, 120)})")
    manifest, failures = rd.read_manifest(run), rd.read_failures(run)
    samples = rd.read_samples(run)
    for number, row in enumerate(samples):
        text = [row[c] for c in ("sample_id", "metric", "preset")] + ([] if row["label"] is None else [row["label"]])
        if not all(isinstance(v, str) for v in text) or not isinstance(row["value"], float):
            raise InputError(run / rd.SAMPLES, f"row {number}: sample_id, metric and preset must be text, label text "
                                               f"or null, value a number (got {_SHORT.repr(row)})")
    return RunFiles(config, manifest, failures, samples)


def rewrite_problems(run: Path, results: dict[str, Any], files: RunFiles) -> list[str]:
    """The first field of results.json (less AS_RECORDED) or samples.parquet that differs from
    what `finalize` writes from the run's files; empty when none does."""
    try:
        metrics = {name: load_metric(run, name, spec["options"]) for name, spec in files.config["metrics"].items()}
        references = {}
        for name, metric in metrics.items():
            if metric.needs_reference:
                path = rd.state_path(run, name, reference=True)
                record = (results["metrics"].get(name) or {}).get("reference") or {}
                references[name] = Reference(path, record.get("source", ""), state_size(metric.load_state(path)),
                                             record.get("n_failed", 0))
        ours, rows = finalize(files.config, metrics, references, files.manifest, files.failures, results["counts"],
                              results["inputs"]["manifest_sha256"], results["provenance"]["wall_time_s"],
                              results["provenance"]["weights"])
    except AvbenchError as exc:
        return [f"results.json cannot be written again from the run's files ({exc})"]
    expected = {(r["metric"], r["sample_id"]): (r["label"], r["preset"]) for r in rows}
    for row in files.samples:
        label, preset = expected.get((row["metric"], row["sample_id"]), (row["label"], row["preset"]))
        if (label, preset) != (row["label"], row["preset"]):
            return [f"samples.parquet: {row['metric']} of {row['sample_id']} has label {row['label']!r} and preset "
                    f"{row['preset']!r}; manifest.csv and config.yaml give {label!r} and {preset!r}"]
    ours = json.loads(json.dumps({k: v for k, v in ours.items() if k not in AS_RECORDED}))
    found = difference(ours, {k: v for k, v in results.items() if k not in AS_RECORDED})
    if found:
        return [f"results.json {found[0]}: the run's files give {found[1]}, it says {found[2]}"]
    return []


def difference(ours: Any, theirs: Any, where: str = "") -> tuple[str, str, str] | None:
    """The first place where `theirs` differs from `ours` (numbers within RTOL): its dotted path
    and both values, shortened for a message ("absent" where a key is missing); None when equal."""
    def at(key: Any) -> str:
        return f"{where}.{key}" if where else str(key)

    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(ours.keys() | theirs.keys(), key=str):
            if key not in theirs or key not in ours:
                return (at(key), _SHORT.repr(ours[key]) if key in ours else "absent",
                        _SHORT.repr(theirs[key]) if key in theirs else "absent")
            found = difference(ours[key], theirs[key], at(key))
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return next(filter(None, (difference(a, b, f"{where}[{k}]") for k, (a, b) in enumerate(zip(ours, theirs)))),
                    None)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (ours, theirs)):
        a, b = float(ours), float(theirs)
        if math.isclose(a, b, rel_tol=RTOL, abs_tol=RTOL) or (math.isnan(a) and math.isnan(b)):
            return None
    elif type(ours) is type(theirs) and ours == theirs:
        return None
    return where or "(root)", _SHORT.repr(ours), _SHORT.repr(theirs)
