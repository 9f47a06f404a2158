"""`score`: inputs → per-metric map (cached by content) → states → values → the run directory.

A run is resumable by construction: every expensive per-sample result lives in the content
cache as soon as it is computed, and the run directory is rewritten from scratch on every
attempt (`results.json` last), so running the same command again after a kill (or after the
disk filled up) recomputes nothing already cached and ends with the same files. One command
at a time writes a run directory (`folder_lock`). `finalize` turns states into results;
`merge` calls it too, so a merged run and a single run share one code path.
"""
from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from avbench.metrics.cache import cache_key
from avbench.metrics.catalogue import canonical, check_options, make_metric, options_by_metric
from avbench.metrics.errors import AvbenchError
from avbench.metrics.media import MediaInfo
from avbench.metrics.media.edit import copy_file
from avbench.metrics.metric import MapContext, Metric, MetricResult, Sample
from avbench.metrics.scoring import add_samples, map_metrics, with_benchmark_options
from avbench.metrics.versions import library_versions
from avbench.metrics.weights import require_all

from .. import run_dir as rd
from ..definition import Benchmark, OutputSpec
from ..faults import crash_point
from ..folder_lock import writing
from ..sharding import Shard, select
from . import reference as ref
from .inputs import collect

CONFIG_SCHEMA = "avbench-run-config/1"


@dataclass
class ScoreRequest:
    """Everything `avbench score` needs. `metrics`: name → options (preset, template, runtime options ...)."""

    benchmark: Benchmark
    inputs: Path
    out: Path
    metrics: dict[str, dict[str, Any]]
    model: dict[str, Any] = field(default_factory=dict)  # name, options, output_spec, gen_config_hash
    reference_inputs: Path | None = None  # generated real clips; default: generated into the cache
    reference_stats: dict[str, Path] = field(default_factory=dict)
    shard: Shard | None = None
    limit: int | None = None
    context: MapContext = field(default_factory=MapContext)


def select_metrics(benchmark: Benchmark, names: list[str] | None, overrides: dict[str, dict[str, Any]] | None = None
                   ) -> dict[str, dict[str, Any]]:
    """Metric name → options: the benchmark's presets for `names` (default: all it lists), the
    benchmark's caption template and label set for the metrics that take them, then overrides.

    Unknown metric names, overrides of a metric not chosen and options a metric does not take
    are AvbenchErrors (`catalogue.options_by_metric`)."""
    chosen = list(benchmark.metrics) if not names else list(dict.fromkeys(canonical(n) for n in names))
    overrides = options_by_metric(overrides, chosen)
    labels = sorted({row["label"] for row in benchmark.rows if row.get("label")})
    out = {}
    for name in chosen:
        options = {**benchmark.metrics.get(name, {}), **overrides.get(name, {})}
        out[name] = with_benchmark_options(name, options, benchmark.text_template, labels)
        check_options(name, out[name])
    return out


def resolved_config(request: ScoreRequest, metrics: dict[str, Metric], skipped: dict[str, str] | None = None
                    ) -> dict[str, Any]:
    b = request.benchmark
    return {
        "schema": CONFIG_SCHEMA,
        "benchmark": {**b.describe(), "definition": b.definition_path,
                      "data_root": None if b.data_root is None else str(b.data_root)},
        "model": request.model,
        "inputs": str(request.inputs),
        "metrics": {name: {"options": request.metrics[name], "preset": m.preset.name, "version": m.preset.version}
                    for name, m in metrics.items()},
        "skipped_metrics": dict(skipped or {}),
        "reference": {"inputs": None if request.reference_inputs is None else str(request.reference_inputs),
                      "stats": {k: str(v) for k, v in sorted(request.reference_stats.items())}},
        "limit": request.limit,
        "shard": None if request.shard is None else str(request.shard),
    }


RUNTIME_OPTIONS = ("weights", "batch_size", "device")  # metric options that never change a number


def config_hash(config: dict[str, Any]) -> str:
    """Hash of what determines the numbers: not paths, not the shard (shards of a run share it),
    not runtime options (weights files are identified by their sha256 in the results instead)."""
    core = {k: v for k, v in config.items() if k not in ("inputs", "shard", "reference", "metrics")}
    core["metrics"] = {name: {**spec, "options": {k: v for k, v in spec["options"].items() if k not in RUNTIME_OPTIONS}}
                       for name, spec in config["metrics"].items()}
    core["benchmark"] = {k: v for k, v in config["benchmark"].items() if k not in ("definition", "data_root")}
    core["reference"] = {"stats": sorted(config["reference"]["stats"])}
    return cache_key(core)


def model_record(request_model: dict[str, Any], benchmark: Benchmark, generation: dict[str, Any] | None,
                 output: dict[str, Any] | None) -> dict[str, Any]:
    """The model section of config and results: the adapter `name` (from the inputs'
    `generate.json` when present; for the `folder` adapter, which only links videos another
    model made, the requested name), the `label` a report shows, options and output spec."""
    generation = generation or {}
    spec = OutputSpec(**generation["output_spec"]) if "output_spec" in generation else OutputSpec.of_protocol(benchmark.protocol)
    adapter = generation.get("model")
    name = (request_model.get("name") if adapter == "folder" else None) or adapter or request_model.get("name") or "unknown"
    return {
        "name": name,
        "label": request_model.get("label") or request_model.get("name") or name,
        "options": generation.get("options", request_model.get("options", {})),
        "output_spec": spec.overridden(output).to_dict(),
        "gen_config_hash": generation.get("gen_config_hash"),
    }


def score(request: ScoreRequest) -> dict[str, Any]:
    """Score one run (or one shard) into `request.out`; returns results.json's content."""
    started = time.perf_counter()
    out = request.out
    if out.resolve() == (request.inputs if request.inputs.is_dir() else request.inputs.parent).resolve():
        raise AvbenchError(f"--out {out} is the inputs folder: give the scored run its own folder")
    metrics = {name: make_metric(name, **options) for name, options in request.metrics.items()}
    if not metrics:
        raise AvbenchError("no metrics to run")
    _check_reference_stats(request.reference_stats, metrics)
    # Every weight file missing for any metric, in one message, before any work.
    require_all({name: path for metric in metrics.values() for name, path in metric.weight_files().items()})
    for metric in metrics.values():
        metric.check_ready()  # e.g. missing weights: one message before any work
        if request.context.backend is not None:
            request.context.backend.check(metric)  # e.g. a GPU network without GPUs on the cluster
    with writing(out):  # bad options or weights leave an earlier run's files as they are
        return _score(request, metrics, started)


def _score(request: ScoreRequest, metrics: dict[str, Metric], started: float) -> dict[str, Any]:
    out = request.out
    (out / rd.RESULTS).unlink(missing_ok=True)  # the run is unfinished until results.json is rewritten

    benchmark = request.benchmark
    expected = select(benchmark.item_ids, request.shard, request.limit)
    found = collect(benchmark, request.inputs, expected, OutputSpec(**request.model["output_spec"]))
    crash_point("inputs")
    samples = [found.samples[i] for i in sorted(found.samples)]
    skipped = {}
    if not any(s.label or s.text for s in samples):
        skipped = {name: "the items have no label or text (VGGSound: give the label table, --labels)"
                   for name, m in metrics.items() if m.needs_text}
    metrics = {name: m for name, m in metrics.items() if name not in skipped}
    config = resolved_config(request, metrics, skipped)
    rd.write_config(out, config)
    features, failures = map_metrics(metrics, samples, request.context, on_mapped=lambda name: crash_point(f"map:{name}"))
    failures = list(found.failures) + failures
    failed = {f.sample_id for f in failures if f.sample_id}
    scored = [s for s in samples if s.sample_id not in failed]

    shutil.rmtree(out / rd.STATES, ignore_errors=True)  # no state of an earlier attempt survives
    for name, metric in metrics.items():
        add_samples(metric, features[name], [s.sample_id for s in scored])
        metric.generated.save(rd.state_path(out, name))
    references = _references(request, metrics, out)
    crash_point("states")

    manifest_rows = [_manifest_row(s, found.info[s.sample_id], found.audio_rate[s.sample_id], out) for s in scored]
    failure_rows = [{"sample_id": f.sample_id, "stage": f.stage, "error": f.error} for f in failures]
    counts = {"expected": len(expected), "listed": found.listed, "scored": len(scored),
              "failed": len(expected) - len(scored), "unexpected": len(found.unexpected)}
    results, sample_rows = finalize(config, metrics, references, manifest_rows, failure_rows, counts,
                                    found.manifest_sha256, time.perf_counter() - started)
    rd.write_manifest(out, manifest_rows)
    rd.write_failures(out, failure_rows)
    rd.write_samples(out, sample_rows)
    crash_point("results")
    return rd.write_results(out, results)


def _check_reference_stats(stats: dict[str, Path], metrics: dict[str, Metric]) -> None:
    """Each reference-statistics file must be for a metric of the run that compares two sets."""
    takes = [name for name, metric in metrics.items() if metric.needs_reference]
    for name in stats:
        if name not in takes:
            raise AvbenchError(f"--ref-stats {name}={stats[name]}: {name!r} is not a metric of this run that "
                               f"compares two sets ({', '.join(takes) or 'none'})")


def _references(request: ScoreRequest, metrics: dict[str, Metric], out: Path) -> dict[str, ref.Reference]:
    """Fill the reference set of every metric that needs one; each is copied into the run."""
    references = {}
    clips = ref.RealClips(request.benchmark, request.reference_inputs, request.context.progress)
    for name, metric in metrics.items():
        if not metric.needs_reference:
            continue
        if name in request.reference_stats:
            reference = ref.from_stats(metric, request.reference_stats[name])
        else:
            reference = ref.build(metric, clips, request.context)
        target = rd.state_path(out, name, reference=True)
        copy_file(reference.path, target)
        reference.path = target
        references[name] = reference
    return references


def recorded_metric(name: str, options: dict[str, Any]) -> Metric:
    """Metric `name` with the options a run's config.yaml records, less the runtime options: it
    reads saved states, so it opens no file the record names (weights on another machine, or in
    a submission)."""
    return make_metric(name, **{k: v for k, v in options.items() if k not in RUNTIME_OPTIONS})


def load_metric(run_dir: Path, name: str, options: dict[str, Any]) -> Metric:
    """Metric `name` of a run directory with the states saved in its `states/`."""
    metric = recorded_metric(name, options)
    metric.set_state(metric.load_state(rd.state_path(run_dir, name)))
    if metric.needs_reference:
        metric.set_state(metric.load_state(rd.state_path(run_dir, name, reference=True)), reference=True)
    return metric


def _manifest_row(sample: Sample, info: MediaInfo, audio_rate: int | None, out: Path) -> dict[str, Any]:
    audio = sample.audio
    return {"sample_id": sample.sample_id, "video_path": os.path.relpath(sample.video, out),
            "audio_path": "" if audio is None else os.path.relpath(audio, out), "label": sample.label,
            "text": sample.text, "video_sha256": sample.video_sha256, "audio_sha256": sample.audio_sha256,
            "fps": info.fps, "n_frames": info.n_frames, "duration": info.duration, "width": info.width,
            "height": info.height, "audio_sample_rate": audio_rate}


def metric_record(metric: Metric, result: MetricResult) -> dict[str, Any]:
    """A metric's entry of results.json."""
    parameters = metric.describe()
    return {
        "title": metric.title, "kind": metric.kind, "preset": metric.preset.name, "version": metric.preset.version,
        "value": rd.finite_or_none(result.value), "higher_is_better": metric.higher_is_better, "n": result.n,
        "ci95": None if result.ci95 is None else [float(result.ci95[0]), float(result.ci95[1])],
        "ci_method": result.ci_method, "parameters": parameters, "parameters_hash": cache_key(parameters),
        "details": result.details, "notes": list(result.notes),
    }


def finalize(config: dict[str, Any], metrics: dict[str, Metric], references: dict[str, ref.Reference],
             manifest_rows: list[dict[str, Any]], failure_rows: list[dict[str, str]], counts: dict[str, int],
             manifest_sha256: str, wall_time_s: float, weights_sha256: dict[str, str] | None = None
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """results.json's content and samples.parquet's rows from the metrics' states.
    `weights_sha256`: the weight files the states came from, where the metrics did not compute
    them (merge: the shards' record); default: the metrics' own."""
    labels = {r["sample_id"]: (r.get("label") or None) for r in manifest_rows}
    metric_records, by_category, sample_rows, weights, notes = {}, {}, [], {}, []
    reasons = []
    for name, metric in metrics.items():
        reference = references.get(name)
        try:
            result = metric.compute()
        except AvbenchError as exc:  # e.g. too few samples for the preset: no value, and why
            result = metric.result(math.nan, 0, notes=(str(exc),))
            reasons.append(f"{name}: not computed ({exc})")
        record = metric_record(metric, result)
        if reference is not None:
            record["reference"] = {"source": reference.source, "n": reference.n, "n_failed": reference.n_failed,
                                   "state_sha256": reference.sha256}
            if reference.n_failed:
                notes.append(f"{name}: {reference.n_failed} reference item(s) unusable")
        metric_records[name] = record
        weights.update(metric.weights())
        warnings = metric.sample_warnings()
        for sample_id, v in metric.sample_values().items():
            sample_rows.append({"sample_id": sample_id, "label": labels.get(sample_id), "metric": name,
                                "preset": metric.preset.name, "value": v, "warnings": warnings.get(sample_id, [])})
        categories = metric.by_category(labels)
        if categories:
            by_category[name] = categories

    reasons += [f"{name}: skipped ({why})" for name, why in config.get("skipped_metrics", {}).items()]
    if counts["failed"]:
        reasons.append(f"{counts['failed']} of {counts['expected']} expected samples not scored (see failures.csv)")
    if config["benchmark"]["kind"] == "custom":
        reasons.append(f"custom benchmark {config['benchmark']['name']}: not a published benchmark")
    if config["limit"] is not None:
        reasons.append(f"--limit {config['limit']}: a subset of the benchmark")
    if config["shard"] is not None:
        reasons.append(f"shard {config['shard']}: one part of a run (merge the shards with `avbench merge`)")
    reasons += notes
    shard = None
    if config["shard"] is not None:
        index, count = config["shard"].split("/")
        shard = {"index": int(index), "count": int(count)}
    chash = config_hash(config)
    results = {
        "schema_version": "1.0",
        "run_id": f"sha256:{cache_key({'config_hash': chash, 'inputs': manifest_sha256})}",
        "config_hash": chash,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "benchmark": {k: config["benchmark"][k] for k in ("name", "version", "kind", "split", "items_sha256", "n_items", "protocol")},
        "model": config["model"],
        "inputs": {"manifest_sha256": manifest_sha256},
        "shard": shard,
        "counts": counts,
        "metrics": metric_records,
        "by_category": by_category,
        "seeds": {"protocol": int(config["benchmark"]["protocol"]["seed"]),
                  **{f"{n}_bootstrap": m.describe()["bootstrap"]["seed"] for n, m in metrics.items()
                     if "bootstrap" in m.describe()}},
        "provenance": _provenance(weights if weights_sha256 is None else weights_sha256, wall_time_s),
        "flags": {"reportable": not reasons, "reasons": reasons, "limit": config["limit"],
                  "custom_input": config["benchmark"]["kind"] == "custom"},
    }
    return results, sample_rows


def _provenance(weights: dict[str, str], wall_time_s: float) -> dict[str, Any]:
    import platform

    versions = library_versions()
    return {"avbench_version": versions.get("avbench"), "python": platform.python_version(),
            "platform": platform.platform(terse=True), "packages": dict(versions), "weights": weights,
            "wall_time_s": round(float(wall_time_s), 3) if math.isfinite(wall_time_s) else 0.0}
