"""BEATs' Kaldi fbank front end against an independent float64 numpy derivation of Kaldi's
algorithm (written here from the Kaldi documentation) and against kaldi-native-fbank."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from avbench.reference_model.fbank import BEATS_FBANK_MEAN, BEATS_FBANK_STD, BeatsFrontEnd, FbankConfig, KaldiFbank

RATE = 16000


def numpy_kaldi_fbank(x: np.ndarray, num_bins: int = 128) -> np.ndarray:
    """Kaldi fbank, frame by frame in float64: 25 ms / 10 ms frames (snip edges), DC removal,
    pre-emphasis 0.97, povey window, 512-point power spectrum, triangular mel filters from 20 Hz
    to Nyquist on 1127 ln(1 + f/700), log floored at float32 epsilon."""
    size, shift, nfft = 400, 160, 512
    n = np.arange(size)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * n / (size - 1))) ** 0.85

    def mel(f):
        return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)

    low, high = mel(20.0), mel(RATE / 2)
    delta = (high - low) / (num_bins + 1)
    bin_mel = mel(np.arange(nfft // 2) * RATE / nfft)
    filters = np.zeros((num_bins, nfft // 2 + 1))
    for b in range(num_bins):
        left, centre, right = low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta
        for j, m in enumerate(bin_mel):
            if left < m <= centre:
                filters[b, j] = (m - left) / (centre - left)
            elif centre < m < right:
                filters[b, j] = (right - m) / (right - centre)
    frames = 1 + (len(x) - size) // shift
    out = np.empty((frames, num_bins))
    for i in range(frames):
        frame = x[i * shift:i * shift + size].astype(np.float64)
        frame = frame - frame.mean()
        frame = frame - 0.97 * np.concatenate([frame[:1], frame[:-1]])
        power = np.abs(np.fft.rfft(frame * window, nfft)) ** 2
        out[i] = np.log(np.maximum(filters @ power, np.finfo(np.float32).eps))
    return out


def signals(n: int = 32000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(n) / RATE
    return {
        "noise": rng.normal(0, 0.3, n),
        "chirp": 0.5 * np.sin(2 * np.pi * (100 * t + 1800 * t**2)) + rng.normal(0, 0.01, n),
        "clicks": np.where(rng.random(n) < 0.001, 0.9, 0.0) + rng.normal(0, 1e-3, n),
    }


@pytest.mark.parametrize("name", ["noise", "chirp", "clicks"])
def test_fbank_algorithm_equals_numpy_derivation(name):
    # float64 arithmetic isolates the algorithm (framing, DC, pre-emphasis, window, FFT, filters,
    # floor) from float32 rounding, which the next test bounds.
    x = signals()[name] * 2**15
    ours = KaldiFbank(dtype=torch.float64)(torch.from_numpy(x)).numpy()
    ref = numpy_kaldi_fbank(x)
    assert ours.shape == ref.shape == (198, 128)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["noise", "chirp", "clicks"])
def test_float32_fbank_rounding_is_bounded(name):
    # BEATs' features are float32, like torchaudio's. The rounding error of a band energy is a
    # fraction of the frame's strongest band, so it shows in the log only for bands far below it.
    x = torch.from_numpy(signals()[name] * 2**15)
    ours = KaldiFbank()(x.float()).double()
    exact = KaldiFbank(dtype=torch.float64)(x)
    energy_error = (ours.exp() - exact.exp()).abs() / exact.exp().max(dim=1, keepdim=True).values
    assert energy_error.max() < 5e-5
    assert (ours - exact).abs().median() < 1e-5


@pytest.mark.parametrize("name", ["noise", "clicks"])
def test_fbank_equals_kaldi_native_fbank(name):
    import kaldi_native_fbank as knf  # a test dependency (pyproject's `test` extra)

    # Kaldi refuses 128 bins at 16 kHz / 512 points (filter 3 holds no FFT bin, see below), so
    # compare the shared pipeline at 64 bins, where both run.
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = RATE
    opts.mel_opts.num_bins = 64
    opts.mel_opts.norm = ""  # kaldi-native-fbank defaults to slaney area normalisation; Kaldi has none
    opts.mel_opts.use_slaney_mel_scale = False
    x = (signals()[name] * 2**15).astype(np.float32)
    online = knf.OnlineFbank(opts)
    online.accept_waveform(RATE, x.tolist())
    online.input_finished()
    ref = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    ours = KaldiFbank(FbankConfig(num_mel_bins=64))(torch.from_numpy(x)).numpy()
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-4)


def test_empty_filter_gives_log_epsilon():
    x = torch.from_numpy(signals()["noise"] * 2**15).float()
    out = KaldiFbank()(x)
    np.testing.assert_allclose(out[:, 3].numpy(), np.log(np.finfo(np.float32).eps), rtol=1e-6)
    assert (out[:, [2, 4]] > -10).all()


@pytest.mark.parametrize("samples,frames", [(400, 1), (559, 1), (560, 2), (16000, 98), (32000, 198)])
def test_frame_count_snips_edges(samples, frames):
    assert KaldiFbank()(torch.zeros(samples)).shape == (frames, 128)
    assert FbankConfig().num_frames(samples) == frames


def test_front_end_scales_and_normalises():
    x = signals()["noise"][:16000].astype(np.float32) * 0.5
    feats = BeatsFrontEnd()(torch.from_numpy(np.stack([x, x[::-1].copy()])))
    raw = numpy_kaldi_fbank(x.astype(np.float64) * 2**15)
    assert feats.shape == (2, 98, 128)
    np.testing.assert_allclose(feats[0].double().numpy(), (raw - BEATS_FBANK_MEAN) / (2 * BEATS_FBANK_STD), atol=2e-3)
    with pytest.raises(ValueError, match="shorter than one"):
        BeatsFrontEnd()(torch.zeros(1, 399))
