"""`avbench run CONFIG`: generate → score → report for every model of a run config.

Layout under the config's `out`: `generated/<label>/` (videos + manifest.csv),
`runs/<label>/` (run directories), `report/`. Every stage resumes: rerunning the same command
skips generated samples and cached measurements; one command at a time writes the folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .definition import Benchmark, load_benchmark
from .folder_lock import writing
from .generate import generate
from .report.write import write_report
from .run_config import RunConfig
from .scoring.run import score_run


@dataclass
class RunOutcome:
    out: Path
    runs: dict[str, Path] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    generation_failures: dict[str, dict[str, str]] = field(default_factory=dict)
    report: list[Path] = field(default_factory=list)


def run_config(config: RunConfig, progress: bool = True, weights: dict[str, str] | None = None) -> RunOutcome:
    """Every stage of `config`, holding the lock of its output folder (FolderBusy when another
    process holds it); `weights`: registry name → file, for every metric (`--weights NAME=PATH`)."""
    benchmark = load_benchmark(config.benchmark, data_root=config.data_root, items=config.items,
                               labels=config.labels, protocol=config.protocol or None)
    with writing(config.out):
        return _run(config, benchmark, progress, weights)


def _run(config: RunConfig, benchmark: Benchmark, progress: bool, weights: dict[str, str] | None) -> RunOutcome:
    outcome = RunOutcome(config.out)
    generated = {}
    for model in config.models:
        folder = config.out / "generated" / model.label
        result = generate(model.name, benchmark, folder, options=model.options, output=model.output, progress=progress)
        generated[model.label] = folder
        if result.failures:
            outcome.generation_failures[model.label] = result.failures
    reference = config.reference_inputs
    if reference is None:
        reference = next((generated[m.label] for m in config.models if m.name == "real" and not m.options), None)
    for model in config.models:
        run_dir = config.out / "runs" / model.label
        outcome.results[model.label] = score_run(
            benchmark, generated[model.label], run_dir, metric_names=config.metric_names,
            metric_options=config.metric_options, model_name=model.label, output=model.output or None,
            reference=reference, ref_stats=config.reference_stats, workers=config.workers, device=config.device,
            progress=progress, weights=weights)
        outcome.runs[model.label] = run_dir
    outcome.report = write_report(list(outcome.runs.values()), config.out / "report", config.formats, config.plots)
    return outcome
