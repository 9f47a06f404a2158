"""Kaldi-compatible log-mel filterbank in torch: BEATs' audio front end without torchaudio.

Equals `torchaudio.compliance.kaldi.fbank(x * 2**15, num_mel_bins=128, sample_frequency=16000,
frame_length=25, frame_shift=10)` with every other option at its Kaldi default (as BEATs' `preprocess` calls it):
no dither, `snip_edges`, DC removal, pre-emphasis 0.97, povey window, zero-padding to a power of
two, power spectrum, triangular filters on the Kaldi mel scale from 20 Hz to Nyquist, and
`log(max(x, float32 eps))`. BEATs then normalises with its AudioSet mean and standard deviation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

# BEATs' AudioSet statistics of the log-mel values (upstream `BEATs.preprocess` defaults).
BEATS_FBANK_MEAN = 15.41663
BEATS_FBANK_STD = 6.55582
# Kaldi feeds 16-bit integer amplitudes; waveforms in [-1, 1] are scaled up first.
INT16_SCALE = 2.0**15


@dataclass(frozen=True)
class FbankConfig:
    """The Kaldi fbank options BEATs uses (Hz, milliseconds, bins)."""

    sample_rate: int = 16000
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    num_mel_bins: int = 128
    low_freq: float = 20.0
    high_freq: float = 0.0  # <= 0 means Nyquist + high_freq, as in Kaldi
    preemphasis: float = 0.97
    povey_exponent: float = 0.85

    @property
    def window_size(self) -> int:
        return int(self.sample_rate * self.frame_length_ms * 0.001)

    @property
    def window_shift(self) -> int:
        return int(self.sample_rate * self.frame_shift_ms * 0.001)

    @property
    def fft_size(self) -> int:
        return 1 << (self.window_size - 1).bit_length()

    def num_frames(self, num_samples: int) -> int:
        """Frames Kaldi produces with `snip_edges=True` for `num_samples` samples."""
        if num_samples < self.window_size:
            return 0
        return 1 + (num_samples - self.window_size) // self.window_shift


def kaldi_mel(freq_hz: float) -> float:
    """Kaldi's mel scale, 1127 ln(1 + f / 700), for one frequency in Hz."""
    return 1127.0 * math.log(1.0 + freq_hz / 700.0)


def mel_filterbank(config: FbankConfig, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """`(num_mel_bins, fft_size // 2 + 1)` triangular filters; the Nyquist column is zero.

    Filters are equally spaced on the mel scale between `low_freq` and `high_freq`, evaluated at
    the mel value of each FFT bin's frequency, without area normalisation. In float32 the
    arithmetic follows torchaudio's order, so the weights equal torchaudio's bit for bit (its
    rounding moves some weights by up to 1.4e-5 from the exact values). With 128 bins at 16 kHz
    filter 3 holds no FFT bin and is all zero (Kaldi itself refuses such a configuration).
    """
    nyquist = 0.5 * config.sample_rate
    high = config.high_freq if config.high_freq > 0 else nyquist + config.high_freq
    mel_low, mel_high = kaldi_mel(config.low_freq), kaldi_mel(high)
    step = (mel_high - mel_low) / (config.num_mel_bins + 1)
    index = torch.arange(config.num_mel_bins, dtype=dtype)[:, None]
    left = mel_low + index * step
    centre = mel_low + (index + 1.0) * step
    right = mel_low + (index + 2.0) * step
    bin_hz = (config.sample_rate / config.fft_size) * torch.arange(config.fft_size // 2, dtype=dtype)
    bin_mel = (1127.0 * torch.log(1.0 + bin_hz / 700.0))[None, :]
    rising = (bin_mel - left) / (centre - left)
    falling = (right - bin_mel) / (right - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return torch.nn.functional.pad(weights, (0, 1))


def povey_window(size: int, exponent: float = 0.85, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Kaldi's povey window, `(size,)`: a symmetric Hann window raised to `exponent`."""
    return torch.hann_window(size, periodic=False, dtype=dtype).pow(exponent)


class KaldiFbank(torch.nn.Module):
    """Log-mel filterbank of a 16 kHz waveform, Kaldi's algorithm in `dtype` arithmetic.

    Input `(samples,)` in Kaldi units (16-bit integer scale); output `(frames, num_mel_bins)`,
    `frames = 1 + (samples - 400) // 160`. In float32 (the default, what BEATs uses) the output
    equals torchaudio's; float64 gives the exact values, for checks.
    """

    def __init__(self, config: FbankConfig = FbankConfig(), dtype: torch.dtype = torch.float32):
        super().__init__()
        self.config = config
        self.register_buffer("window", povey_window(config.window_size, config.povey_exponent, dtype), persistent=False)
        self.register_buffer("filters", mel_filterbank(config, dtype), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        frames = waveform.unfold(0, cfg.window_size, cfg.window_shift)  # (m, window) strided view
        frames = frames - frames.mean(dim=1, keepdim=True)
        previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)  # replicate the first sample
        frames = (frames - cfg.preemphasis * previous) * self.window
        spectrum = torch.fft.rfft(frames, n=cfg.fft_size).abs().pow(2.0)
        energies = spectrum @ self.filters.T
        # Kaldi floors at float32 epsilon whatever the arithmetic precision.
        floor = torch.tensor(torch.finfo(torch.float32).eps, dtype=energies.dtype, device=energies.device)
        return torch.maximum(energies, floor).log()


class BeatsFrontEnd(torch.nn.Module):
    """BEATs' input: `(B, samples)` float32 waveforms in [-1, 1] at 16 kHz →
    `(B, frames, 128)` normalised log-mel, `(fbank - 15.41663) / (2 * 6.55582)`."""

    def __init__(self, config: FbankConfig = FbankConfig()):
        super().__init__()
        self.fbank = KaldiFbank(config)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        if waveforms.dim() != 2:
            raise ValueError(f"expected (B, samples) waveforms, got shape {tuple(waveforms.shape)}")
        if self.fbank.config.num_frames(waveforms.shape[1]) == 0:
            raise ValueError(f"{waveforms.shape[1]} samples is shorter than one {self.fbank.config.frame_length_ms} ms frame")
        feats = torch.stack([self.fbank(w * INT16_SCALE) for w in waveforms])
        return (feats - BEATS_FBANK_MEAN) / (2 * BEATS_FBANK_STD)
