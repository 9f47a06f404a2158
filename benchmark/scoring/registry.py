"""The metric registry of the harness: every metric `avbench score` can run, by name.

A metric plugs in by subclassing `Metric` and decorating a factory with `register_metric`;
the score pipeline only calls this interface (map → state → compute), so adding a metric
needs no change anywhere else.

The contract (harness.md §10.7, map/reduce):
- `map(samples, context)`: per-sample payloads (numpy arrays; cached by content inside the
  metric) and per-sample failures. A payload is what the state stores for that sample.
- `new_state()` / `load_state(path)`: a mergeable state with `add(sample_id, payload)`,
  `merge(other)` and `save(path)`. The pipeline adds samples in sorted id order.
- `compute(state, reference)`: the metric's value (`MetricValue`); `reference` is the state of
  the reference set for metrics with `needs_reference`, else None.
- `sample_values(state)`: per-sample scalars for `samples.parquet` (empty for set metrics).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from avbench.metrics.errors import AvbenchError


@dataclass(frozen=True)
class Sample:
    """One input to score: files, their content hashes, its label/text and probed properties."""

    sample_id: str
    video: Path
    audio: Path | None  # None: the video's own audio track
    video_sha256: str
    audio_sha256: str | None
    label: str | None = None
    text: str | None = None


@dataclass
class MapContext:
    """What a metric's map step may use: parallelism, progress display, the cache."""

    workers: int | None = None
    progress: bool = True
    use_cache: bool = True
    cache_root: Path | None = None
    device: str = "cpu"


@dataclass
class MapResult:
    payloads: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricValue:
    """A metric's value with its sample count, optional 95% CI and metric-specific details."""

    value: float
    n: int
    ci95: tuple[float, float] | None = None
    ci_method: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class State(Protocol):
    def add(self, sample_id: str, payload: dict[str, np.ndarray]) -> None: ...
    def merge(self, other: Any) -> Any: ...
    def save(self, path: str | Path) -> None: ...


class Metric(ABC):
    """One configured metric (a preset chosen). See the module docstring for the contract."""

    name: str  # registry name, e.g. "av_align", "fvd"
    title: str  # display name, e.g. "AV-Align", "FVD"
    kind: str  # "per-sample" (a value per sample, aggregated with a CI) or "set"
    higher_is_better: bool
    needs_reference: bool = False
    preset: str
    version: str

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Every parameter the value depends on (the preset, written into results)."""

    needs_text: bool = False  # needs each sample's label or text (skipped when the benchmark has none)

    def weights(self) -> dict[str, str]:
        """Network weights the metric runs on: name → sha256."""
        return {}

    def check_ready(self) -> None:
        """Raise (e.g. the missing-weights message) before any work if the metric cannot run."""

    @abstractmethod
    def map(self, samples: list[Sample], context: MapContext) -> MapResult: ...

    @abstractmethod
    def new_state(self) -> State: ...

    @abstractmethod
    def load_state(self, path: str | Path) -> State: ...

    @abstractmethod
    def compute(self, state: Any, reference: Any | None = None) -> MetricValue: ...

    def sample_values(self, state: Any) -> dict[str, float]:
        return {}

    def by_category(self, state: Any, labels: dict[str, str | None]) -> dict[str, dict[str, float]]:
        """Per-label value and count, where the metric has per-sample values."""
        values = self.sample_values(state)
        groups: dict[str, list[float]] = {}
        for sample_id, value in values.items():
            label = labels.get(sample_id)
            if label and np.isfinite(value):
                groups.setdefault(label, []).append(value)
        return {label: {"value": float(np.mean(v)), "n": len(v)} for label, v in sorted(groups.items())}


MetricFactory = Callable[..., Metric]


@dataclass(frozen=True)
class _Entry:
    factory: MetricFactory
    summary: str
    takes_template: bool  # gets the benchmark's text template as option `template`


_METRICS: dict[str, _Entry] = {}


def register_metric(name: str, summary: str, takes_template: bool = False) -> Callable[[MetricFactory], MetricFactory]:
    """Decorator: register a factory `(**options) -> Metric` under `name`, with a one-line summary.
    `takes_template`: the harness passes the benchmark's caption template as option `template`."""

    def add(factory: MetricFactory) -> MetricFactory:
        if name in _METRICS and _METRICS[name].factory is not factory:
            raise ValueError(f"metric {name!r} registered twice")
        _METRICS[name] = _Entry(factory, summary, takes_template)
        return factory

    return add


def _entry(name: str) -> _Entry:
    from . import plugins  # noqa: F401  (registers the built-in metrics)

    try:
        return _METRICS[name]
    except KeyError:
        raise AvbenchError(f"unknown metric {name!r}; known: {', '.join(sorted(_METRICS))}") from None


def metric_names() -> dict[str, str]:
    """Registered metric names → one-line summaries."""
    from . import plugins  # noqa: F401

    return {name: entry.summary for name, entry in sorted(_METRICS.items())}


def takes_template(name: str) -> bool:
    return _entry(name).takes_template


def make_metric(name: str, options: dict[str, Any] | None = None) -> Metric:
    factory = _entry(name).factory
    try:
        return factory(**(options or {}))
    except TypeError as exc:
        raise AvbenchError(f"metric {name}: bad options {options} ({exc})") from None
