"""The contract every avbench metric implements, and the records that cross it.

A metric under one preset turns each sample's media files into features (`sample_features`:
decoding pinned by the metric, then its network or signal extraction), adds them to a mergeable
state (`update_features`: the generated set, or the reference set of metrics that compare two
sets) and computes its value (`compute` → `MetricResult`). `map` runs the feature step over many
samples through the content cache and records a one-line reason for every sample it cannot use.
Every front end (the Python API `score_folders` and whatever scores, merges or verifies runs on
top of this package) goes through these methods, so a metric added here is available
everywhere (`catalogue`).

In memory, the metric classes also take arrays (`update(videos)`, `update(waveform, rate)`, ...);
those call the same feature functions as `sample_features`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping, Protocol, Sequence

import numpy as np

from .cache import ArrayCache, cache_key
from .errors import AvbenchError, InputError
from .fileio import sha256_file

Features = dict[str, np.ndarray]  # one sample's arrays, e.g. {"features": (rows, dim) float32}


@dataclass(frozen=True)
class Sample:
    """One item to score: a video file and the audio file it is paired with.

    `audio` None means the video's own audio track; `video` None an audio-only sample (audio
    metrics only). The hex sha256 of the files key the feature cache (`with_hashes` fills them).
    """

    sample_id: str
    video: Path | None
    audio: Path | None = None
    label: str | None = None
    text: str | None = None
    video_sha256: str | None = None
    audio_sha256: str | None = None

    @property
    def source(self) -> Path:
        """The file a message about this sample names."""
        return self.video if self.video is not None else self.audio  # type: ignore[return-value]

    def require_video(self) -> Path:
        """The video file; an audio-only sample is an InputError for a metric that needs video."""
        if self.video is None:
            raise InputError(self.audio, "an audio file without a video: this metric needs a video")
        return self.video

    def with_hashes(self) -> "Sample":
        """This sample with the content hashes of its existing files filled in."""
        video = self.video_sha256 or (sha256_file(self.video) if self.video and self.video.is_file() else None)
        audio = self.audio_sha256 or (sha256_file(self.audio) if self.audio and self.audio.is_file() else None)
        return replace(self, video_sha256=video, audio_sha256=audio)

    def audio_key(self) -> str | None:
        """What the sample's audio content is: its file's hash, or the video's hash and "#audio-track"."""
        if self.audio is not None:
            return self.audio_sha256
        return None if self.video_sha256 is None else f"{self.video_sha256}#audio-track"


class MapBackend(Protocol):
    """Where a metric's feature step runs when not on this machine (`benchmark.ray_backend`):
    `map` returns what `metric.map(samples, context)` would, computed elsewhere (and checks
    first); `check` raises when the metric cannot run there, for callers to check every metric
    before any work."""

    def check(self, metric: "Metric") -> None: ...

    def map(self, metric: "Metric", samples: Sequence[Sample], context: "MapContext") -> "MapResult": ...


@dataclass
class MapContext:
    """How a feature step may run: worker processes, progress bars, the content cache, and the
    backend (None: this machine, `workers` processes)."""

    workers: int | None = None
    progress: bool = True
    use_cache: bool = True
    cache_root: Path | None = None
    backend: MapBackend | None = None


def first_listings(samples: Iterable[Sample]) -> tuple[list[Sample], dict[str, str]]:
    """The first listing of each sample id, and for each id listed again the one-line reason the
    later listings are refused (a feature step maps an id once)."""
    unique: dict[str, Sample] = {}
    repeated: dict[str, str] = {}
    for sample in samples:
        if sample.sample_id in unique:
            repeated.setdefault(sample.sample_id, f"{sample.source}: sample id {sample.sample_id!r} listed twice")
        else:
            unique[sample.sample_id] = sample
    return list(unique.values()), repeated


@dataclass
class MapResult:
    """Features of every usable sample and a one-line reason for every other one, by sample id."""

    features: dict[str, Features] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricResult:
    """One metric's value over a set, with everything needed to read and reproduce it.

    `n` counts what the value averages over (samples; feature vectors for the Fréchet and
    kernel distances, `details["unit"]` says which); `ci95` is a 95% interval where the metric
    has one; `details` holds metric-specific numbers (e.g. `n_reference`, `std`).
    """

    metric: str
    title: str
    preset: str
    version: str
    higher_is_better: bool
    value: float
    n: int
    ci95: tuple[float, float] | None = None
    ci_method: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    weights_sha256: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        spread = ""
        if self.ci95 is not None:
            spread = f"  (95% CI {self.ci95[0]:.6g} to {self.ci95[1]:.6g})"
        elif self.details.get("std") is not None:
            spread = f" ± {self.details['std']:.6g}"
        counts = f"n = {self.n}"
        if "n_reference" in self.details:
            counts += f" generated, {self.details['n_reference']} reference"
        unit = f" {self.details['unit']}" if "unit" in self.details else ""
        line = f"{self.title} {self.value:.6g}{spread}  [preset {self.preset} v{self.version}; {counts}{unit}]"
        return "\n".join([line, *(f"  note: {n}" for n in self.notes)])


class State(Protocol):
    """A mergeable set state: `GaussianStats` or `KeyedState`."""

    def add(self, sample_id: str, features: Features) -> None: ...
    def merge(self, other: Any) -> Any: ...
    def save(self, path: str | Path) -> None: ...


class Metric(ABC):
    """One metric under one preset, holding the state of its generated set (and reference set).

    Subclasses set the class attributes, `presets()`, `sample_features`, `new_state`,
    `load_state` and `compute`; `kind` is "per-sample" for metrics with a value per sample
    (aggregated with a bootstrap CI) and "set" for metrics of a whole set. `benchmark_options`
    names the options a harness fills in from the benchmark ("template": its caption template;
    "labels": its label set).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    higher_is_better: ClassVar[bool]
    default_preset: ClassVar[str]
    kind: ClassVar[str] = "set"
    needs_reference: ClassVar[bool] = False
    needs_text: ClassVar[bool] = False
    benchmark_options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, preset: Any = None, *, weights: Mapping[str, str | Path] | None = None,
                 device: str = "cpu", batch_size: int = 16):
        """`preset`: a preset name (default `default_preset`) or object; `weights`: registry name
        → file, overriding where the registry looks; `device`: torch device of the networks."""
        self.preset = self.resolve_preset(preset)
        self.weight_paths = {name: str(path) for name, path in (weights or {}).items()}
        self.device = device
        self.batch_size = int(batch_size)
        self._states: dict[bool, Any] = {}

    # --- the preset --------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def presets(cls) -> dict[str, Any]:
        """This metric's presets by name (read when called, so added presets are seen)."""

    @classmethod
    def resolve_preset(cls, preset: Any) -> Any:
        """The preset object named `preset` (None: the default); a preset object passes through."""
        if preset is None:
            preset = cls.default_preset
        if not isinstance(preset, str):
            owner = getattr(preset, "metric", cls.name)
            if owner != cls.name:
                raise InputError(None, f"preset {preset.name!r} is a {owner} preset, not {cls.name}")
            return preset
        known = cls.presets()
        if preset in known:
            return known[preset]
        from .catalogue import metric_of_preset

        owner = metric_of_preset(preset)
        if owner is not None:
            raise InputError(None, f"preset {preset!r} is a {owner} preset, not {cls.name}")
        raise InputError(None, f"unknown {cls.name} preset {preset!r}; known: {', '.join(known)}")

    def describe(self) -> dict[str, Any]:
        """Every parameter the value depends on (written into results)."""
        return asdict(self.preset)

    def weights(self) -> dict[str, str]:
        """Network weight files the metric runs on: registry name → sha256."""
        return {}

    def weight_files(self) -> dict[str, str | None]:
        """Every registered file the metric loads, Hugging Face models included: registry name →
        the path given for it (`weights=`, `--weights NAME=PATH`), or None for its default place."""
        return {}

    def check_ready(self) -> None:
        """Raise (e.g. the missing-weights message) before any work if the metric cannot run."""

    # --- features ----------------------------------------------------------------------------
    def feature_key(self) -> dict[str, Any]:
        """Everything a sample's features depend on besides its files (the preset's feature
        pipeline and the weights' sha256): half of the feature cache's key. The default names
        the metric and every preset parameter; metrics computing the same features return the
        same key naming only the pipeline (FID and KID), so those features are computed once."""
        return {"metric": self.name, "preset": self.describe(), "weights": self.weights()}

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        """Which content of `sample` its features depend on: the other half of the cache key. The
        default is the video file's hash alone; a metric whose features read the audio, the
        caption, the label or the sample id names them too (e.g. `{"audio": sample.audio_key()}`),
        else a sample gets the cached features of another sample with the same video."""
        return {"video": sample.video_sha256}

    def prepare(self, context: MapContext) -> None:
        """Keep what the steps after the feature step need of `context`: `map` calls it, and so
        does the driver of a run whose samples another backend maps. Nothing by default."""

    @abstractmethod
    def sample_features(self, sample: Sample) -> Features:
        """Decode `sample`'s files and compute its features; an unusable sample raises InputError."""

    def map(self, samples: Iterable[Sample], context: MapContext | None = None) -> MapResult:
        """Features of every sample: from the content cache where present, else computed (and
        stored); a sample that raises InputError is recorded with its one-line reason."""
        from tqdm import tqdm

        context = context or MapContext()
        self.prepare(context)
        samples = list(samples)
        out = MapResult()
        cache = ArrayCache("features", context.cache_root, context.use_cache)
        base = self.feature_key() if context.use_cache else {}
        for sample in tqdm(samples, desc=self.name, unit="sample", disable=not context.progress, leave=False):
            key = None
            if context.use_cache:
                sample = sample.with_hashes()
                key = cache_key({**base, "inputs": self.sample_key(sample)})
            features = cache.get(key) if key else None
            if features is None:
                try:
                    features = self.sample_features(sample)
                except InputError as exc:
                    out.failures[sample.sample_id] = str(exc) if exc.path else f"{sample.source}: {exc}"
                    continue
                if key:
                    cache.put(key, features)
            out.features[sample.sample_id] = features
        return out

    # --- state -------------------------------------------------------------------------------
    @abstractmethod
    def new_state(self) -> State:
        """An empty state of this metric and preset."""

    @abstractmethod
    def load_state(self, path: str | Path) -> State:
        """A state saved by `State.save` (InputError when the file is foreign or damaged)."""

    @property
    def generated(self) -> Any:
        """The state of the set being scored."""
        return self._state(False)

    @property
    def reference(self) -> Any:
        """The state of the reference set (metrics with `needs_reference`)."""
        return self._state(True)

    def _state(self, reference: bool) -> Any:
        if reference not in self._states:
            self._states[reference] = self.new_state()
        return self._states[reference]

    def has_reference(self) -> bool:
        """Whether a reference set was given (a state set or samples added)."""
        return True in self._states

    def set_state(self, state: State, reference: bool = False) -> None:
        """Use `state` (e.g. loaded from a file) as the generated or the reference set; a state of
        another metric, preset or preset version is an InputError (its numbers would not compare)."""
        found = (getattr(state, "metric", self.name), state.preset, state.version)  # type: ignore[attr-defined]
        expected = (self.name, self.preset.name, self.preset.version)
        if found != expected:
            raise InputError(None, f"the state is {found[0]} [{found[1]} {found[2]}], expected {expected[0]} "
                                   f"[{expected[1]} {expected[2]}]")
        self._states[reference] = state

    def state_payload(self, features: Features) -> Features:
        """What the state keeps of a sample's features (all of them, unless a metric reduces them)."""
        return features

    def update_features(self, sample_id: str, features: Features, reference: bool = False) -> None:
        """Add one sample's features to the generated (or reference) set."""
        self._state(reference).add(sample_id, self.state_payload(features))

    def merge(self, other: "Metric") -> "Metric":
        """Add another shard's states to these (in place); shards of one set merge exactly."""
        if type(other) is not type(self) or other.preset != self.preset:
            raise AvbenchError(f"cannot merge {other.name} [{other.preset.name}] into {self.name} [{self.preset.name}]")
        for reference, state in other._states.items():
            self._state(reference).merge(state)
        return self

    def reset(self) -> None:
        """Forget every sample added so far."""
        self._states.clear()

    @abstractmethod
    def compute(self) -> MetricResult:
        """The metric's value over the generated set (against the reference set where it needs one)."""

    def sample_values(self) -> dict[str, float]:
        """Per-sample values of the generated set by sample id (per-sample metrics), else empty."""
        return {}

    def sample_warnings(self) -> dict[str, list[str]]:
        """Named warnings of the samples scored with any, by sample id: one line each naming the
        file and the problem (a sample scored as the metric defines it, on media a reader should
        know about). Empty by default."""
        return {}

    def by_category(self, labels: Mapping[str, str | None]) -> dict[str, dict[str, float]]:
        """Mean per-sample value and count per label (per-sample metrics)."""
        groups: dict[str, list[float]] = {}
        for sample_id, value in self.sample_values().items():
            label = labels.get(sample_id)
            if label and np.isfinite(value):
                groups.setdefault(label, []).append(value)
        return {label: {"value": float(np.mean(v)), "n": len(v)} for label, v in sorted(groups.items())}

    def result(self, value: float, n: int, **fields: Any) -> MetricResult:
        """A `MetricResult` naming this metric, its preset and its weights."""
        return MetricResult(metric=self.name, title=self.title, preset=self.preset.name, version=self.preset.version,
                            higher_is_better=self.higher_is_better, value=float(value), n=int(n),
                            weights_sha256=self.weights(), **fields)


class NetworkMetric(Metric):
    """A metric whose features come from networks with registered weight files.

    The network wrapper (`extractor`) is built on first use, so a fully cached run opens no
    weights file; `check_ready` stops a run before any work when a file is missing.
    """

    def __init__(self, preset: Any = None, *, extractor: Any = None, **kwargs: Any):
        """`extractor`: an already loaded network wrapper of the same pipeline, to share one
        network between metrics or shards."""
        super().__init__(preset, **kwargs)
        if extractor is not None and not self.can_share(extractor):
            raise ValueError(f"the {type(extractor).__name__} of {extractor.preset.name} cannot serve {self.preset.name}")
        self._extractor = extractor
        self._weights: dict[str, str] | None = None

    def can_share(self, extractor: Any) -> bool:
        """Whether `extractor` computes exactly the features this metric's preset asks for."""
        return extractor.preset == self.preset

    @abstractmethod
    def weight_names(self) -> tuple[str, ...]:
        """Registry names of the weight files the network needs."""

    @abstractmethod
    def build_extractor(self) -> Any:
        """The network wrapper, loaded from the (verified) weight files."""

    @property
    def extractor(self) -> Any:
        if self._extractor is None:
            self._extractor = self.build_extractor()
        return self._extractor

    def weights(self) -> dict[str, str]:
        """The sha256 of the weight files the loaded network came from; before it loads, those of
        the files it will load (a file not found yet is left out: no network can run without it)."""
        from .weights import recorded_sha256

        loaded = getattr(self._extractor, "weights_sha256", None)
        if loaded is not None:
            return dict(loaded) if isinstance(loaded, dict) else {self.weight_names()[0]: loaded}
        if self._weights is None:
            found = {n: recorded_sha256(n, self.weight_paths.get(n)) for n in self.weight_names()}
            self._weights = {n: sha for n, sha in found.items() if sha is not None}
        return dict(self._weights)

    def weight_files(self) -> dict[str, str | None]:
        return {name: self.weight_paths.get(name) for name in self.weight_names()}

    def check_ready(self) -> None:
        from .weights import require_all

        require_all(self.weight_files())  # every missing file in one message
