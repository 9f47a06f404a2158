"""Audio loading: files through soundfile/librosa, the audio track of any container through PyAV.

Each library is imported where a file is read: finding and pairing files, or a run whose every
clip is cached, loads none of them (librosa alone takes a second)."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..librosa_loader import load_librosa

from .errors import describe, require_file

# Files librosa.load reads through soundfile (libsndfile >= 1.1 reads mp3).
AUDIO_FILE_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
# Audio-only containers read through PyAV.
AUDIO_CONTAINER_EXTENSIONS = (".m4a", ".aac", ".opus")


def decode_audio_track(path: str | Path, stream_index: int | None = None) -> tuple[np.ndarray, int]:
    """Decode an audio stream (the first, unless `stream_index`) of any container with PyAV.

    Returns `(channels, samples) float32` in [-1, 1] at the stream's own sample rate (Hz), and
    that rate. Integer PCM is scaled as libsndfile scales it (x / 2**(bits-1)), so a wav and a
    container holding the same samples decode to the same array.
    """
    import av

    path = require_file(path, "media")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, f"not a readable media container ({describe(exc)})") from None
    with container:
        streams = container.streams.audio
        if not streams:
            raise InputError(path, "the container has no audio stream")
        stream = streams[0] if stream_index is None else next((s for s in streams if s.index == stream_index), None)
        if stream is None:
            raise InputError(path, f"no audio stream with index {stream_index}")
        resampler = None
        chunks: list[np.ndarray] = []
        rate = 0
        try:
            for frame in container.decode(stream):
                if resampler is None:
                    rate = frame.sample_rate
                    # Same rate and layout: swresample only converts the sample format.
                    resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=rate)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            if resampler is not None:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray())
        except av.FFmpegError as exc:
            raise InputError(path, f"audio decoding failed ({describe(exc)})") from None
    if not chunks:
        raise InputError(path, "the audio stream holds no samples")
    return np.concatenate(chunks, axis=1).astype(np.float32, copy=False), rate


def librosa_load(path: str | Path | None, sample_rate: int | None, mono: bool = True,
                 res_type: str = "soxr_hq") -> tuple[np.ndarray, int]:
    """`librosa.load(path, sr=sample_rate, mono=mono, res_type=res_type)`: `(samples,)` if mono
    else `(channels, samples)` float32 at `sample_rate` Hz (its own rate if None), and that rate.
    Whatever goes wrong is one InputError naming the file."""
    librosa = load_librosa()
    path = require_file(path, "audio")
    try:
        with warnings.catch_warnings():
            # librosa announces its audioread fallback; a failure is reported below instead
            warnings.filterwarnings("ignore", message="PySoundFile failed", category=UserWarning)
            warnings.filterwarnings("ignore", category=FutureWarning, module="librosa")
            return librosa.load(str(path), sr=sample_rate, mono=mono, res_type=res_type)
    except Exception as exc:  # soundfile/audioread raise many types; report one line
        raise InputError(path, f"cannot read audio ({_read_reason(path, exc)})") from None


def _read_reason(path: Path, exc: Exception) -> str:
    import soundfile as sf

    # librosa's last resort (audioread) hides libsndfile's reason; ask libsndfile for it.
    try:
        sf.info(str(path))
    except Exception as sf_exc:
        reason = describe(sf_exc).replace(f"Error opening {str(path)!r}: ", "")
        if reason.startswith("File does not exist"):  # libsndfile's words for data it cannot parse
            return "cannot be decoded: an unrecognised format or a damaged header"
        return reason
    return describe(exc)


def load_audio(path: str | Path | None, sample_rate: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Load an audio file or a container's audio track: `(samples,)` if mono else
    `(channels, samples)` float32, resampled (soxr_hq) to `sample_rate` Hz unless None.

    wav/flac/ogg/mp3 go through `librosa.load`; anything else through PyAV.
    """
    librosa = load_librosa()
    path = require_file(path, "audio")
    if path.suffix.lower() in AUDIO_FILE_EXTENSIONS:
        return librosa_load(path, sample_rate, mono)
    y, rate = decode_audio_track(path)
    if mono:
        y = librosa.to_mono(y)
    if sample_rate is not None and sample_rate != rate:
        y = librosa.resample(y, orig_sr=rate, target_sr=sample_rate)
        rate = sample_rate
    return y, rate


# libsndfile's parse log states a data chunk larger than the file as "data : <header> (should be <found>)".
_DATA_CHUNK_LOG = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# Writers that stream to a pipe cannot know the length and write a placeholder this large (or 0xFFFFFFFF).
_UNKNOWN_LENGTH = 0x7FFFF000


def missing_audio_data(path: str | Path) -> tuple[int, int] | None:
    """(bytes of samples its header declares, bytes the file holds) when libsndfile finds an
    audio file shorter than its header says, i.e. cut off; None when it is whole, when the
    header declares a streaming writer's unknown length, or when libsndfile cannot read it."""
    import soundfile as sf

    try:
        with sf.SoundFile(str(path)) as fh:
            log = fh.extra_info
    except (RuntimeError, sf.LibsndfileError):
        return None
    found = _DATA_CHUNK_LOG.search(log)
    if found is None:
        return None
    declared, present = int(found.group(1)), int(found.group(2))
    if declared <= present or declared >= _UNKNOWN_LENGTH:
        return None
    return declared, present


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """`(samples, channels)` float32 waveform at its own sample rate (Hz), without resampling:
    audio files through soundfile (integer PCM scaled by 1/2**(bits-1), as torchvggish reads
    WAVs), anything else through PyAV (its first audio track)."""
    import soundfile as sf

    path = require_file(path, "audio")
    if path.suffix.lower() not in AUDIO_FILE_EXTENSIONS:
        samples, rate = decode_audio_track(path)
        return np.ascontiguousarray(samples.T), rate
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise InputError(path, f"not a readable audio file ({describe(exc)})") from None
    if data.shape[0] == 0:
        raise InputError(path, "the audio file holds no samples")
    return data, int(rate)
