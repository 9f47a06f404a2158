"""The audio side of AV-Align: librosa loading, onset envelope and onset times.

librosa is imported where it is called (its onset code takes over a second to load): a run whose
clips' signals and onset times are all cached loads none of it.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..cache import ArrayCache, cache_key, content_digest
from ..librosa_loader import load_librosa
from ..media.audio import librosa_load
from ..versions import library_versions
from .presets import OnsetParams


def load_audio(path: str | Path | None, params: OnsetParams | None = None) -> np.ndarray:
    """`librosa.load(path)` as the official code calls it: `(samples,) float32` at
    `params.sample_rate` Hz, mono. A file that is not there or cannot be read is an InputError
    naming it (a video's own track is read by `runner.clip_waveform`)."""
    params = params or OnsetParams()
    y, _ = librosa_load(path, params.sample_rate, params.mono, params.res_type)
    return y


def conform_waveform(samples: np.ndarray, sample_rate: int, params: OnsetParams | None = None) -> np.ndarray:
    """What `librosa.load` does after reading: downmix `(channels, samples)` or `(samples,)`
    float32 to mono, then resample from `sample_rate` Hz to `params.sample_rate` Hz.

    Use it for audio decoded from a video container, so a wav with the same samples gives the
    same onsets.
    """
    librosa = load_librosa()
    params = params or OnsetParams()
    y = np.asarray(samples, dtype=np.float32)
    if params.mono:
        y = librosa.to_mono(y)
    return librosa.resample(y, orig_sr=sample_rate, target_sr=params.sample_rate, res_type=params.res_type)


def onset_envelope(y: np.ndarray, params: OnsetParams | None = None) -> np.ndarray:
    """`librosa.onset.onset_strength` of a waveform at `params.sample_rate` Hz: `(frames,)`
    float32, one value per `params.hop_length` samples."""
    librosa = load_librosa()
    params = params or OnsetParams()
    return librosa.onset.onset_strength(
        y=y, sr=params.sample_rate, n_fft=params.n_fft, hop_length=params.hop_length,
        n_mels=params.n_mels, center=params.center, lag=params.lag, max_size=params.max_size,
    )


def onset_cache(root: str | Path | None = None, enabled: bool = True) -> ArrayCache:
    """Where `onset_times` keeps the times it picks (`root`: the cache root, default $AVBENCH_CACHE)."""
    return ArrayCache("av-align/onsets", root, enabled)


def onset_times(envelope: np.ndarray, params: OnsetParams | None = None, cache: ArrayCache | None = None) -> np.ndarray:
    """Onset times in seconds: `onset_detect` on the envelope, then `frames_to_time`.

    With a `cache`, the times are kept there by the envelope's content, `params` and librosa's
    version: a clip scored again (a re-run, another preset with the same onset parameters) gets
    the very same times without loading librosa, whose import alone is most of a cached run."""
    params = params or OnsetParams()
    if cache is None:
        return _detect_onsets(envelope, params)
    key = cache_key({"kind": "av-align-onsets/1", "envelope": content_digest({"envelope": envelope}),
                     "onset": asdict(params), "librosa": library_versions()["librosa"]})
    entry = cache.get(key)
    if entry is None:
        entry = {"times": _detect_onsets(envelope, params)}
        cache.put(key, entry)
    return entry["times"]


def _detect_onsets(envelope: np.ndarray, params: OnsetParams) -> np.ndarray:
    librosa = load_librosa()
    frames = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=params.sample_rate, hop_length=params.hop_length,
        backtrack=params.backtrack, normalize=params.normalize, pre_max=params.pre_max,
        post_max=params.post_max, pre_avg=params.pre_avg, post_avg=params.post_avg,
        wait=params.wait, delta=params.delta,
    )
    return librosa.frames_to_time(frames, sr=params.sample_rate, hop_length=params.hop_length)
