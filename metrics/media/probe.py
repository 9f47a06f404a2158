"""Container probing with PyAV: fps, frame count, duration, size and audio streams.

PyAV is imported where a file is opened: a run whose every clip is cached probes nothing and
loads none of it."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError

from .errors import describe


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int  # stream index in the container
    codec: str
    sample_rate: int  # Hz
    channels: int
    duration: float | None  # seconds


@dataclass(frozen=True)
class MediaInfo:
    """What a container says about itself. None = the container does not say."""

    path: str
    fps: float | None  # average frame rate, frames per second
    fps_rational: str | None  # e.g. "30000/1001"
    n_frames: int | None  # frame count from the container's index
    duration: float | None  # seconds
    width: int | None
    height: int | None
    video_codec: str | None
    audio_streams: list[AudioStreamInfo] = field(default_factory=list)

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def probe(path: str | Path) -> MediaInfo:
    """Probe a media file; InputError when it is not a readable container."""
    import av

    if not Path(path).is_file():
        raise InputError(path, "no such file")
    try:
        with av.open(str(path)) as container:
            audio = [
                AudioStreamInfo(
                    index=s.index, codec=s.codec_context.name, sample_rate=int(s.codec_context.sample_rate or 0),
                    channels=int(s.codec_context.channels or 0), duration=_seconds(s.duration, s.time_base),
                )
                for s in container.streams.audio
            ]
            container_duration = None if container.duration is None else container.duration / av.time_base
            if not container.streams.video:
                return MediaInfo(str(path), None, None, None, container_duration, None, None, None, audio)
            v = container.streams.video[0]
            rate = v.average_rate or v.guessed_rate
            duration = _seconds(v.duration, v.time_base) or container_duration
            return MediaInfo(
                path=str(path),
                fps=float(rate) if rate else None,
                fps_rational=f"{rate.numerator}/{rate.denominator}" if rate else None,
                n_frames=int(v.frames) or None,
                duration=duration,
                width=v.codec_context.width or None,
                height=v.codec_context.height or None,
                video_codec=v.codec_context.name,
                audio_streams=audio,
            )
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, f"not a readable media container ({describe(exc)})") from None


def frame_timestamps(path: str | Path) -> np.ndarray:
    """`(frames,) float64` presentation times (seconds, the first frame at 0) of the first video
    stream's frames, in presentation order, from its packets' timestamps (demuxed, not decoded).
    Empty when the container has no video stream or its packets carry no timestamps; a damaged
    file gives the times of the packets read before the damage."""
    import av

    times: list[Fraction] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return np.zeros(0)
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                # the demuxer's flush packet has no data; a discarded packet is decoded but never shown
                if packet.pts is None or packet.size == 0 or packet.is_discard:
                    continue
                times.append(packet.pts * packet.time_base)
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        pass  # what was read before the damage is what a decoder can show
    if not times:
        return np.zeros(0)
    ordered = sorted(times)
    return np.array([float(t - ordered[0]) for t in ordered], dtype=np.float64)
