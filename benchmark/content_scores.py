"""Content metrics over a folder of generated videos: frame IS, video IS (C3D), CLIPSIM, the two
CLIPScore conventions and the audio-visual CLIP-space score — the table behind
`avbench score-files --metrics is,isv,clipsim,clipscore,av-semantic`.

Each `ContentMetric` row says which presets it offers (and computes by default), how many
frames and whether audio and a label/text it needs, how to build its scorer and how to feed it
one video. Every video file is decoded once for all requested metrics. Audio for `av-semantic`
is a same-stem audio file beside the video, else the video's own track. A file that cannot be
used is recorded with a one-line reason and the run goes on; a metric whose weights or model are
missing is reported as not computed before any file is decoded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from tqdm import tqdm

from avbench.metrics.errors import AvbenchError, InputError

from .labels import ItemText, label_set
from .score_files import FileFailure, ScoreFilesOutcome

AUDIO_BESIDE = (".wav", ".flac", ".ogg", ".mp3")


@dataclass(frozen=True)
class ContentOptions:
    """What every content scorer is built with."""

    labels: dict[str, ItemText] = field(default_factory=dict)
    template: str = "a video of {label}"
    weights_paths: dict[str, str] = field(default_factory=dict)  # registry name -> file
    clip_model: str | None = None  # Hub id or directory replacing the preset's CLIP
    device: str = "cpu"
    batch_size: int = 16
    offline: bool | None = None


@dataclass(frozen=True)
class VideoItem:
    """One decoded video: its frames `(T, H, W, 3)` uint8 RGB, audio `(N, C)` float32 + Hz, caption."""

    path: Path
    frames: np.ndarray
    audio: tuple[np.ndarray, int] | None
    text: ItemText | None


def _caption(item: VideoItem) -> dict[str, str | None]:
    if item.text is None:
        raise InputError(item.path, "has no label or text in --labels")
    return {"label": item.text.label, "text": item.text.text}


def _build_isv(preset: str, o: ContentOptions) -> Any:
    from avbench.metrics.video_inception_score import VideoInceptionScore, get_protocol

    protocol = get_protocol(preset)
    return VideoInceptionScore(preset, c3d_path=o.weights_paths.get(protocol.c3d_weights),
                               mean_path=o.weights_paths.get(protocol.mean_weights), device=o.device,
                               batch_size=o.batch_size, offline=o.offline)


def _build_clip(preset: str, o: ContentOptions) -> Any:
    from avbench.metrics.clip_score import CLIPScore

    return CLIPScore(preset, template=o.template, model_path=o.clip_model, device=o.device,
                     batch_size=o.batch_size, offline=o.offline)


def _build_av(preset: str, o: ContentOptions) -> Any:
    from avbench.metrics.av_semantic import AVSemantic, PRESETS

    return AVSemantic(preset, labels=label_set(o.labels), template=o.template, clip_model_path=o.clip_model,
                      wav2clip_path=o.weights_paths.get(PRESETS[preset].audio_weights), device=o.device,
                      offline=o.offline, batch_size=o.batch_size)


def _build_is(preset: str, o: ContentOptions) -> Any:
    from avbench.metrics.inception_score import InceptionScore, get_frame_preset

    return InceptionScore(preset, weights_path=o.weights_paths.get(get_frame_preset(preset).weights),
                          device=o.device, batch_size=o.batch_size)


def _feed_is(scorer: Any, item: VideoItem) -> None:
    scorer.update_video(item.frames, source=str(item.path))


def _feed_isv(scorer: Any, item: VideoItem) -> None:
    scorer.update(item.frames[None], source=str(item.path))


def _feed_clip(scorer: Any, item: VideoItem) -> None:
    scorer.update(item.frames, sample_id=item.path.stem, source=str(item.path), **_caption(item))


def _feed_av(scorer: Any, item: VideoItem) -> None:
    if item.audio is None:
        raise InputError(item.path, "no audio to score against")
    label = item.text.label if item.text else None
    scorer.update(item.frames, item.audio[0], item.audio[1], label=label, sample_id=item.path.stem,
                  source=str(item.path))


@dataclass(frozen=True)
class ContentMetric:
    """One `--metrics` name: its presets (the first `defaults` run unless `--preset` picks) and needs."""

    name: str
    presets: tuple[str, ...]
    defaults: tuple[str, ...]
    frame_limit: int | None  # frames decoded from the start of each video; None = all
    needs_text: bool
    needs_audio: bool
    build: Callable[[str, ContentOptions], Any]
    feed: Callable[[Any, VideoItem], None]


CONTENT_METRICS: dict[str, ContentMetric] = {
    m.name: m
    for m in (
        ContentMetric("is", ("is/openai", "is/torch-fidelity"), ("is/openai",), None, False, False, _build_is, _feed_is),
        ContentMetric("isv", ("isv/tgan2", "isv/tgan", "isv/styleganv"), ("isv/tgan2",), 16, False, False,
                      _build_isv, _feed_isv),
        ContentMetric("clipsim", ("clipsim",), ("clipsim",), None, True, False, _build_clip, _feed_clip),
        ContentMetric("clipscore", ("clipscore/hessel", "clipscore/torchmetrics"),
                      ("clipscore/hessel", "clipscore/torchmetrics"), None, True, False, _build_clip, _feed_clip),
        ContentMetric("av-semantic", ("av-semantic/wav2clip",), ("av-semantic/wav2clip",), None, False, True,
                      _build_av, _feed_av),
    )
}


def content_presets(metrics: Sequence[str], preset_names: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """The presets to run per requested content metric: defaults, or those `preset_names` pick."""
    chosen = {m: CONTENT_METRICS[m].defaults for m in metrics}
    picked: dict[str, list[str]] = {}
    for name in preset_names:
        owner = next((m for m in CONTENT_METRICS.values() if name in m.presets), None)
        if owner is None:
            continue  # another family's preset (fvd/..., fid/...)
        if owner.name not in chosen:
            raise InputError(None, f"preset {name!r} is for {owner.name}, which is not among the metrics {list(metrics)}")
        picked.setdefault(owner.name, []).append(name)
    chosen.update({m: tuple(names) for m, names in picked.items()})
    return chosen


def _audio_for(video: Path) -> tuple[np.ndarray, int]:
    from .media import read_audio

    for ext in AUDIO_BESIDE:
        beside = video.with_suffix(ext)
        if beside.is_file():
            return read_audio(beside)
    return read_audio(video)


def score_content(
    folder: str | Path,
    metrics: Sequence[str],
    preset_names: Iterable[str] = (),
    options: ContentOptions = ContentOptions(),
    progress: bool = True,
) -> ScoreFilesOutcome:
    """Score every video under `folder` with the requested content metrics."""
    from .media import list_media, read_video_frames

    outcome = ScoreFilesOutcome()
    scorers: list[tuple[ContentMetric, str, Any]] = []
    for metric, presets in content_presets(metrics, preset_names).items():
        row = CONTENT_METRICS[metric]
        for preset in presets:
            try:
                scorer = row.build(preset, options)
                scorer.load()
            except AvbenchError as exc:
                outcome.errors[preset] = str(exc)
                continue
            scorers.append((row, preset, scorer))
    if not scorers:
        return outcome
    videos, _ = list_media(folder)
    if not videos:
        raise InputError(folder, "holds no video files")
    limits = [row.frame_limit for row, _, _ in scorers]
    limit = None if None in limits else max(limits)
    needs_audio = any(row.needs_audio for row, _, _ in scorers)
    for path in tqdm(videos, desc="content metrics", unit="file", disable=not progress, leave=False):
        try:
            frames = read_video_frames(path, limit=limit)
        except AvbenchError as exc:
            outcome.failures.extend(FileFailure(str(path), p, str(exc)) for _, p, _ in scorers)
            continue
        audio, audio_error = None, None
        if needs_audio:
            try:
                audio = _audio_for(path)
            except AvbenchError as exc:
                audio_error = exc
        item = VideoItem(path, frames, audio, options.labels.get(path.stem))
        for row, preset, scorer in scorers:
            try:
                if row.needs_audio and audio_error is not None:
                    raise audio_error
                view = item if row.frame_limit is None else VideoItem(path, frames[: row.frame_limit], audio, item.text)
                row.feed(scorer, view)
            except AvbenchError as exc:
                outcome.failures.append(FileFailure(str(path), preset, str(exc)))
    for _, preset, scorer in scorers:
        try:
            outcome.results.append(scorer.compute())
        except AvbenchError as exc:
            outcome.errors[preset] = str(exc)
    return outcome
