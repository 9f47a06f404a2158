"""The clips of a validity study: a flow trajectory and an audio waveform each.

Real clips come from any folder of videos with audio (pairing rules as `avbench av-align`);
their flow comes from the AV-Align cache. `segment_frames` cuts each file into consecutive
segments of that many frames without re-encoding: a segment's trajectory is derived from the
file's per-pair flow values exactly as if the segment were its own file, and its audio is the
matching time span (e.g. the MM-Diffusion sample sheets: 17-frame samples at 10 fps).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avbench.metrics.av_align import AVAlign, AVAlignPreset, get_preset
from avbench.metrics.av_align.clip import ClipSignals
from avbench.metrics.av_align.runner import clip_waveform
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fileio import cache_root
from avbench.metrics.metric import MapBackend, MapContext, Sample
from avbench.metrics.scoring import folder_samples, map_features

from ..synthetic import VALIDITY_VERSION, validity_clips, write_clip


@dataclass(frozen=True)
class StudyClip:
    """One clip: `trajectory` (N,) float64 mean flow per frame (px/frame, the AV-Align
    trajectory), `fps` frames per second, `waveform` (samples,) float32 mono at the onset
    sample rate (Hz) of the preset it was loaded with."""

    name: str
    video: str
    trajectory: np.ndarray
    fps: float
    waveform: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.trajectory.size)

    @property
    def split(self) -> str:
        """`dev` or `held-out`, fixed by a hash of the name (independent of the set)."""
        return "dev" if hashlib.sha256(self.name.encode()).digest()[0] % 2 == 0 else "held-out"


SEGMENT_AUDIO = ("time", "stretch")


def segment(clip: StudyClip, frames: int, sample_rate: int, audio: str = "time") -> list[StudyClip]:
    """Consecutive `frames`-frame segments of `clip` (a remainder shorter than that is
    dropped). Segment s covers frames [s·frames, (s+1)·frames) and, with `audio="time"`, the
    audio samples of [s·frames/fps, (s+1)·frames/fps) seconds; with `audio="stretch"`, the same
    fractions of the whole audio track's length, for sheets of samples whose audio is shorter
    than their video (the MM-Diffusion sheets: 1.692 s of audio per 1.7 s of video, so cutting
    by time drifts by 8 ms per sample)."""
    if frames < 3:
        raise AvbenchError(f"segments need at least 3 frames, got {frames}")
    if audio not in SEGMENT_AUDIO:
        raise AvbenchError(f"segment audio must be one of {SEGMENT_AUDIO}, got {audio!r}")
    # clip.trajectory[i] = flow(frame i-1, frame i) for i >= 1; a segment starting at frame b
    # has the trajectory [flow(b, b+1)] + [flow(b+i-1, b+i) for i in 1..frames-1].
    out = []
    for s in range(clip.n_frames // frames):
        b = s * frames
        traj = np.concatenate([clip.trajectory[b + 1:b + 2], clip.trajectory[b + 1:b + frames]])
        if audio == "time":
            start, stop = (int(round(f / clip.fps * sample_rate)) for f in (b, b + frames))
        else:
            start, stop = (int(round(f / clip.n_frames * clip.waveform.size)) for f in (b, b + frames))
        out.append(StudyClip(f"{clip.name}#{s:03d}", clip.video, traj, clip.fps, clip.waveform[start:stop]))
    return out


def load_clips(samples: list[Sample], preset: AVAlignPreset | None = None, fps: float | None = None,
               workers: int | None = None, use_cache: bool = True, progress: bool = True,
               segment_frames: int | None = None, segment_audio: str = "time",
               backend: MapBackend | None = None) -> tuple[list[StudyClip], dict[str, str]]:
    """Study clips of `samples` (flow from the AV-Align cache or computed once per video, on
    `backend` when given) and the one-line reason for every sample that could not be used."""
    metric = AVAlign(preset or get_preset(), fps=fps)
    preset = metric.preset
    context = MapContext(workers=workers, progress=progress, use_cache=use_cache, backend=backend)
    mapped = map_features(metric, samples, context)
    clips, failures = [], dict(mapped.failures)
    for sample in samples:
        features = mapped.features.get(sample.sample_id)
        if features is None:
            continue
        signals = ClipSignals.from_features(features)
        try:
            waveform = clip_waveform(sample, preset)
        except InputError as exc:
            failures[sample.sample_id] = str(exc)
            continue
        clip = StudyClip(sample.sample_id, str(sample.video), signals.trajectory, signals.fps, waveform)
        clips.extend(segment(clip, segment_frames, preset.onset.sample_rate, segment_audio) if segment_frames else [clip])
    names = [c.name for c in clips]
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise AvbenchError(f"two clips are named {duplicate!r}; give each clip a unique file stem")
    return clips, failures


def synthetic_samples(n: int, seed: int, folder: str | Path | None = None) -> list[Sample]:
    """The built-in synthetic validity set (`synthetic.validity_clips`), written once (to
    `<cache>/validity/v<version>-n<n>-s<seed>` unless `folder`)."""
    folder = Path(folder) if folder else cache_root() / "validity" / f"v{VALIDITY_VERSION}-n{n}-s{seed}"
    clips = validity_clips(n, seed)
    for clip in clips:
        if not (folder / f"{clip.name}.mp4").is_file() or not (folder / f"{clip.name}.wav").is_file():
            write_clip(clip, folder)
    return folder_samples(folder)
