"""AV-Align as an avbench metric, and the one-clip call `av_align_clip`.

A sample's features are its clip's signals (flow trajectory and onset envelope, measured in
parallel and cached by content in `runner`); its state keeps the per-clip score and peak counts
under the preset; the set value is the mean over clips with a defined score with a seeded
percentile bootstrap 95% CI. A clip with no peak on either side is undefined (NaN: the official
code divides by zero), excluded from the mean and counted. A clip scored with named warnings
(`clip_checks`) keeps them in the state, so every record of it, merged shards too, carries them.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..bootstrap import bootstrap_mean_ci
from ..cache import ArrayCache
from ..errors import AvbenchError
from ..keyed_state import KeyedState
from ..metric import Features, MapContext, MapResult, Metric, MetricResult, Sample
from .clip import ClipResult, ClipSignals, score_signals
from .onsets import onset_cache
from .presets import DEFAULT_PRESET, PRESETS, AVAlignPreset
from .runner import ClipOptions, measure_clip, measure_clips

N_RESAMPLES = 10_000


class AVAlign(Metric):
    """AV-Align (audio onset peaks vs optical-flow peaks matched within ±1 frame), per sample.

    `fps` replaces every container's frame rate as the time axis; `time_axis` "timestamps"
    places frames at their timestamps instead of index / fps (not canonical); `strict` refuses
    clips that would be scored with a warning; `flow` "torch" computes the optical flow with the
    torch Farneback on `flow_device` ("auto": a GPU where there is one; not canonical); `seed`
    and `n_resamples` set the bootstrap.
    Files: each sample is a video and its audio (its own track when `audio` is None). In memory:
    `update(clip_result)` adds a clip scored by `av_align_clip`.
    """

    name, title = "av_align", "AV-Align"
    default_preset = DEFAULT_PRESET
    kind = "per-sample"
    higher_is_better = True

    @classmethod
    def presets(cls) -> dict[str, AVAlignPreset]:
        return dict(PRESETS)

    def __init__(self, preset: Any = None, *, fps: float | None = None, time_axis: str = "frames", strict: bool = False,
                 flow: str = "opencv", flow_device: str = "auto", seed: int = 0, n_resamples: int = N_RESAMPLES,
                 **kwargs: Any):
        super().__init__(preset, **kwargs)
        self.options = ClipOptions(fps, time_axis, bool(strict), flow, flow_device)
        self.fps = fps
        self.seed, self.n_resamples = int(seed), int(n_resamples)
        self.onset_cache: ArrayCache | None = None  # where `map` keeps the clips' onset times

    def describe(self) -> dict[str, Any]:
        # the canonical time axis and flow are left out, so a canonical run's parameters stay the preset's
        fps = {} if self.fps is None else {"fps_override": self.fps}
        axis = {} if self.options.time_axis == "frames" else {"time_axis": self.options.time_axis}
        flow = self.options.flow_description()
        bootstrap = {"n_resamples": self.n_resamples, "seed": self.seed}
        return {**self.preset.to_dict(), **fps, **axis, **flow, "bootstrap": bootstrap}

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        """A clip's signals read its video and its audio: both name the features."""
        return {"video": sample.video_sha256, "audio": sample.audio_key()}

    def sample_features(self, sample: Sample) -> Features:
        o = self.options
        signals = measure_clip(sample, self.preset, o.fps, use_cache=False, time_axis=o.time_axis, strict=o.strict,
                               flow=o.flow, flow_device=o.flow_device)
        return signals.to_features()

    def prepare(self, context: MapContext) -> None:
        # The onset times of the clips scored next are kept beside their signals (same cache,
        # same --no-cache): scoring them again, under another preset too, then loads no librosa.
        self.onset_cache = onset_cache(context.cache_root, context.use_cache)

    def map(self, samples: Iterable[Sample], context: MapContext | None = None) -> MapResult:
        """Signals of every clip through the cached, parallel runner (`context.workers` processes)."""
        context = context or MapContext()
        self.prepare(context)
        o = self.options
        measured = measure_clips(list(samples), self.preset, o.fps, workers=context.workers,
                                 use_cache=context.use_cache, progress=context.progress, cache_root=context.cache_root,
                                 time_axis=o.time_axis, strict=o.strict, flow=o.flow, flow_device=o.flow_device)
        return MapResult({i: s.to_features() for i, s in measured.signals.items()}, measured.failures)

    def clip_result(self, features: Features, video: str = "", audio: str = "") -> ClipResult:
        """Peaks and score of one clip from its features under this preset."""
        return score_signals(ClipSignals.from_features(features), self.preset, video, audio, self.onset_cache)

    def state_payload(self, features: Features) -> Features:
        return self._payload(self.clip_result(features))

    @staticmethod
    def _payload(result: ClipResult) -> Features:
        return {"score": np.float64(result.score), "n_audio_peaks": np.int64(len(result.audio_peaks)),
                "n_video_peaks": np.int64(len(result.video_peaks)), "warnings": np.array(result.warnings, dtype=str)}

    def update(self, result: ClipResult, sample_id: str | None = None) -> None:
        """Add one scored clip (e.g. from `av_align_clip`, under this preset) as sample `sample_id`
        (default: its video path)."""
        if result.preset != self.preset.name:
            raise AvbenchError(f"a clip scored under {result.preset} cannot join AV-Align {self.preset.name}")
        self.generated.add(sample_id or result.video, self._payload(result))

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset.name, self.preset.version)

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def sample_values(self) -> dict[str, float]:
        return {sample_id: float(p["score"]) for sample_id, p in self.generated.ordered()}

    def sample_warnings(self) -> dict[str, list[str]]:
        # a state saved before clips carried warnings has none to give
        return {sample_id: [str(w) for w in p["warnings"]] for sample_id, p in self.generated.ordered()
                if "warnings" in p and p["warnings"].size}

    def compute(self) -> MetricResult:
        scores = list(self.sample_values().values())  # sorted by sample id: the CI does not depend on order
        defined = [s for s in scores if not math.isnan(s)]
        undefined = len(scores) - len(defined)
        warned = len(self.sample_warnings())
        ci = bootstrap_mean_ci(defined, n_resamples=self.n_resamples, seed=self.seed)
        notes = []
        if undefined:
            notes.append(f"{undefined} sample(s) without peaks on either side: undefined, excluded from the mean")
        if warned:
            notes.append(f"{warned} sample(s) scored with warnings (partial decode, variable frame rate, audio length, "
                         f"...): see the per-sample warnings")
        if self.options.time_axis != "frames":
            notes.append(f"time axis {self.options.time_axis!r}: not canonical (the official code uses frame index / fps)")
        if self.options.flow != "opencv":
            notes.append(f"flow {self.options.flow!r}: not canonical (OpenCV's Farneback written in torch; agrees with "
                         f"OpenCV to float rounding, see docs/av-align.md)")
        return self.result(
            float(np.mean(defined)) if defined else math.nan, len(defined), ci95=ci,
            ci_method=f"bootstrap-percentile-{self.n_resamples}" if ci else None, notes=tuple(notes),
            details={"n_undefined": undefined, "n_warned": warned,
                     "bootstrap": {"method": "percentile", "level": 0.95, "n_resamples": self.n_resamples,
                                   "seed": self.seed}},
        )


def av_align_clip(video: str | Path, audio: str | Path | None = None, preset: str | AVAlignPreset = DEFAULT_PRESET,
                  fps: float | None = None, time_axis: str = "frames", strict: bool = False, flow: str = "opencv",
                  flow_device: str = "auto") -> ClipResult:
    """AV-Align of one video against one audio file, or its own audio track when `audio` is None
    (no cache, no pairing rules): peaks in seconds, the score and the clip's named warnings
    (`time_axis`, `strict`, `flow` and `flow_device` as `AVAlign` takes them)."""
    preset = AVAlign.resolve_preset(preset)
    sample = Sample(Path(video).stem, Path(video), None if audio is None else Path(audio))
    signals = measure_clip(sample, preset, fps, use_cache=False, time_axis=time_axis, strict=strict, flow=flow,
                           flow_device=flow_device)
    return score_signals(signals, preset, str(video), "" if audio is None else str(audio))
