"""VGGish log-mel frontend: waveform → `(N, 96, 64)` examples, as AudioSet's `vggish_input.py`.

Steps (tensorflow/models research/audioset/vggish `vggish_input.py`, `mel_features.py`,
`vggish_params.py`, also shipped by torchvggish): mono (mean over channels) → resample to
16 kHz with resampy's default `kaiser_best` filter (what both pipelines call) → frames of 400
samples (25 ms) every 160 samples (10 ms), no padding, tail dropped → periodic Hann window →
`|rfft|` with n = 512 (magnitude, not power) → 64 mel bands, 125-7500 Hz, triangles linear in
HTK mel `1127 ln(1 + f/700)`, DC bin zeroed → `log(mel + 0.01)` → non-overlapping examples of 96
frames (0.96 s), tail dropped. Computed in float64 numpy as the canonical code does; returned as
float32. (`torch.stft(n_fft=512, win_length=400, center=False)` is not equivalent: it frames 512
samples and centres the window.)

A waveform shorter than 15 600 samples at 16 kHz (0.975 s) gives no example: `(0, 96, 64)`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import get_window

SAMPLE_RATE = 16_000  # Hz
WINDOW_SAMPLES = 400  # 25 ms at 16 kHz
HOP_SAMPLES = 160  # 10 ms at 16 kHz
FFT_LENGTH = 512  # next power of two above the window
NUM_BANDS = 64
MEL_RANGE_HZ = (125.0, 7500.0)
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s; examples do not overlap


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """HTK mel scale."""
    return 1127.0 * np.log(1.0 + hz / 700.0)


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """`(257, 64)` float64 weights: `|rfft|` frames `@ mel_matrix()` → mel bands."""
    bins_mel = hz_to_mel(np.linspace(0.0, SAMPLE_RATE / 2, FFT_LENGTH // 2 + 1))[:, None]
    edges = np.linspace(hz_to_mel(MEL_RANGE_HZ[0]), hz_to_mel(MEL_RANGE_HZ[1]), NUM_BANDS + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (centre - lower)
    falling = (upper - bins_mel) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0  # the DC bin contributes to no band
    weights.setflags(write=False)
    return weights


def log_mel_spectrogram(waveform_16k: np.ndarray) -> np.ndarray:
    """`(samples,)` float at 16 kHz → `(frames, 64)` float64 log-mel, one frame per 10 ms."""
    if waveform_16k.shape[0] < WINDOW_SAMPLES:
        return np.empty((0, NUM_BANDS))
    frames = np.lib.stride_tricks.sliding_window_view(waveform_16k, WINDOW_SAMPLES)[::HOP_SAMPLES]
    window = get_window("hann", WINDOW_SAMPLES, fftbins=True)  # periodic Hann
    magnitude = np.abs(np.fft.rfft(frames * window, FFT_LENGTH))
    return np.log(magnitude @ mel_matrix() + LOG_OFFSET)


def log_mel_examples(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """`(samples,)` or `(samples, channels)` float waveform at `sample_rate` Hz → `(N, 96, 64)` float32.

    Channels are averaged; other rates are resampled to 16 kHz with resampy (`kaiser_best`).
    Sample values are used as given (a WAV's int16 is expected divided by 32768).
    """
    data = np.asarray(waveform, dtype=np.float64)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if data.ndim != 1:
        raise ValueError(f"waveform must be (samples,) or (samples, channels), got shape {np.shape(waveform)}")
    if sample_rate != SAMPLE_RATE:
        import resampy

        data = resampy.resample(data, sample_rate, SAMPLE_RATE)
    log_mel = log_mel_spectrogram(data)
    count = log_mel.shape[0] // EXAMPLE_FRAMES
    return log_mel[: count * EXAMPLE_FRAMES].reshape(count, EXAMPLE_FRAMES, NUM_BANDS).astype(np.float32)
