"""Set metrics (FVD, FID, KID, FAD) over folders of media files: the API behind
`avbench score-files` and `avbench stats build`.

Every video file of a folder is one video (FVD: one clip; FID/KID: its frames); FAD reads the
folder's audio files, or the videos' own audio tracks when the folder has none. A file that
cannot be used is recorded as a failure with a one-line reason and the run goes on.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fad import FAD
from avbench.metrics.fid import FID
from avbench.metrics.fvd import FVD
from avbench.metrics.inception_features import feature_pipeline
from avbench.metrics.kid import KID
from avbench.metrics.presets import DEFAULT_PRESETS, PRESETS, describe, get_preset
from avbench.metrics.set_metric import SetMetric, SetMetricResult, load_state

from .media import iter_video_frames, list_media, read_audio, read_video_frames

METRICS = ("fvd", "fid", "kid", "fad")
VISUAL_METRICS = ("fvd", "fid", "kid")


@dataclass(frozen=True)
class FileFailure:
    path: str
    metric: str
    error: str


@dataclass
class ScoreFilesOutcome:
    """Values of the metrics that could be computed, why the others could not, failed files."""

    results: list[SetMetricResult] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    failures: list[FileFailure] = field(default_factory=list)
    presets: dict[str, str] = field(default_factory=dict)  # metric -> preset name

    def to_dict(self) -> dict:
        return {
            "presets": {metric: describe(get_preset(name, metric)) for metric, name in self.presets.items()},
            "results": [r.to_dict() for r in self.results],
            "errors": dict(self.errors),
            "failures": [asdict(f) for f in self.failures],
        }


def presets_by_metric(metrics: Sequence[str], preset_names: Iterable[str] = ()) -> dict[str, str]:
    """The preset of each metric: the defaults, overridden by `preset_names` (`fvd/videogpt`, ...)."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise InputError(None, f"unknown metric {unknown[0]!r}; known: {', '.join(METRICS)}")
    chosen = {m: DEFAULT_PRESETS[m] for m in metrics}
    for name in preset_names:
        if name not in PRESETS:
            raise InputError(None, f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
        metric = PRESETS[name].metric
        if metric not in chosen:
            raise InputError(None, f"preset {name!r} is for {metric}, which is not among the metrics {list(metrics)}")
        chosen[metric] = name
    return chosen


def build_metrics(
    presets: dict[str, str],
    weights_paths: dict[str, str] | None = None,
    device: str = "cpu",
    batch_size: int = 16,
) -> dict[str, SetMetric]:
    """One metric object per metric; FID and KID share one Inception network when their presets
    compute the same features. Missing weights raise here, before any file is decoded."""
    weights_paths = weights_paths or {}

    def path_for(metric: str) -> str | None:
        return weights_paths.get(get_preset(presets[metric], metric).weights)

    built: dict[str, SetMetric] = {}
    for metric in presets:
        kw = dict(preset=presets[metric], weights_path=path_for(metric), device=device, batch_size=batch_size)
        if metric == "fvd":
            built[metric] = FVD(**kw)
        elif metric == "fad":
            built[metric] = FAD(**kw)
        else:
            other = built.get("fid") or built.get("kid")
            same = other is not None and feature_pipeline(other.preset) == feature_pipeline(
                get_preset(presets[metric], metric))
            shared = other.extractor if same else None
            built[metric] = (FID if metric == "fid" else KID)(**kw, extractor=shared)
    return built


class _FolderFeeder:
    """Feeds the files of one folder to the metric objects, recording per-file failures."""

    def __init__(self, metrics: dict[str, SetMetric], reference: bool, progress: bool):
        self.metrics = metrics
        self.reference = reference
        self.progress = progress
        self.failures: list[FileFailure] = []

    def _bar(self, items: list, what: str):
        side = "reference" if self.reference else "generated"
        return tqdm(items, desc=f"{what} ({side})", unit="file", disable=not self.progress, leave=False)

    def _fail(self, path: Path, metric: str, exc: AvbenchError) -> None:
        self.failures.append(FileFailure(str(path), metric, str(exc)))

    def feed(self, folder: Path) -> None:
        videos, audios = list_media(folder)
        if "fvd" in self.metrics:
            self._feed_fvd(videos)
        frame_metrics = [self.metrics[m] for m in ("fid", "kid") if m in self.metrics]
        if frame_metrics:
            self._feed_frames(videos, frame_metrics)
        if "fad" in self.metrics:
            self._feed_fad(audios or videos)

    def _feed_fvd(self, videos: list[Path]) -> None:
        fvd = self.metrics["fvd"]
        extractor, clip = fvd.extractor, fvd.preset.clip
        limit = clip.span if clip.offset == "start" else None
        pending: list[torch.Tensor] = []

        def flush() -> None:
            if pending:
                fvd.update_features(extractor.forward(torch.stack(pending)), self.reference)
                pending.clear()

        for path in self._bar(videos, "fvd"):
            try:
                frames = read_video_frames(path, limit=limit)
                pending.append(extractor.clip_input(frames, key=path.name, source=str(path)))
            except AvbenchError as exc:
                self._fail(path, "fvd", exc)
            if len(pending) >= extractor.batch_size:
                flush()
        flush()

    def _feed_frames(self, videos: list[Path], metrics: list[SetMetric]) -> None:
        """FID and KID: every `frame_stride`-th frame, streamed in batches; a shared extractor runs once."""
        names = "+".join(m.metric for m in metrics)
        extractors = {id(m.extractor): m.extractor for m in metrics}
        for path in self._bar(videos, names):
            try:
                # Decode and embed the whole file before adding anything, so a file failing
                # midway leaves the sets untouched.
                per_extractor: dict[int, list[np.ndarray]] = {key: [] for key in extractors}
                for key, extractor in extractors.items():
                    batch: list[np.ndarray] = []
                    for frame in iter_video_frames(path, stride=extractor.preset.frame_stride):
                        batch.append(frame)
                        if len(batch) == extractor.batch_size:
                            per_extractor[key].append(extractor.frame_features(np.stack(batch), str(path)))
                            batch = []
                    if batch:
                        per_extractor[key].append(extractor.frame_features(np.stack(batch), str(path)))
                    if not per_extractor[key]:
                        raise InputError(path, "the video stream holds no decodable frame")
            except AvbenchError as exc:
                for m in metrics:
                    self._fail(path, m.metric, exc)
                continue
            for m in metrics:
                m.update_features(np.concatenate(per_extractor[id(m.extractor)]), self.reference)

    def _feed_fad(self, sources: list[Path]) -> None:
        fad = self.metrics["fad"]
        for path in self._bar(sources, "fad"):
            try:
                waveform, rate = read_audio(path)
                fad.update(waveform, rate, reference=self.reference, source=str(path))
            except AvbenchError as exc:
                self._fail(path, "fad", exc)


def feed_folder(metrics: dict[str, SetMetric], folder: str | Path, reference: bool,
                progress: bool = True) -> list[FileFailure]:
    """Add every usable file of `folder` to the generated or reference set of each metric."""
    feeder = _FolderFeeder(metrics, reference, progress)
    feeder.feed(Path(folder))
    return feeder.failures


def score_files(
    generated: str | Path,
    reference: str | Path | None,
    metrics: Sequence[str],
    preset_names: Iterable[str] = (),
    ref_stats: Iterable[str | Path] = (),
    weights_paths: dict[str, str] | None = None,
    device: str = "cpu",
    batch_size: int = 16,
    progress: bool = True,
) -> ScoreFilesOutcome:
    """Score the media of folder `generated` against folder `reference` and/or saved reference
    states (`ref_stats`, from `build_reference_state`; each file names its own preset)."""
    preset_names = list(preset_names)
    presets = presets_by_metric(metrics, preset_names)
    states = {str(p): load_state(p) for p in ref_stats}
    for path, state in states.items():
        metric = PRESETS[state.preset].metric if state.preset in PRESETS else None
        if metric not in presets:
            raise InputError(path, f"reference statistics of preset {state.preset!r} match none of the metrics {list(metrics)}")
        if presets[metric] != state.preset and presets[metric] in preset_names:
            raise InputError(path, f"reference statistics are {state.preset!r} but --preset asks for {presets[metric]!r}")
        presets[metric] = state.preset
    built = build_metrics(presets, weights_paths, device, batch_size)
    for state in states.values():
        built[PRESETS[state.preset].metric].set_reference(state)

    from_stats = {PRESETS[s.preset].metric for s in states.values()}
    need_reference = {m: built[m] for m in built if m not in from_stats}
    if need_reference and reference is None:
        raise InputError(None, f"no reference folder and no reference statistics for {', '.join(need_reference)}")

    outcome = ScoreFilesOutcome(presets=presets)
    outcome.failures += feed_folder(built, generated, reference=False, progress=progress)
    if need_reference:
        outcome.failures += feed_folder(need_reference, reference, reference=True, progress=progress)
    for name in metrics:
        try:
            outcome.results.append(built[name].compute())
        except AvbenchError as exc:
            outcome.errors[name] = str(exc)
    return outcome


def build_reference_state(
    folder: str | Path,
    metric: str,
    preset_name: str | None = None,
    weights_paths: dict[str, str] | None = None,
    device: str = "cpu",
    batch_size: int = 16,
    progress: bool = True,
):
    """Reference state (Gaussian statistics, or stored features for KID) of a folder's media,
    and the files that failed. An empty state is an InputError."""
    presets = presets_by_metric([metric], [preset_name] if preset_name else [])
    built = build_metrics(presets, weights_paths, device, batch_size)
    failures = feed_folder(built, folder, reference=True, progress=progress)
    state = built[metric].reference
    if state.n == 0:
        raise InputError(folder, f"no file gave {metric} features ({len(failures)} failed)")
    return state, failures
