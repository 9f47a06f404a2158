"""FAD between generated and reference audio (presets `fad/google`, `fad/torchvggish`).

A waveform becomes VGGish log-mel examples as the preset says — mono (channel mean), 16 kHz
(resampy), optional peak normalisation, then either one 0.96 s example per 1 s window with a
0.5 s hop (google-research) or continuous non-overlapping 0.96 s examples (torchvggish) — and
every example's 128-d embedding joins the set's statistics.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import InputError
from .frechet import FrechetMetric
from .media import read_audio
from .metric import Features, Sample
from .networks import vggish
from .networks.loading import load_strict
from .networks.vggish_frontend import EXAMPLE_FRAMES, HOP_SAMPLES, SAMPLE_RATE, WINDOW_SAMPLES, log_mel_examples
from .presets import FADPreset, presets_of
from .weights import load_verified

EMBEDDING_DIM = 128
CONTINUOUS_MIN_SAMPLES = (EXAMPLE_FRAMES - 1) * HOP_SAMPLES + WINDOW_SAMPLES  # one example at 16 kHz


def mono_16k(waveform: np.ndarray, sample_rate: int, resampler: str, source: str | None = None) -> np.ndarray:
    """`(samples,)` or `(samples, channels)` float in [-1, 1] at `sample_rate` Hz → mono float64 at 16 kHz."""
    data = np.asarray(waveform)
    if data.dtype.kind != "f" or data.ndim not in (1, 2) or data.shape[0] == 0:
        raise InputError(source, f"expected a float waveform (samples,) or (samples, channels), got {data.shape} {data.dtype}")
    if not np.isfinite(data).all():
        raise InputError(source, "waveform contains NaN or infinity")
    data = data.astype(np.float64)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if sample_rate != SAMPLE_RATE:
        import resampy

        data = resampy.resample(data, sample_rate, SAMPLE_RATE, filter=resampler)
    return data


class VGGishFeatures:
    """Waveform → `(N, 128)` float32 VGGish embeddings, one per example the preset frames."""

    dim = EMBEDDING_DIM

    def __init__(self, preset: FADPreset, weights_path: str | Path | None = None, device: str = "cpu",
                 batch_size: int = 64):
        self.preset = preset
        self.device = torch.device(device)
        self.batch_size = batch_size
        state, self.weights_sha256, source = load_verified(preset.weights, weights_path)
        self.network = load_strict(vggish.VGGish(final_relu=False), state, source).to(self.device)

    def examples(self, waveform: np.ndarray, sample_rate: int, source: str | None = None) -> np.ndarray:
        """Log-mel examples `(N, 96, 64)` float32 of one waveform; too short for one is an InputError."""
        p = self.preset
        data = mono_16k(waveform, sample_rate, p.resampler, source)
        if p.peak_floor is not None:
            data = data / max(p.peak_floor, float(np.amax(data)))
        if p.window_samples is None:
            need = CONTINUOUS_MIN_SAMPLES
            examples = log_mel_examples(data, SAMPLE_RATE)
        else:
            need = p.window_samples
            starts = range(0, data.shape[0] - p.window_samples + 1, p.hop_samples)
            examples = np.concatenate(
                [log_mel_examples(data[i : i + p.window_samples], SAMPLE_RATE) for i in starts]
                or [np.zeros((0, EXAMPLE_FRAMES, 64), dtype=np.float32)]
            )
        if examples.shape[0] == 0:
            raise InputError(
                source,
                f"audio lasts {data.shape[0] / SAMPLE_RATE:.3f} s; {p.name} needs at least {need / SAMPLE_RATE:.3f} s",
            )
        return examples

    @torch.inference_mode()
    def forward(self, examples: torch.Tensor) -> torch.Tensor:
        """`(N, 96, 64)` log-mel examples → `(N, 128)` float32 embeddings."""
        return self.network(examples.to(self.device)).float().cpu()

    def audio_features(self, waveform: np.ndarray, sample_rate: int, source: str | None = None) -> np.ndarray:
        examples = torch.from_numpy(self.examples(waveform, sample_rate, source))
        return np.concatenate(
            [self.forward(examples[i : i + self.batch_size]).numpy() for i in range(0, len(examples), self.batch_size)]
        )


class FAD(FrechetMetric):
    """Fréchet Audio Distance (VGGish embeddings) against a reference set's audio.

    Files: each sample's audio (its audio file, else the video's own track). Arrays:
    `update(waveform (samples,) or (samples, channels) float in [-1, 1], sample_rate,
    reference=False)`. `compute()` → `MetricResult`.
    """

    name, title, unit = "fad", "FAD", "0.96-s audio examples"
    default_preset = "fad/google"

    @classmethod
    def presets(cls) -> dict[str, FADPreset]:
        return presets_of("fad")

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset.weights,)

    def feature_dim(self) -> int:
        return EMBEDDING_DIM

    def build_extractor(self) -> VGGishFeatures:
        return VGGishFeatures(self.preset, self.weight_paths.get(self.preset.weights), self.device)

    def feature_key(self) -> dict[str, Any]:
        p = self.preset
        return {"pipeline": {"network": "vggish", "weights": p.weights, "sample_rate": p.sample_rate,
                             "resampler": p.resampler, "window_samples": p.window_samples,
                             "hop_samples": p.hop_samples, "peak_floor": p.peak_floor}, "weights": self.weights()}

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        return {"audio": sample.audio_key()}

    def sample_features(self, sample: Sample) -> Features:
        source = sample.audio or sample.video
        waveform, rate = read_audio(source)
        return {"features": self.extractor.audio_features(waveform, rate, str(source))}

    def update(self, waveform: np.ndarray, sample_rate: int, reference: bool = False,
               source: str | None = None) -> None:
        self._state(reference).update(self.extractor.audio_features(waveform, sample_rate, source))
