"""`merge`: combine the shard directories of one run into a finished run directory.

The shards must share the config hash and the inputs manifest, and cover shards 0..N-1 once
each. States merge (per-sample states exactly; Gaussian statistics by float64 summation) and
the run is finalised by the same code as a single run, so the merged `results.json` equals the
single-run one: per-sample metrics and stored-feature metrics exactly, Fréchet distances to
rounding (summation order).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError
from avbench.metrics.media.edit import copy_file

from . import run_dir as rd
from .folder_lock import writing
from .scoring.pipeline import config_hash, finalize, recorded_metric
from .scoring.reference import Reference, state_size


def _load_shard(path: Path) -> dict[str, Any]:
    results = rd.read_results(path)
    if results.get("shard") is None:
        raise AvbenchError(f"{path} is not a shard (its results.json has no shard)")
    return {"path": path, "results": results, "config": rd.read_config(path)}


def merge(shard_dirs: list[str | Path], out: str | Path) -> dict[str, Any]:
    """Merge finished shard runs into `out`; returns the merged results.json content."""
    shards = sorted((_load_shard(Path(p)) for p in shard_dirs), key=lambda s: s["results"]["shard"]["index"])
    if not shards:
        raise AvbenchError("no shard directories given")
    first = shards[0]
    count = first["results"]["shard"]["count"]
    for shard in shards:
        r = shard["results"]
        if r["config_hash"] != first["results"]["config_hash"] or config_hash(shard["config"]) != r["config_hash"]:
            raise AvbenchError(f"{shard['path']}: another configuration than {first['path']} (config hash differs)")
        if r["inputs"]["manifest_sha256"] != first["results"]["inputs"]["manifest_sha256"]:
            raise AvbenchError(f"{shard['path']}: scored another inputs manifest than {first['path']}")
        if r["shard"]["count"] != count:
            raise AvbenchError(f"{shard['path']}: shard of {r['shard']['count']}, others of {count}")
    indices = [s["results"]["shard"]["index"] for s in shards]
    if sorted(indices) != list(range(count)):
        missing = sorted(set(range(count)) - set(indices))
        duplicated = sorted({i for i in indices if indices.count(i) > 1})
        raise AvbenchError(f"shards must be 0..{count - 1} once each; missing {missing}, repeated {duplicated}")

    weights = first["results"]["provenance"]["weights"]
    for shard in shards:
        if shard["results"]["provenance"]["weights"] != weights:
            raise AvbenchError(f"{shard['path']}: scored with other weight files than {first['path']} "
                               f"(provenance.weights differs)")
    with writing(out) as folder:
        return _write_merged(shards, folder)


def _write_merged(shards: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """The merged run directory `out` of checked `shards` (sorted by index)."""
    first = shards[0]
    (out / rd.RESULTS).unlink(missing_ok=True)
    config = {**first["config"], "shard": None}
    weights = first["results"]["provenance"]["weights"]
    metrics = {name: recorded_metric(name, spec["options"]) for name, spec in config["metrics"].items()}
    references = {}
    (out / rd.STATES).mkdir(exist_ok=True)
    for name, metric in metrics.items():
        state = metric.load_state(rd.state_path(first["path"], name))
        for shard in shards[1:]:
            state.merge(metric.load_state(rd.state_path(shard["path"], name)))
        state.save(rd.state_path(out, name))
        metric.set_state(state)
        if metric.needs_reference:
            references[name] = _merged_reference(name, metric, shards, out)

    manifest_rows = [_rebased(row, s["path"], out) for s in shards for row in rd.read_manifest(s["path"])]
    failure_rows = list({tuple(sorted(r.items())): r for s in shards for r in rd.read_failures(s["path"])}.values())
    totals = {k: sum(s["results"]["counts"][k] for s in shards) for k in ("expected", "listed", "scored", "failed")}
    counts = {**totals, "unexpected": first["results"]["counts"]["unexpected"]}
    wall = sum(s["results"]["provenance"]["wall_time_s"] for s in shards)
    results, sample_rows = finalize(config, metrics, references, manifest_rows, failure_rows, counts,
                                    first["results"]["inputs"]["manifest_sha256"], wall, weights)
    rd.write_config(out, config)
    rd.write_manifest(out, manifest_rows)
    rd.write_failures(out, failure_rows)
    rd.write_samples(out, sample_rows)
    return rd.write_results(out, results)


def _rebased(row: dict[str, str], shard: Path, out: Path) -> dict[str, str]:
    """A manifest row with its paths relative to `out` instead of the shard folder."""
    moved = {k: os.path.relpath(os.path.normpath(shard / row[k]), out) for k in ("video_path", "audio_path") if row[k]}
    return {**row, **moved}


def _merged_reference(name: str, metric: Any, shards: list[dict[str, Any]], out: Path) -> Reference:
    """The shards' common reference state (they must hold the same file)."""
    paths = [rd.state_path(s["path"], name, reference=True) for s in shards]
    records = [s["results"]["metrics"][name]["reference"] for s in shards]
    if len({r["state_sha256"] for r in records}) != 1:
        raise AvbenchError(f"{name}: the shards were scored against different reference states")
    target = rd.state_path(out, name, reference=True)
    copy_file(paths[0], target)
    state = metric.load_state(target)
    metric.set_state(state, reference=True)
    record = records[0]
    return Reference(target, record["source"], state_size(state), record["n_failed"])
