"""Reference sets of the metrics that compare two sets: the benchmark's real clips (the `real`
control, generated once into the cache) or a state file from `avbench stats build`, cached by
content under `<cache>/refstats/<benchmark>@<version>/<split>/<metric>/<preset>/<key>.npz`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from avbench.metrics.cache import cache_key
from avbench.metrics.fileio import atomic_write, cache_root, sha256_file
from avbench.metrics.metric import MapContext, Metric
from avbench.metrics.scoring import fill_reference

from ..definition import Benchmark, OutputSpec
from .inputs import Failure, Inputs, collect


@dataclass
class Reference:
    """Where a metric's reference state came from and how many reference items it could not use."""

    path: Path  # the saved state file
    source: str
    n: int
    n_failed: int = 0  # reference items that could not be used

    @property
    def sha256(self) -> str:
        return sha256_file(self.path)


def real_reference_inputs(benchmark: Benchmark, progress: bool = True) -> Path:
    """The `real` control of `benchmark` generated into the cache (resumable; reused)."""
    from ..generate import generate

    key = cache_key({"items": benchmark.items_sha256, "data_root": str(benchmark.data_root)})[:16]
    folder = cache_root() / "reference" / f"{benchmark.name}@{benchmark.version}" / key
    generate("real", benchmark, folder, progress=progress, wait=True)  # runs scoring at once share it
    return folder


def state_size(state: object) -> int:
    """What a reference state holds: feature vectors (Gaussian statistics) or samples."""
    n = getattr(state, "n", None)
    return int(n) if n is not None else len(state)  # type: ignore[arg-type]


def from_stats(metric: Metric, path: str | Path) -> Reference:
    """Use a statistics file as the metric's reference set."""
    state = metric.load_state(path)
    metric.set_state(state, reference=True)
    return Reference(Path(path), f"stats:{Path(path).name}", state_size(state))


@dataclass
class RealClips:
    """The benchmark's real clips in `inputs` (a generated run of the `real` control; default:
    generated into the cache), found and hashed once for all the metrics compared against them."""

    benchmark: Benchmark
    inputs: Path | None = None
    progress: bool = True

    @cached_property
    def found(self) -> Inputs:
        b = self.benchmark
        inputs = self.inputs if self.inputs is not None else real_reference_inputs(b, self.progress)
        return collect(b, inputs, b.item_ids, OutputSpec(duration=b.protocol.duration))


def build(metric: Metric, clips: RealClips, context: MapContext) -> Reference:
    """Fill the metric's reference set with every benchmark item among the real `clips`, from the
    cache when the same files were measured before."""
    benchmark, found = clips.benchmark, clips.found
    samples = [found.samples[i] for i in sorted(found.samples)]
    key = cache_key({"metric": metric.name, "preset": metric.preset.name, "version": metric.preset.version,
                     "parameters": metric.describe(), "weights": metric.weights(),
                     "samples": [(s.sample_id, s.video_sha256, s.audio_sha256) for s in samples]})
    folder = (cache_root() / "refstats" / f"{benchmark.name}@{benchmark.version}" / benchmark.protocol.reference_split
              / metric.name / metric.preset.name.replace("/", "_"))
    path, sidecar = folder / f"{key}.npz", folder / f"{key}.failures.json"
    source = f"inputs:{benchmark.name}@{benchmark.version}/{benchmark.protocol.reference_split}"
    if path.is_file() and sidecar.is_file():
        state = metric.load_state(path)
        metric.set_state(state, reference=True)
        failures = [Failure(**f) for f in json.loads(sidecar.read_text(encoding="utf-8"))]
        return Reference(path, source, state_size(state), len(failures))
    failed = fill_reference(metric, samples, context)
    failures = found.failures + [Failure(i, metric.name, e) for i, e in sorted(failed.items())]
    metric.reference.save(path)
    with atomic_write(sidecar, "w") as fh:
        json.dump([f.__dict__ for f in failures], fh)
    return Reference(path, source, state_size(metric.reference), len(failures))
