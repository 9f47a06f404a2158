"""Synthetic clips with known audio and visual events, for the demo, tests and benchmarks.

A visual event at frame k is a sudden shift of a still, blurred-noise texture between frames
k-1 and k, so the flow trajectory peaks at index k (time k / fps). An audio event is a short
decaying noise burst. Audio can be shifted by a number of frames against the video.

For the validity study (`validity_clips`) the same clips also carry distractors: sounds with no
visual event (off-screen), visual events with no sound, continuous periodic sway, brightness
flicker or camera shake, and louder background noise; and each sound can happen anywhere inside
the frame interval in which its visual jump is seen (`event_phase_frames`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import av
import cv2
import numpy as np

from avbench.metrics.fileio import atomic_write, make_dirs
from avbench.metrics.media.edit import write_wav

CODECS = {"h264": "libx264", "mp4v": "mpeg4"}


@dataclass(frozen=True)
class SyntheticClip:
    """Everything that defines one synthetic clip (seconds, frames, Hz, pixels)."""

    name: str
    fps: Fraction = Fraction(24)
    n_frames: int = 48
    width: int = 160
    height: int = 120
    event_frames: tuple[int, ...] = (8, 20, 33, 41)
    video: str = "events"  # "events", "static" or "flicker"
    audio: str = "clicks"  # "clicks" or "silent"
    audio_shift_frames: float = 0.0  # audio events at (k + phase + shift) / fps seconds
    event_phase_frames: tuple[float, ...] = ()  # per event, in (-1, 0]: when in the interval it sounds
    silent_event_frames: tuple[int, ...] = ()  # visual jumps with no sound
    offscreen_sound_times: tuple[float, ...] = ()  # sounds with no visual event (seconds)
    distractor: str = "none"  # "none", "sway" (periodic motion), "flicker" or "shake"
    distractor_amount: float = 0.0  # sway/shake amplitude in px, flicker amplitude in grey levels
    distractor_hz: float = 1.0  # sway frequency
    audio_noise: float = 1e-3  # background noise standard deviation (full scale 1)
    sample_rate: int = 22050
    channels: int = 1
    audio_seconds: float | None = None  # default: the video's duration
    codec: str = "h264"  # "h264" or "mp4v"
    audio_in_container: bool = False  # mux audio into the video (else <name>.wav beside it)
    seed: int = 0
    jump_px: int = 6

    @property
    def duration(self) -> float:
        return float(self.n_frames / self.fps)

    def audio_event_times(self) -> list[float]:
        """Seconds of the audio events that fall inside the audio."""
        if self.audio == "silent":
            return []
        seconds = self.audio_seconds if self.audio_seconds is not None else self.duration
        phases = self.event_phase_frames or (0.0,) * len(self.event_frames)
        times = [float((k + p + self.audio_shift_frames) / self.fps) for k, p in zip(self.event_frames, phases)]
        times += [t + float(self.audio_shift_frames / self.fps) for t in self.offscreen_sound_times]
        return [t for t in sorted(times) if 0 <= t < seconds - 0.02]


def _margin(clip: SyntheticClip) -> int:
    """Texture border wide enough for every event's shift and the distractor's excursion."""
    jumps = len(clip.event_frames) + len(clip.silent_event_frames)
    sway = 0 if clip.distractor not in ("sway", "shake") else int(np.ceil(clip.distractor_amount)) + 2
    return clip.jump_px * (jumps + 1) + sway


def _texture(clip: SyntheticClip, rng: np.random.Generator) -> np.ndarray:
    margin = _margin(clip)
    noise = rng.integers(0, 256, (clip.height + 2 * margin, clip.width + 2 * margin, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 2.0)


def render_frames(clip: SyntheticClip) -> Iterator[np.ndarray]:
    """The clip's frames, `(H, W, 3) uint8` RGB, one at a time (long clips stay small)."""
    rng = np.random.default_rng(clip.seed)
    texture = _texture(clip, rng)
    margin = _margin(clip)
    events = set(clip.event_frames) | set(clip.silent_event_frames)
    shake = np.random.default_rng(clip.seed + 2)
    offset = 0
    for i in range(clip.n_frames):
        if clip.video == "events" and i in events:
            offset += clip.jump_px
        if clip.distractor in ("sway", "shake"):
            frame = _subpixel_crop(texture, clip, margin, offset, *_distractor_offset(clip, i, shake))
        else:
            frame = np.ascontiguousarray(texture[margin:margin + clip.height, offset:offset + clip.width])
        if clip.video == "flicker":
            frame = np.clip(frame.astype(np.int16) + (40 if i % 2 else -40), 0, 255).astype(np.uint8)
        if clip.distractor == "flicker":
            step = clip.distractor_amount if i % 2 else -clip.distractor_amount
            frame = np.clip(frame.astype(np.float32) + step, 0, 255).astype(np.uint8)
        yield frame


def _distractor_offset(clip: SyntheticClip, i: int, rng: np.random.Generator) -> tuple[float, float]:
    """(dx, dy) pixels of frame i: a horizontal sine sway, or uniform random shake."""
    if clip.distractor == "sway":
        return clip.distractor_amount * float(np.sin(2 * np.pi * clip.distractor_hz * i / float(clip.fps))), 0.0
    dx, dy = rng.uniform(-clip.distractor_amount, clip.distractor_amount, 2)
    return float(dx), float(dy)


def _subpixel_crop(texture: np.ndarray, clip: SyntheticClip, margin: int, offset: int, dx: float, dy: float) -> np.ndarray:
    """The (H, W) window of `texture` at the event offset moved by (dx, dy) px, bilinear."""
    centre = (margin + offset + dx + (clip.width - 1) / 2, margin + dy + (clip.height - 1) / 2)
    return cv2.getRectSubPix(texture, (clip.width, clip.height), centre)


def render_audio(clip: SyntheticClip) -> np.ndarray:
    """`(samples, channels) float32` clicks (10 ms decaying noise bursts) at the event times."""
    rng = np.random.default_rng(clip.seed + 1)
    seconds = clip.audio_seconds if clip.audio_seconds is not None else clip.duration
    n = int(round(seconds * clip.sample_rate))
    y = np.zeros(n, dtype=np.float32)
    if clip.audio != "silent":
        y += rng.normal(0, clip.audio_noise, n).astype(np.float32)
        burst_len = int(0.010 * clip.sample_rate)
        burst = (rng.normal(0, 0.5, burst_len) * np.exp(-np.linspace(0, 6, burst_len))).astype(np.float32)
        for t in clip.audio_event_times():
            start = int(round(t * clip.sample_rate))
            stop = min(start + burst_len, n)
            y[start:stop] += burst[:stop - start]
    return np.repeat(y[:, None], clip.channels, axis=1)


def write_clip(clip: SyntheticClip, folder: str | Path) -> tuple[Path, Path | None]:
    """Write `<name>.mp4` (and `<name>.wav` unless the audio is muxed in); returns their paths."""
    folder = make_dirs(folder)
    video_path = folder / f"{clip.name}.mp4"
    audio = render_audio(clip)
    with atomic_write(video_path) as fh:
        _encode(clip, render_frames(clip), audio if clip.audio_in_container else None, fh)
    if clip.audio_in_container:
        return video_path, None
    audio_path = folder / f"{clip.name}.wav"
    write_wav(audio, clip.sample_rate, audio_path)
    return video_path, audio_path


def _encode(clip: SyntheticClip, frames: Iterable[np.ndarray], audio: np.ndarray | None, fh) -> None:
    with av.open(fh, "w", format="mp4") as container:
        stream = container.add_stream(CODECS[clip.codec], rate=clip.fps)
        stream.width, stream.height = clip.width, clip.height
        odd = clip.width % 2 or clip.height % 2
        stream.pix_fmt = "yuv444p" if clip.codec == "h264" and odd else "yuv420p"
        if clip.codec == "h264":
            stream.options = {"crf": "12", "preset": "veryfast"}
        else:
            stream.bit_rate = 4_000_000
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=clip.sample_rate)
            astream.layout = "stereo" if clip.channels == 2 else "mono"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if astream is not None:
            planar = np.ascontiguousarray(audio.T)
            aframe = av.AudioFrame.from_ndarray(planar, format="fltp", layout=astream.layout.name)
            aframe.sample_rate = clip.sample_rate
            for packet in astream.encode(aframe):
                container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)


DEMO_VERSION = "1"


def demo_clips() -> list[SyntheticClip]:
    """The demo set: in sync, audio shifted by 1, 2 and 5 frames, static video, silent audio,
    flicker — each at 24 fps, 2 s."""
    base = SyntheticClip(name="in_sync")
    return [
        base,
        replace(base, name="shift_1_frame", audio_shift_frames=1),
        replace(base, name="shift_2_frames", audio_shift_frames=2),
        replace(base, name="shift_5_frames", audio_shift_frames=5),
        replace(base, name="static_video", video="static"),
        replace(base, name="silent_audio", audio="silent"),
        replace(base, name="flicker_video", video="flicker"),
    ]


VALIDITY_VERSION = "1"
VALIDITY_FPS = (8, 10, 12, 15, 20, 24, Fraction(30000, 1001), 30)
DISTRACTORS = ("none", "none", "sway", "flicker", "shake")


def _spaced_frames(rng: np.random.Generator, n_frames: int, count: int, gap: int, taken: set[int]) -> tuple[int, ...]:
    """Up to `count` frame indices in 2..n_frames-2, at least `gap` frames from each other and
    from `taken` (so flow peaks do not merge)."""
    chosen: list[int] = []
    for k in rng.permutation(np.arange(2, n_frames - 1)):
        if len(chosen) == count:
            break
        if all(abs(int(k) - t) >= gap for t in chosen + sorted(taken)):
            chosen.append(int(k))
    return tuple(sorted(chosen))


def validity_clip(name: str, seed: int) -> SyntheticClip:
    """One random clip of the validity set: 2–4 s at 8–30 fps, 2–7 sounding visual events at
    random frames, each sounding at a random point of its frame interval, and with some
    probability silent visual events, off-screen sounds, a sway/flicker/shake distractor and
    loud background noise."""
    rng = np.random.default_rng(seed)
    fps = VALIDITY_FPS[rng.integers(len(VALIDITY_FPS))]
    n_frames = int(round(float(fps) * rng.uniform(2.0, 4.0)))
    gap = max(3, int(np.ceil(0.2 * float(fps))))
    events = _spaced_frames(rng, n_frames, int(rng.integers(2, 8)), gap, set())
    silent = _spaced_frames(rng, n_frames, int(rng.integers(0, 3)) if rng.random() < 0.4 else 0, gap, set(events))
    duration = n_frames / float(fps)
    n_offscreen = int(rng.integers(1, 3)) if rng.random() < 0.4 else 0
    offscreen = tuple(sorted(float(t) for t in rng.uniform(0.1, duration - 0.1, n_offscreen)))
    distractor = DISTRACTORS[rng.integers(len(DISTRACTORS))]
    amount = {"none": 0.0, "sway": rng.uniform(1.0, 4.0), "flicker": rng.uniform(10.0, 40.0),
              "shake": rng.uniform(0.3, 1.5)}[distractor]
    return SyntheticClip(
        name=name, fps=Fraction(fps), n_frames=n_frames, event_frames=events,
        event_phase_frames=tuple(float(p) for p in -rng.uniform(0.0, 1.0, len(events))),
        silent_event_frames=silent, offscreen_sound_times=offscreen, distractor=distractor,
        distractor_amount=float(amount), distractor_hz=float(rng.uniform(0.7, 3.0)),
        audio_noise=float(10 ** rng.uniform(-3.0, -1.3)), jump_px=int(rng.integers(3, 9)),
        width=128, height=96, seed=seed,
    )


def validity_clips(n: int = 96, seed: int = 0) -> list[SyntheticClip]:
    """The built-in synthetic validity set: `n` random clips (`validity_clip`), reproducible
    from `seed`."""
    return [validity_clip(f"val{seed:02d}_{i:03d}", seed * 100_003 + i) for i in range(n)]
