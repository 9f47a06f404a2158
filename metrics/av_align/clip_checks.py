"""What AV-Align checks on a clip's media: audio it refuses, and what it scores with a warning.

Refused (an InputError naming the file): audio with no sample, shorter than one analysis
window, holding non-finite samples, or so loud that the onset envelope overflows; the official
code would turn each into a score of 0 or NaN that says nothing about the clip. A video whose
container states no frame rate (and no `--fps`) has no time axis and is refused too.

Scored with a named warning, because the official code scores the clip and its number means
what it always means, but a reader should know (codes in `WARNING_CODES`):

- `partial-decode`: fewer frames decode than the container lists; the official script reads
  frames until one fails and scores those, and so does avbench;
- `variable-frame-rate`: frame timestamps stray more than `VFR_TOLERANCE_FRAMES` frames from
  frame index / fps, the time axis of the canonical presets (see `--time-axis timestamps`);
- `audio-length`: the audio lasts more than `AUDIO_LENGTH_TOLERANCE` of the video's duration
  longer or shorter than the video (peaks are compared over different spans);
- `truncated-audio`: the audio file's header declares more samples than it holds;
- `silent-audio`: every audio sample is 0, so no onset can exist.

A warning is one line, "<file>: <code>: <problem>[; <how the clip is scored>]"; `strict` (`--strict`)
refuses the clips that have one, naming the same problem.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .presets import OnsetParams

PARTIAL_DECODE = "partial-decode"
VARIABLE_FRAME_RATE = "variable-frame-rate"
AUDIO_LENGTH = "audio-length"
TRUNCATED_AUDIO = "truncated-audio"
SILENT_AUDIO = "silent-audio"
WARNING_CODES = (PARTIAL_DECODE, VARIABLE_FRAME_RATE, AUDIO_LENGTH, TRUNCATED_AUDIO, SILENT_AUDIO)

# Half a frame: beyond it, frame index / fps puts a frame nearer another frame's time, and a
# peak can move out of the ±1-frame match window.
VFR_TOLERANCE_FRAMES = 0.5
# Generated audio is cut to the clip's length give or take a codec frame; 10% of the duration
# is far beyond that and still small enough to catch audio made for another clip.
AUDIO_LENGTH_TOLERANCE = 0.10


@dataclass(frozen=True)
class ClipWarning:
    """A named warning on a scored clip: the file it is about, its code, the problem and how
    the clip is scored despite it."""

    path: str
    code: str
    problem: str
    scored: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.code}: {self.problem}" + (f"; {self.scored}" if self.scored else "")

    def refusal(self) -> InputError:
        """The clip's failure when warnings are not accepted (`strict`)."""
        return InputError(self.path, f"{self.code}: {self.problem} (refused: strict)")


def check_fps(path: str | Path, fps: float) -> float:
    """The container fps as a float, or an InputError when it cannot define a time axis."""
    if fps is None or not math.isfinite(fps) or fps <= 0:
        raise InputError(path, f"container reports no frame rate (fps {fps!r}); pass --fps to set it")
    return float(fps)


def check_waveform(path: str | Path, y: np.ndarray, params: OnsetParams) -> None:
    """Refuse a waveform (`(samples,)` at `params.sample_rate` Hz) whose onset envelope would
    mean nothing: no sample, less than one `n_fft` analysis window, or a NaN or infinity."""
    if y.size == 0:
        raise InputError(path, "the audio holds no samples")
    if y.size < params.n_fft:
        raise InputError(path, f"audio too short: {y.size} sample(s) at {params.sample_rate} Hz "
                               f"({y.size / params.sample_rate:.3f} s); onset detection needs at least one "
                               f"{params.n_fft}-sample window ({params.n_fft / params.sample_rate:.3f} s)")
    if not np.isfinite(y).all():
        raise InputError(path, f"the audio holds {int(np.count_nonzero(~np.isfinite(y)))} NaN or infinite sample(s)")


def check_envelope(path: str | Path, envelope: np.ndarray, peak: float) -> None:
    """Refuse an onset envelope that overflowed (samples of magnitude `peak` far outside [-1, 1]
    make the mel power spectrogram infinite)."""
    if not np.isfinite(envelope).all():
        raise InputError(path, f"the onset envelope overflows: a sample of magnitude {peak:.3g} (audio "
                               f"should lie within [-1, 1]) makes the spectrogram infinite")


def partial_decode(video: str, decoded: int, listed: int) -> ClipWarning | None:
    """When `decoded` frames are fewer than the `listed` ones the container's index holds (0 = unknown)."""
    if listed <= decoded:
        return None
    return ClipWarning(video, PARTIAL_DECODE, f"{decoded} of the {listed} frames the container lists decode",
                       f"scored on those {decoded}, as the official code does")


def variable_frame_rate(video: str, times: np.ndarray, fps: float) -> ClipWarning | None:
    """When the frames' timestamps (seconds, first frame at 0) stray from index / `fps`."""
    n = times.size
    if n < 2:
        return None
    stray = float(np.max(np.abs(times - np.arange(n) / fps))) * fps
    if stray <= VFR_TOLERANCE_FRAMES:
        return None
    return ClipWarning(video, VARIABLE_FRAME_RATE,
                       f"frame timestamps stray up to {stray:.1f} frame(s) from frame index / {fps:g} fps",
                       "scored on frame index / fps as the canonical presets are (time axis 'timestamps' uses the "
                       "timestamps)")


def audio_length(audio: str, audio_seconds: float, video_seconds: float) -> ClipWarning | None:
    """When the audio lasts more than `AUDIO_LENGTH_TOLERANCE` of the video longer or shorter."""
    if abs(audio_seconds - video_seconds) <= AUDIO_LENGTH_TOLERANCE * video_seconds:
        return None
    return ClipWarning(audio, AUDIO_LENGTH, f"the audio lasts {audio_seconds:.3f} s and the video "
                                            f"{video_seconds:.3f} s (more than {AUDIO_LENGTH_TOLERANCE:.0%} apart)")


def truncated_audio(audio: str, declared: int, present: int) -> ClipWarning | None:
    """When the header declares `declared` bytes of samples and the file holds `present` (< declared)."""
    if declared <= present:
        return None
    return ClipWarning(audio, TRUNCATED_AUDIO, f"the header declares {declared} bytes of samples but the file holds "
                                               f"{present}", "scored on those, as librosa.load reads them")


def silent_audio(audio: str, peak: float) -> ClipWarning | None:
    """When the largest sample magnitude `peak` is 0."""
    if peak > 0:
        return None
    return ClipWarning(audio, SILENT_AUDIO, "every sample is 0", "no audio onset can be found")
