"""One clip's AV-Align: signals (variant-independent) → peaks → score (per variant)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import AVAlignConfig, get_config
from .flow import VideoFlow, video_flow
from .onsets import load_audio, onset_envelope, onset_times
from .lags import chance_corrected
from .scoring import PeakMatch, match_peaks, video_peak_span, video_peak_times


@dataclass(frozen=True)
class ClipSignals:
    """What AV-Align measures on a clip before any variant-specific choice.

    `trajectory`: (N,) float64 mean Farneback magnitude per frame (pixels per frame);
    `envelope`: (M,) float32 onset strength per hop (`OnsetParams.hop_length` samples at
    `OnsetParams.sample_rate` Hz, i.e. `envelope_rate` values per second); `fps`: frames per
    second of the video time axis.
    """

    trajectory: np.ndarray
    envelope: np.ndarray
    fps: float
    n_frames: int
    envelope_rate: float
    decoder: str = "opencv"


@dataclass(frozen=True)
class ClipResult:
    """A scored clip. Times are seconds; `score` is NaN when neither side has a peak. For a
    chance-corrected variant `score` is the corrected value and `match.score` the raw one."""

    video: str
    audio: str
    variant: str
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

    def record(self) -> dict:
        """The per-clip record of `avbench av-align --json`."""
        return {
            "video": self.video, "audio": self.audio, "fps": self.fps, "n_frames": self.n_frames,
            "audio_peaks": self.audio_peaks, "video_peaks": self.video_peaks,
            "score": None if self.undefined else self.score,
        }


def score_signals(signals: ClipSignals, config: AVAlignConfig, video: str = "", audio: str = "") -> ClipResult:
    """Peaks and score of one clip's signals under `config`."""
    span = (0.0, signals.n_frames / signals.fps)
    if config.audio_span == "clip":
        audio_peaks = [float(t) for t in onset_times(signals.envelope, config.onset)]
    else:
        span = video_peak_span(signals.n_frames, signals.fps, config)
        audio_peaks = _onsets_within(signals.envelope, signals.envelope_rate, span, config)
    video_peaks = video_peak_times(signals.trajectory, signals.fps, config)
    match = match_peaks(audio_peaks, video_peaks, signals.fps, config)
    score = match.score
    if config.chance is not None:
        score = chance_corrected(audio_peaks, video_peaks, signals.fps, span, config, match.score)
    return ClipResult(
        video=video, audio=audio, variant=config.variant, fps=signals.fps, n_frames=signals.n_frames,
        audio_peaks=audio_peaks, video_peaks=video_peaks, score=score, match=match, signals=signals,
    )


def _onsets_within(envelope: np.ndarray, rate: float, span: tuple[float, float], config: AVAlignConfig) -> list[float]:
    """Onset times (seconds) detected on the part of the envelope inside `span` (seconds)."""
    first = max(int(math.ceil(span[0] * rate)), 0)
    last = min(int(math.floor(span[1] * rate)) + 1, envelope.size)
    if last - first < 3:
        return []
    return [float(t) + first / rate for t in onset_times(envelope[first:last], config.onset)]


def clip_signals(video_path: str | Path, audio_path: str | Path, config: AVAlignConfig,
                 fps: float | None = None) -> ClipSignals:
    """Decode and measure one clip: streaming flow of the video, onset envelope of the audio
    file (`librosa.load`)."""
    flow: VideoFlow = video_flow(video_path, config.farneback, fps=fps)
    envelope = onset_envelope(load_audio(audio_path, config.onset), config.onset)
    return ClipSignals(flow.trajectory, envelope, flow.fps, flow.n_frames, envelope_rate(config), flow.decoder)


def envelope_rate(config: AVAlignConfig) -> float:
    """Onset-envelope values per second: sample rate / hop length."""
    return config.onset.sample_rate / config.onset.hop_length


def av_align_clip(video_path: str | Path, audio_path: str | Path, variant: str | AVAlignConfig = "tempotokens-2025",
                  fps: float | None = None) -> ClipResult:
    """AV-Align of one video file against one audio file (no cache, no pairing rules)."""
    config = get_config(variant) if isinstance(variant, str) else variant
    signals = clip_signals(video_path, audio_path, config, fps=fps)
    return score_signals(signals, config, str(video_path), str(audio_path))
