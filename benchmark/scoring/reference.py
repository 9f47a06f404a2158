"""Reference states of the set metrics: the benchmark's real clips (the `real` control, generated
once into the cache) or a statistics file from `avbench stats build`, cached by content under
`<cache>/refstats/<benchmark>@<version>/<split>/<metric>/<preset>/<key>.npz`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.metrics.fileio import atomic_write, cache_root, sha256_file

from ..cache import cache_key
from ..definition import Benchmark, OutputSpec
from .inputs import Failure, collect
from .registry import MapContext, Metric


@dataclass
class Reference:
    """A metric's reference state, where it came from, and the reference items that failed."""

    state: Any
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
    generate("real", benchmark, folder, progress=progress)
    return folder


def _state_count(state: Any) -> int:
    n = getattr(state, "n", None)
    return int(n) if n is not None else len(state)


def from_stats(metric: Metric, path: str | Path) -> Reference:
    """A reference state read from a statistics file."""
    state = metric.load_state(path)
    return Reference(state, Path(path), f"stats:{Path(path).name}", _state_count(state))


def build(metric: Metric, benchmark: Benchmark, inputs: str | Path, context: MapContext) -> Reference:
    """The reference state of `metric` over every benchmark item found in `inputs` (a generated
    run of the real clips), from the cache when the same files were measured before."""
    found = collect(benchmark, inputs, benchmark.item_ids, OutputSpec(duration=benchmark.protocol.duration))
    samples = [found.samples[i] for i in sorted(found.samples)]
    key = cache_key({"metric": metric.name, "preset": metric.preset, "version": metric.version,
                     "config": metric.describe(), "weights": metric.weights(),
                     "samples": [(s.sample_id, s.video_sha256, s.audio_sha256) for s in samples]})
    folder = (cache_root() / "refstats" / f"{benchmark.name}@{benchmark.version}" / benchmark.protocol.reference_split
              / metric.name / metric.preset.replace("/", "_"))
    path, sidecar = folder / f"{key}.npz", folder / f"{key}.failures.json"
    source = f"inputs:{benchmark.name}@{benchmark.version}/{benchmark.protocol.reference_split}"
    if path.is_file() and sidecar.is_file():
        state = metric.load_state(path)
        failures = [Failure(**f) for f in json.loads(sidecar.read_text(encoding="utf-8"))]
        return Reference(state, path, source, _state_count(state), len(failures))
    result = metric.map(samples, context)
    state = metric.new_state()
    for sample in samples:
        if sample.sample_id in result.payloads:
            state.add(sample.sample_id, result.payloads[sample.sample_id])
    failures = found.failures + [Failure(i, metric.name, e) for i, e in sorted(result.failures.items())]
    state.save(path)
    with atomic_write(sidecar, "w") as fh:
        json.dump([f.__dict__ for f in failures], fh)
    return Reference(state, path, source, _state_count(state), len(failures))
