"""One clip's AV-Align: signals (preset-independent) → peaks → score (per preset)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..cache import ArrayCache
from .presets import AVAlignPreset
from .lags import chance_corrected
from .onsets import onset_times
from .scoring import PeakMatch, match_peaks, video_peak_span, video_peak_times


@dataclass(frozen=True)
class ClipSignals:
    """What AV-Align measures on a clip before any preset-specific choice.

    `trajectory`: (N,) float64 mean Farneback magnitude per frame (pixels per frame);
    `envelope`: (M,) float32 onset strength per hop (`OnsetParams.hop_length` samples at
    `OnsetParams.sample_rate` Hz, i.e. `envelope_rate` values per second); `fps`: frames per
    second of the video time axis; `timestamps`: (N,) float64 seconds of each frame when the
    time axis is the frames' timestamps (non-canonical), None for frame index / `fps`;
    `warnings`: the clip's named warnings, one line each (`clip_checks`).
    """

    trajectory: np.ndarray
    envelope: np.ndarray
    fps: float
    n_frames: int
    envelope_rate: float
    decoder: str = "opencv"
    timestamps: np.ndarray | None = None
    warnings: tuple[str, ...] = ()

    def frame_times(self) -> np.ndarray:
        """`(N,) float64` seconds of each frame on the clip's time axis."""
        return self.timestamps if self.timestamps is not None else np.arange(self.n_frames) / self.fps

    def to_features(self) -> dict[str, np.ndarray]:
        """The signals as arrays (a metric's features: cacheable, picklable, savable)."""
        features = {"trajectory": self.trajectory, "envelope": self.envelope, "fps": np.float64(self.fps),
                    "n_frames": np.int64(self.n_frames), "envelope_rate": np.float64(self.envelope_rate),
                    "decoder": np.str_(self.decoder), "warnings": np.array(self.warnings, dtype=str)}
        if self.timestamps is not None:
            features["timestamps"] = self.timestamps
        return features

    @classmethod
    def from_features(cls, features: dict[str, np.ndarray]) -> "ClipSignals":
        timestamps = features.get("timestamps")
        return cls(np.asarray(features["trajectory"]), np.asarray(features["envelope"]), float(features["fps"]),
                   int(features["n_frames"]), float(features["envelope_rate"]), str(features["decoder"]),
                   None if timestamps is None else np.asarray(timestamps, dtype=np.float64),
                   tuple(str(w) for w in features.get("warnings", ())))


@dataclass(frozen=True)
class ClipResult:
    """A scored clip. Times are seconds; `score` is NaN when neither side has a peak. For a
    chance-corrected preset `score` is the corrected value and `match.score` the raw one."""

    video: str
    audio: str
    preset: str
    fps: float
    n_frames: int
    audio_peaks: list[float]
    video_peaks: list[float]
    score: float
    match: PeakMatch = field(repr=False)
    signals: ClipSignals = field(repr=False)

    @property
    def undefined(self) -> bool:
        return math.isnan(self.score)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The clip's named warnings (scored, but a reader should know; `clip_checks`)."""
        return self.signals.warnings

    def record(self) -> dict:
        """The per-clip record of `avbench av-align --json`."""
        return {
            "video": self.video, "audio": self.audio, "fps": self.fps, "n_frames": self.n_frames,
            "audio_peaks": self.audio_peaks, "video_peaks": self.video_peaks,
            "score": None if self.undefined else self.score, "warnings": list(self.warnings),
        }


def score_signals(signals: ClipSignals, preset: AVAlignPreset, video: str = "", audio: str = "",
                  onset_cache: ArrayCache | None = None) -> ClipResult:
    """Peaks and score of one clip's signals under `preset`; its onset times are kept in
    `onset_cache` where given (`onsets.onset_times`)."""
    span = (0.0, signals.n_frames / signals.fps)
    if preset.audio_span == "clip":
        audio_peaks = [float(t) for t in onset_times(signals.envelope, preset.onset, onset_cache)]
    else:
        span = video_peak_span(signals.n_frames, signals.fps, preset)
        audio_peaks = _onsets_within(signals.envelope, signals.envelope_rate, span, preset, onset_cache)
    video_peaks = video_peak_times(signals.trajectory, signals.fps, preset, signals.timestamps)
    match = match_peaks(audio_peaks, video_peaks, signals.fps, preset)
    score = match.score
    if preset.chance is not None:
        score = chance_corrected(audio_peaks, video_peaks, signals.fps, span, preset, match.score)
    return ClipResult(
        video=video, audio=audio, preset=preset.name, fps=signals.fps, n_frames=signals.n_frames,
        audio_peaks=audio_peaks, video_peaks=video_peaks, score=score, match=match, signals=signals,
    )


def _onsets_within(envelope: np.ndarray, rate: float, span: tuple[float, float], preset: AVAlignPreset,
                   cache: ArrayCache | None) -> list[float]:
    """Onset times (seconds) detected on the part of the envelope inside `span` (seconds)."""
    first = max(int(math.ceil(span[0] * rate)), 0)
    last = min(int(math.floor(span[1] * rate)) + 1, envelope.size)
    if last - first < 3:
        return []
    return [float(t) + first / rate for t in onset_times(envelope[first:last], preset.onset, cache)]


def envelope_rate(preset: AVAlignPreset) -> float:
    """Onset-envelope values per second: sample rate / hop length."""
    return preset.onset.sample_rate / preset.onset.hop_length
