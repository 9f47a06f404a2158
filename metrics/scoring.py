"""Scoring sets of samples with catalogue metrics: the one feeding path of every front end.

`map_metrics` runs each metric's feature step over the samples (content cache, one-line reason
per unusable sample); `add_samples` feeds features to a metric in sample-id order (so shards
merge exactly); `score_samples` does both for a generated set and a reference set and computes
the values. A harness scoring a benchmark run calls the same two steps and keeps only the samples
every metric could use, so all the metrics of a run cover one sample set.
`score_folders` is the same over folders of media files: the Python API, as short as
clean-fid's, and what every front end that scores folders calls, built on the same metric
classes a harness runs.

    from avbench.metrics import score_folders
    report = score_folders("generated/", "real/", metrics=["fvd", "av_align"])
    print(report["fvd"].value, report["av_align"].ci95)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .catalogue import canonical, make_metric, metric_class, metric_of_preset, options_by_metric
from .errors import AvbenchError, InputError
from .media import AUDIO_FILE_EXTENSIONS, pair_video
from .media.pairing import video_entries
from .cache import cache_key
from .metric import Features, MapContext, MapResult, Metric, MetricResult, Sample

DEFAULT_TEMPLATE = "a video of {label}"


@dataclass(frozen=True)
class Failure:
    """A sample that could not be used: its id, the stage (a metric name, or the metric name and
    "(reference)") and the one-line reason."""

    sample_id: str
    stage: str
    error: str


@dataclass
class ScoreReport:
    """Values by metric key (the metric's name; `name[preset]` where one metric runs under several
    presets), per-sample values of the per-sample metrics (key → sample id → value), the named
    warnings of samples scored with any (key → sample id → lines), why the other metrics could
    not be computed, and every sample that failed."""

    results: dict[str, MetricResult] = field(default_factory=dict)
    samples: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    warnings: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> MetricResult:
        key = canonical(key)
        if key in self.results:
            return self.results[key]
        if key in self.errors:
            raise AvbenchError(f"{key} was not computed: {self.errors[key]}")
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {"results": {k: r.to_dict() for k, r in self.results.items()}, "samples": dict(self.samples),
                "warnings": dict(self.warnings), "errors": dict(self.errors),
                "failures": [asdict(f) for f in self.failures]}


def map_features(metric: Metric, samples: Sequence[Sample], context: MapContext) -> MapResult:
    """The features of `samples` (and a reason for each unusable one): `metric.map` on this
    machine, or the same step on `context.backend`."""
    if context.backend is None:
        return metric.map(samples, context)
    metric.prepare(context)
    return context.backend.map(metric, samples, context)


def map_metrics(metrics: Mapping[str, Metric], samples: Sequence[Sample], context: MapContext,
                on_mapped: Callable[[str], None] | None = None) -> tuple[dict[str, dict[str, Features]], list[Failure]]:
    """Every metric's features of `samples` (by metric key, then sample id) and every failure;
    `on_mapped(key)` is called after each metric (a caller's resume tests can stop a run there).

    Files are hashed once for all metrics, and metrics whose features are the same (equal
    feature and sample keys, e.g. FID and KID of one Inception pipeline) are mapped once, with
    or without the cache."""
    if context.use_cache:
        samples = [sample.with_hashes() for sample in samples]
    features, failures = {}, []
    mapped_by_pipeline: dict[str, MapResult] = {}
    for key, metric in metrics.items():
        pipeline = cache_key({**metric.feature_key(), "inputs": [metric.sample_key(s) for s in samples]})
        if pipeline not in mapped_by_pipeline:
            mapped_by_pipeline[pipeline] = map_features(metric, samples, context)
        else:
            metric.prepare(context)
        mapped = mapped_by_pipeline[pipeline]
        features[key] = mapped.features
        failures += [Failure(sample_id, key, error) for sample_id, error in sorted(mapped.failures.items())]
        if on_mapped is not None:
            on_mapped(key)
    return features, failures


def add_samples(metric: Metric, features: Mapping[str, Features], sample_ids: Iterable[str],
                reference: bool = False) -> None:
    """Add the features of `sample_ids` to the metric's generated (or reference) set, in id order."""
    for sample_id in sorted(sample_ids):
        metric.update_features(sample_id, features[sample_id], reference)


def fill_reference(metric: Metric, samples: Sequence[Sample], context: MapContext) -> dict[str, str]:
    """Map `samples` and add every usable one to the metric's reference set; the failures by id."""
    mapped = map_features(metric, samples, context)
    add_samples(metric, mapped.features, mapped.features, reference=True)
    return mapped.failures


def score_samples(metrics: Mapping[str, Metric], samples: Sequence[Sample], reference: Sequence[Sample] = (),
                  context: MapContext | None = None) -> ScoreReport:
    """Score `samples` with every metric and compute the values.

    Each metric gets every sample it could use (the others are listed in `failures` under its
    key). A metric with `needs_reference` whose reference set is still empty (none was loaded with
    `set_state`) gets `reference`; a metric that cannot run (missing weights) or compute (too few
    samples) is listed in `errors` and the others go on.
    """
    context = context or MapContext()
    if context.use_cache and reference:
        reference = [sample.with_hashes() for sample in reference]  # once, not once per metric
    report = ScoreReport()
    ready = {}
    for key, metric in metrics.items():
        try:
            metric.check_ready()
            ready[key] = metric
        except AvbenchError as exc:
            report.errors[key] = str(exc)
    features, report.failures = map_metrics(ready, samples, context)
    for key, metric in ready.items():
        add_samples(metric, features[key], features[key])
        if metric.needs_reference and reference and not metric.has_reference():
            failed = fill_reference(metric, reference, context)
            report.failures += [Failure(i, f"{key} (reference)", e) for i, e in sorted(failed.items())]
        try:
            report.results[key] = metric.compute()
        except AvbenchError as exc:
            report.errors[key] = str(exc)
        if metric.kind == "per-sample":
            report.samples[key] = metric.sample_values()
        if metric.sample_warnings():
            report.warnings[key] = metric.sample_warnings()
    return report


def folder_samples(folder: str | Path, labels: Mapping[str, str] | None = None,
                   texts: Mapping[str, str] | None = None) -> list[Sample]:
    """The samples of a folder (searched recursively): each video with its same-stem audio file
    beside it (`.wav .flac .mp3 .ogg .m4a`), else its own track; audio files without a video are
    audio-only samples. A sample's id is its path under the folder without the extension; its
    label and text are looked up by that id, then by the file's stem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    labels, texts = labels or {}, texts or {}
    samples: dict[str, Sample] = {}
    for video in video_entries([folder]):  # an unusable entry (a broken link, a folder) fails as its sample
        pair = pair_video(video)
        sample_id = video.relative_to(folder).with_suffix("").as_posix()
        samples[sample_id] = Sample(sample_id, video, pair.audio, labels.get(sample_id, labels.get(video.stem)),
                                    texts.get(sample_id, texts.get(video.stem)))
    for audio in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_FILE_EXTENSIONS):
        sample_id = audio.relative_to(folder).with_suffix("").as_posix()
        samples.setdefault(sample_id, Sample(sample_id, None, audio))
    if not samples:
        raise InputError(folder, "holds no video or audio files")
    return [samples[k] for k in sorted(samples)]


def with_benchmark_options(name: str, options: Mapping[str, Any], template: str, label_set: Sequence[str]
                           ) -> dict[str, Any]:
    """`options` of metric `name` plus, where the metric takes them (`benchmark_options`), the
    caption `template` and the `label_set`; an option given in `options` wins."""
    takes = metric_class(name).benchmark_options
    extra = {"template": template, "labels": list(label_set)}
    return {**{k: v for k, v in extra.items() if k in takes}, **options}


def build_metrics(names: Sequence[str], presets: Sequence[str] = (), options: Mapping[str, Mapping] | None = None,
                  weights: Mapping[str, str | Path] | None = None, device: str = "cpu", batch_size: int = 16,
                  template: str = DEFAULT_TEMPLATE, label_set: Sequence[str] = ()) -> dict[str, Metric]:
    """One metric per name under its default preset, or one per preset `presets` names for it
    (keys `name[preset]` then). `options` are per metric name (each a metric of `names`; see
    `catalogue.options_by_metric`); metrics that take the caption `template` or the
    `label_set` get them."""
    names = list(dict.fromkeys(canonical(n) for n in names))
    options = options_by_metric(options, names)
    for name, given in options.items():  # one way to pick presets, the one score_folders checks against states
        if "preset" in given:
            raise InputError(None, f"metric {name}: a preset is chosen with --preset (presets=[...] in Python), "
                                   f"not with the option preset={given['preset']!r}")
    chosen: dict[str, list[str | None]] = {name: [] for name in names}
    for preset in presets:
        owner = metric_of_preset(preset)
        if owner is None:
            raise InputError(None, f"unknown preset {preset!r}")
        if owner not in chosen:
            raise InputError(None, f"preset {preset!r} is for {owner}, which is not among the metrics {names}")
        chosen[owner].append(preset)
    built: dict[str, Metric] = {}
    for name, picked in chosen.items():
        extra = with_benchmark_options(name, options.get(name, {}), template, label_set)
        for preset in picked or [None]:
            key = name if len(picked) <= 1 else f"{name}[{preset}]"
            built[key] = make_metric(name, preset, weights=weights, device=device, batch_size=batch_size, **extra)
    return built


def score_folders(generated: str | Path, reference: str | Path | None = None, metrics: Sequence[str] = ("av_align",),
                  *, presets: Sequence[str] = (), options: Mapping[str, Mapping] | None = None,
                  reference_states: Sequence[str | Path] = (), labels: Mapping[str, str] | None = None,
                  texts: Mapping[str, str] | None = None, label_set: Sequence[str] | None = None,
                  template: str = DEFAULT_TEMPLATE,
                  weights: Mapping[str, str | Path] | None = None, device: str = "cpu", batch_size: int = 16,
                  workers: int | None = None, use_cache: bool = True, progress: bool = True) -> ScoreReport:
    """Score the media of folder `generated` (see `folder_samples`) with `metrics`.

    Metrics that compare two sets (FVD, FID, KID, FAD) compare against folder `reference` or a
    reference state saved from `reference_state` (`reference_states` files; each names its
    preset, which then is the metric's). `presets` pick presets by name (`fvd/videogpt`,
    `calibrated`, ...); `options` are per metric (e.g. `{"av_align": {"fps": 12}, "clipsim":
    {"clip_model": "path/to/clip"}}`); `labels`/`texts` give each sample's class label or caption
    by sample id or file stem (CLIP scores); `label_set` is `av_semantic`'s class list (default:
    the distinct labels in `labels`' order); `weights` maps registry names to files.
    """
    names = [canonical(m) for m in metrics]
    states = {Path(path): _state_preset(path) for path in reference_states}
    picked = list(presets)
    for path, preset in states.items():
        owner = metric_of_preset(preset)
        if owner not in names:
            raise InputError(path, f"reference state of preset {preset!r} matches none of the metrics {names}")
        explicit = [p for p in presets if metric_of_preset(p) == owner]
        if explicit and preset not in explicit:
            raise InputError(path, f"reference state is {preset!r} but the presets ask for {', '.join(explicit)}")
        if preset not in picked:
            picked.append(preset)
    if label_set is None:
        label_set = list(dict.fromkeys((labels or {}).values()))
    built = build_metrics(names, picked, options, weights, device, batch_size, template, label_set)
    for path, preset in states.items():
        metric = next(m for m in built.values() if m.preset.name == preset)
        metric.set_state(metric.load_state(path), reference=True)
    missing = [key for key, m in built.items() if m.needs_reference and not m.has_reference()]
    if missing and reference is None:
        raise InputError(None, f"no reference folder and no reference state for {', '.join(missing)}")
    samples = folder_samples(generated, labels, texts)
    reference_samples = folder_samples(reference) if reference is not None else []
    context = MapContext(workers=workers, progress=progress, use_cache=use_cache)
    return score_samples(built, samples, reference_samples, context)


def _state_preset(path: str | Path) -> str:
    """The preset a saved state file names (without loading its arrays)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            return str(npz["preset"])
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise InputError(path, f"not an avbench state file ({exc})") from None


def reference_state(folder: str | Path, metric: str, preset: str | None = None,
                    weights: Mapping[str, str | Path] | None = None, device: str = "cpu", batch_size: int = 16,
                    use_cache: bool = True, progress: bool = True) -> tuple[Any, list[Failure]]:
    """The reference state of `metric` over a folder's media (its `save(path)` writes a reference
    statistics file) and the files that failed; a state holding no sample is an InputError."""
    built = make_metric(metric, preset, weights=weights, device=device, batch_size=batch_size)
    built.check_ready()
    samples = folder_samples(folder)
    failed = fill_reference(built, samples, MapContext(progress=progress, use_cache=use_cache))
    failures = [Failure(i, built.name, e) for i, e in sorted(failed.items())]
    if len(failed) == len(samples):
        raise InputError(folder, f"no file gave {built.name} features ({len(failures)} failed)")
    return built.reference, failures
