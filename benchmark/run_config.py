"""Run configs (`avbench run CONFIG.yaml`): one YAML naming a benchmark, the models to generate
with, the metrics and the report; every relative path in it is relative to the YAML's folder.

    name: my-eval                       # names the output folder (default: the file name)
    benchmark: landscape                # built-in name, name@version, YAML path, synthetic:<n>
    data_root: /data/landscape          # your copy of the dataset
    items: null                         # custom benchmarks: items CSV or folder
    labels: null                        # VGGSound: the official vggsound.csv
    protocol: {}                        # custom benchmarks: protocol overrides
    out: runs/my-eval                   # default ./avbench-runs/<name>
    metrics: [av_align, fvd]            # or {fvd: {preset: fvd/videogpt}}; default: the benchmark's
    models:
      - {name: real}
      - {name: shuffled-audio}
      - {name: folder, label: my-model, options: {path: /gen/my-model}, output: {fps: 8}}
    reference: {inputs: null, stats: {fvd: ref.npz}}   # default: the `real` model's clips
    report: {formats: [md, csv, latex, html], plots: true}
    workers: null
    device: cpu

Its JSON Schema is `schemas/run_config.schema.json` (the protocol and output fields are the
benchmark schema's).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError, InputError

from .report.write import report_formats
from .yaml_files import read_yaml_mapping

CONFIGS = Path(__file__).resolve().parent / "configs"
SCHEMA = "run_config.schema.json"


@dataclass(frozen=True)
class ModelEntry:
    name: str  # generator adapter
    label: str  # run name in folders and reports
    options: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    name: str
    path: Path
    benchmark: str
    data_root: Path | None
    items: Path | None
    labels: Path | None
    protocol: dict[str, Any]
    out: Path
    metric_names: list[str] | None
    metric_options: dict[str, dict[str, Any]]
    models: list[ModelEntry]
    reference_inputs: Path | None
    reference_stats: dict[str, Path]
    formats: list[str]
    plots: bool
    workers: int | None
    device: str


def builtin_configs() -> list[str]:
    return sorted(p.stem for p in CONFIGS.glob("*.yaml"))


def _resolve(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.is_file():
        return path
    builtin = CONFIGS / f"{name_or_path}.yaml"
    if builtin.is_file():
        return builtin
    raise AvbenchError(f"no run config {name_or_path!r}: give a YAML path or a built-in name ({', '.join(builtin_configs())})")


def load_run_config(name_or_path: str | Path, out: str | Path | None = None) -> RunConfig:
    """The run config `name_or_path` (a YAML path or a built-in name), checked against
    `schemas/run_config.schema.json`: a wrong key or value is an InputError naming the file and
    the key; `out` overrides the config's output folder."""
    path = _resolve(name_or_path)
    data = read_yaml_mapping(path, "run config", SCHEMA)
    base = path.parent
    builtin = path.parent.resolve() == CONFIGS

    def local(value: Any) -> Path | None:
        if value is None:
            return None
        p = Path(os.path.expanduser(str(value)))  # unlike Path.expanduser, keeps `~nosuchuser` as it is
        return p if p.is_absolute() else base / p

    benchmark = str(data["benchmark"])
    if benchmark.endswith((".yaml", ".yml")):
        benchmark = str(local(benchmark))
    name = str(data.get("name") or path.stem)
    metrics = data.get("metrics")
    if isinstance(metrics, dict):
        metric_names, metric_options = list(metrics), {k: dict(v or {}) for k, v in metrics.items()}
    else:
        metric_names, metric_options = (list(metrics) if metrics else None), {}
    models, labels = [], set()
    for entry in data["models"]:
        entry = {"name": entry} if isinstance(entry, str) else entry
        label = str(entry.get("label") or entry["name"])
        if label in labels:
            raise InputError(path, f"two models are labelled {label!r}; give each a distinct `label`")
        labels.add(label)
        options = dict(entry.get("options") or {})
        if "path" in options:
            options["path"] = str(local(options["path"]))
        models.append(ModelEntry(entry["name"], label, options, dict(entry.get("output") or {})))
    reference = data.get("reference") or {}
    report = data.get("report") or {}
    try:
        formats = report_formats(report.get("formats"))
    except AvbenchError as exc:  # found now, not after hours of generation
        raise InputError(path, f"report.formats: {exc}") from None
    default_out = Path.cwd() / "avbench-runs" / name
    out_dir = Path(out) if out is not None else (local(data["out"]) if data.get("out") and not builtin else default_out)
    return RunConfig(
        name=name, path=path, benchmark=benchmark, data_root=local(data.get("data_root")),
        items=local(data.get("items")), labels=local(data.get("labels")), protocol=dict(data.get("protocol") or {}),
        out=out_dir, metric_names=metric_names, metric_options=metric_options, models=models,
        reference_inputs=local(reference.get("inputs")),
        reference_stats={k: local(v) for k, v in (reference.get("stats") or {}).items()},
        formats=formats, plots=report.get("plots", True), workers=data.get("workers"),
        device=str(data.get("device") or "cpu"),
    )
