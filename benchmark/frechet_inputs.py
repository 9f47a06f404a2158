"""Decoding the media files the set metrics (FVD, FID, KID, FAD) read.

Video frames come from PyAV as RGB24 (FFmpeg's decoder and swscale conversion); audio files
from soundfile (integer PCM scaled by 1/2**(bits-1), as torchvggish reads WAVs), and audio
tracks of containers from PyAV. Waveforms are `(samples, channels)` float32 in [-1, 1].

(Stop-gap beside `benchmark.media`, which will take these over.)
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from metrics.errors import InputError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".gif")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


def _one_line(exc: BaseException) -> str:
    """The reason without the file name (the error names the file already)."""
    text = (getattr(exc, "strerror", None) or str(exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def list_media(folder: str | Path) -> tuple[list[Path], list[Path]]:
    """Video files and audio files under `folder` (recursive, sorted by path)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    videos = [p for p in files if p.suffix.lower() in VIDEO_EXTENSIONS]
    audios = [p for p in files if p.suffix.lower() in AUDIO_EXTENSIONS]
    return videos, audios


def iter_video_frames(path: str | Path, stride: int = 1, limit: int | None = None) -> Iterator[np.ndarray]:
    """Frames `(H, W, 3)` uint8 RGB of the first video stream: every `stride`-th frame from frame 0,
    at most `limit` of them."""
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, f"not a readable video ({_one_line(exc)})") from None
    with container:
        if not container.streams.video:
            raise InputError(path, "the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        kept = 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                if index % stride:
                    continue
                yield frame.to_ndarray(format="rgb24")
                kept += 1
                if limit is not None and kept >= limit:
                    return
        except av.FFmpegError as exc:
            raise InputError(path, f"video decoding failed ({_one_line(exc)})") from None


def read_video_frames(path: str | Path, stride: int = 1, limit: int | None = None) -> np.ndarray:
    """`(T, H, W, 3)` uint8 RGB frames (see `iter_video_frames`); a video without frames is an error."""
    frames = list(iter_video_frames(path, stride, limit))
    if not frames:
        raise InputError(path, "the video stream holds no decodable frame")
    return np.stack(frames)


def _read_audio_track(path: Path) -> tuple[np.ndarray, int]:
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, f"not a readable media file ({_one_line(exc)})") from None
    with container:
        if not container.streams.audio:
            raise InputError(path, "the file has no audio stream")
        stream = container.streams.audio[0]
        chunks: list[np.ndarray] = []
        resampler = None
        rate = 0
        try:
            for frame in container.decode(stream):
                if resampler is None:
                    rate = frame.sample_rate
                    # Same rate and layout: only the sample format changes (to planar float).
                    resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=rate)
                chunks.extend(out.to_ndarray() for out in resampler.resample(frame))
            if resampler is not None:
                chunks.extend(out.to_ndarray() for out in resampler.resample(None))
        except av.FFmpegError as exc:
            raise InputError(path, f"audio decoding failed ({_one_line(exc)})") from None
    if not chunks:
        raise InputError(path, "the audio stream holds no samples")
    return np.concatenate(chunks, axis=1).T.astype(np.float32), rate


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """`(samples, channels)` float32 waveform and its sample rate (Hz) of an audio file or of a
    container's first audio track."""
    path = Path(path)
    if path.suffix.lower() in AUDIO_EXTENSIONS:
        import soundfile

        try:
            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise InputError(path, f"not a readable audio file ({_one_line(exc)})") from None
        if data.shape[0] == 0:
            raise InputError(path, "the audio file holds no samples")
        return data, int(rate)
    return _read_audio_track(path)
