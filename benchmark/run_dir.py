"""The run directory and its files, read and written in one place (where it sits in the data flow:
docs/architecture.md, "What `avbench score` does").

    RUN_DIR/
      config.yaml        fully resolved configuration (its hash is results' config_hash)
      manifest.csv       the samples actually scored: files, hashes, probed properties
      failures.csv       every expected sample that was not scored, with stage and reason
      samples.parquet    one row per sample × per-sample metric (value and named warnings)
      states/<m>.npz     mergeable state of metric m (and <m>.reference.npz for set metrics)
      results.json       aggregates + provenance; written last, atomically

Every file is written atomically; `results.json` exists only for a finished run.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from avbench.metrics.csv_files import read_csv
from avbench.metrics.errors import InputError
from avbench.metrics.fileio import atomic_write

from .yaml_files import read_yaml_mapping

RESULTS = "results.json"
CONFIG = "config.yaml"
MANIFEST = "manifest.csv"
FAILURES = "failures.csv"
SAMPLES = "samples.parquet"
STATES = "states"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "results.schema.json"

MANIFEST_COLUMNS = ("sample_id", "video_path", "audio_path", "label", "text", "video_sha256", "audio_sha256",
                    "fps", "n_frames", "duration", "width", "height", "audio_sample_rate")
FAILURE_COLUMNS = ("sample_id", "stage", "error")


def state_path(run_dir: Path, metric: str, reference: bool = False) -> Path:
    return run_dir / STATES / f"{metric}{'.reference' if reference else ''}.npz"


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    with atomic_write(path, "w") as fh:
        fh.write(buf.getvalue())


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a run's CSV that `_write_csv` wrote with `columns`; a file edited out of that
    shape (a column gone or added, a row with more fields than columns) is an InputError."""
    table = read_csv(path, "the run's CSV")
    rows = table.rows(columns)
    added = [name for name in table.columns if name not in columns]
    if added:
        raise InputError(path, f"the run's CSV has column(s) {', '.join(added)} that avbench does not write")
    return [row.values for row in rows]


def write_manifest(run_dir: Path, rows: list[dict[str, Any]]) -> None:
    _write_csv(run_dir / MANIFEST, MANIFEST_COLUMNS, sorted(rows, key=lambda r: r["sample_id"]))


def read_manifest(run_dir: Path) -> list[dict[str, str]]:
    return _read_csv(run_dir / MANIFEST, MANIFEST_COLUMNS)


def write_failures(run_dir: Path, rows: list[dict[str, str]]) -> None:
    _write_csv(run_dir / FAILURES, FAILURE_COLUMNS, sorted(rows, key=lambda r: (r["sample_id"], r["stage"], r["error"])))


def read_failures(run_dir: Path) -> list[dict[str, str]]:
    return _read_csv(run_dir / FAILURES, FAILURE_COLUMNS)


def write_config(run_dir: Path, config: dict[str, Any]) -> None:
    with atomic_write(run_dir / CONFIG, "w") as fh:
        yaml.safe_dump(config, fh, sort_keys=True)


def read_config(run_dir: Path) -> dict[str, Any]:
    return read_yaml_mapping(run_dir / CONFIG, "run config")


SAMPLE_COLUMNS = ("sample_id", "label", "metric", "preset", "value")
WARNINGS_COLUMN = "warnings"  # added later: runs written before it read as having none


def write_samples(run_dir: Path, rows: list[dict[str, Any]]) -> None:
    """`samples.parquet`: sample_id, label, metric, preset, value (float64; NaN = undefined),
    warnings (the sample's named warnings, one line each), sorted by metric then sample id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = sorted(rows, key=lambda r: (r["metric"], r["sample_id"]))
    table = pa.table({
        "sample_id": pa.array([r["sample_id"] for r in rows], pa.string()),
        "label": pa.array([r["label"] for r in rows], pa.string()),
        "metric": pa.array([r["metric"] for r in rows], pa.string()),
        "preset": pa.array([r["preset"] for r in rows], pa.string()),
        "value": pa.array([float(r["value"]) for r in rows], pa.float64()),
        WARNINGS_COLUMN: pa.array([list(r.get(WARNINGS_COLUMN, [])) for r in rows], pa.list_(pa.string())),
    })
    with atomic_write(run_dir / SAMPLES) as fh:
        pq.write_table(table, fh)


def read_samples(run_dir: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    path = run_dir / SAMPLES
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on damage
        raise InputError(path, f"cannot read ({str(exc).splitlines()[0]})") from None
    missing = [c for c in SAMPLE_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(path, f"lacks column(s) {', '.join(missing)}")
    rows = table.select(list(SAMPLE_COLUMNS)).to_pylist()
    warnings = table.column(WARNINGS_COLUMN).to_pylist() if WARNINGS_COLUMN in table.column_names else [[]] * len(rows)
    return [{**row, WARNINGS_COLUMN: list(w or [])} for row, w in zip(rows, warnings)]


def write_results(run_dir: Path, results: dict[str, Any]) -> dict[str, Any]:
    """Write results.json atomically; returns its content as read back (plain JSON types)."""
    text = json.dumps(results, indent=2, sort_keys=True, allow_nan=False) + "\n"
    with atomic_write(run_dir / RESULTS, "w") as fh:
        fh.write(text)
    return json.loads(text)


def read_results(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / RESULTS
    if not path.is_file():
        raise InputError(path, "no results.json: the run has not finished (run the same score command again)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not readable JSON ({exc})") from None


def schema_errors(results: Any) -> list[str]:
    """Every way `results` violates the shipped JSON Schema (empty when valid)."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(results), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]


def finite_or_none(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)
