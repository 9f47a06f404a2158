"""The audio a video is conditioned on: cut at the file's own rate, then made 16 kHz mono for BEATs.

Upstream (TempoTokens' `inference.py`) cuts the first 2 s at the native rate and saves them as
`<id>.wav`, resamples with torchaudio's `Resample` (windowed sinc, Hann, width 6, rolloff 0.99)
when the rate is not 16 kHz, and averages stereo to mono. Here the cut and the wav are the same;
resampling goes through librosa (the preset's `resampler`, by default "polyphase", i.e. scipy's
`resample_poly`, the closest to torchaudio's of librosa's choices) and any channel count is
averaged to mono. docs/reference-model.md gives the measured differences.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np

from avbench.metrics.media import load_audio
from avbench.metrics.errors import InputError
from avbench.metrics.media.edit import write_wav


@dataclass(frozen=True)
class ConditioningAudio:
    """`segment (channels, samples) float32` at `sample_rate` Hz: the exact audio written beside
    the video; `padded_samples`: zeros appended because the file ended early (at most one frame)."""

    segment: np.ndarray
    sample_rate: int
    padded_samples: int = 0

    @property
    def seconds(self) -> float:
        return self.segment.shape[1] / self.sample_rate

    def mono(self, sample_rate: int, res_type: str) -> np.ndarray:
        """`(samples,) float32` channel mean, resampled to `sample_rate` Hz with librosa `res_type`."""
        y = self.segment.mean(axis=0)
        if self.sample_rate != sample_rate:
            y = librosa.resample(y, orig_sr=self.sample_rate, target_sr=sample_rate, res_type=res_type)
        return np.ascontiguousarray(y, dtype=np.float32)

    def write_wav(self, path: str | Path) -> Path:
        """Write the segment as 32-bit float WAV (lossless) at its own rate."""
        path = Path(path)
        write_wav(self.segment.T, self.sample_rate, path, subtype="FLOAT")
        return path


def cut_conditioning_audio(path: str | Path, start: float, seconds: float, max_pad: float) -> ConditioningAudio:
    """`seconds` of `path`'s audio from `start` (s), at its own rate and channel count.

    A file that ends less than `max_pad` seconds early is zero-padded to full length; one that
    ends earlier raises InputError.
    """
    y, rate = load_audio(path, sample_rate=None, mono=False)
    y = np.atleast_2d(np.asarray(y, dtype=np.float32))
    first = int(round(start * rate))
    wanted = int(round(seconds * rate))
    segment = y[:, first:first + wanted]
    short = wanted - segment.shape[1]
    if short > max_pad * rate:
        have = max(0.0, y.shape[1] / rate - start)
        raise InputError(path, f"has {have:.3f} s of audio from {start:g} s; the reference model needs {seconds:g} s")
    if short:
        segment = np.pad(segment, ((0, 0), (0, short)))
    return ConditioningAudio(np.ascontiguousarray(segment), rate, short)
