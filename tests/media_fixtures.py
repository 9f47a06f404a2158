"""Builders of broken or unusual media files for the tests (each returns the path it wrote)."""
from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import soundfile as sf

from avbench.benchmark.synthetic import SyntheticClip, render_audio, render_frames, write_clip


def opencv_frames(path: Path) -> tuple[float, list[np.ndarray]]:
    """The container's fps and every BGR frame, read with cv2.VideoCapture as the official
    av_align.py reads them (all in memory: for plain references in tests only)."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return fps, frames


def truncated_mp4(folder: Path, faststart: bool, n_frames: int = 48) -> Path:
    """A valid clip of `n_frames` frames cut to 60% of its bytes: with the index at the end
    (PyAV's default) or at the start (faststart, so the index lists frames whose data is gone)."""
    clip = SyntheticClip(name=f"truncated_{'faststart' if faststart else 'plain'}", n_frames=n_frames)
    path = folder / f"{clip.name}.mp4"
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream("mpeg4", rate=clip.fps)
        stream.width, stream.height, stream.pix_fmt = clip.width, clip.height, "yuv420p"
        stream.bit_rate = 4_000_000
        for frame in render_frames(clip):
            for p in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(p)
        for p in stream.encode():
            container.mux(p)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    sf.write(folder / f"{clip.name}.wav", render_audio(clip), clip.sample_rate, subtype="PCM_16")
    return path


def zero_fps_mp4(folder: Path) -> Path:
    """An mp4 whose sample durations and track durations are all 0: the container reports no
    frame rate (OpenCV's fallback would invent one from the time base)."""
    video, _ = write_clip(SyntheticClip(name="zero_fps", codec="mp4v", n_frames=12), folder)
    data = bytearray(video.read_bytes())
    stts = data.find(b"stts")
    for k in range(struct.unpack(">I", data[stts + 8:stts + 12])[0]):
        off = stts + 12 + 8 * k
        data[off + 4:off + 8] = struct.pack(">I", 0)
    for box, off in ((b"mdhd", 20), (b"mvhd", 20), (b"tkhd", 24)):
        at = data.find(box)
        data[at + off:at + off + 4] = struct.pack(">I", 0)
    video.write_bytes(bytes(data))
    return video


def vfr_mp4(folder: Path, seconds: int = 2) -> tuple[Path, Path]:
    """A variable-frame-rate clip and its constant-rate source, each with a wav beside it (the
    same audio): `seconds` rendered at 48 fps, of which the VFR clip keeps every frame of the
    first half and every third of the second, each with its own timestamp (explicit pts), so its
    sounds and motions line up in time but not in frame index / average fps."""
    n = 48 * seconds
    clip = SyntheticClip(name="cfr", fps=Fraction(48), n_frames=n, event_frames=(16, 40, 66, 82) + tuple(range(112, n - 8, 25)))
    cfr, wav = write_clip(clip, folder)
    vfr = folder / "vfr.mp4"
    with av.open(str(vfr), "w") as container:
        stream = container.add_stream("libx264", rate=clip.fps)
        stream.width, stream.height, stream.pix_fmt = clip.width, clip.height, "yuv420p"
        stream.codec_context.time_base = 1 / clip.fps
        for i, frame in enumerate(render_frames(clip)):
            if i < n // 2 or i % 3 == 0:
                out = av.VideoFrame.from_ndarray(frame, format="rgb24")
                out.pts, out.time_base = i, 1 / clip.fps
                for p in stream.encode(out):
                    container.mux(p)
        for p in stream.encode():
            container.mux(p)
    (folder / "vfr.wav").write_bytes(wav.read_bytes())
    return vfr, cfr


def encoded_clip(folder: Path, clip: SyntheticClip, codec: str, options: dict[str, str], suffix: str = ".mp4") -> Path:
    """`clip`'s frames encoded with PyAV's `codec` and encoder `options` (e.g. a short or open
    GOP, B-frames) into `<name><suffix>`, with its wav beside it."""
    path = folder / f"{clip.name}{suffix}"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=clip.fps)
        stream.width, stream.height, stream.pix_fmt = clip.width, clip.height, "yuv420p"
        stream.options = options
        for frame in render_frames(clip):
            for p in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(p)
        for p in stream.encode():
            container.mux(p)
    sf.write(folder / f"{clip.name}.wav", render_audio(clip), clip.sample_rate, subtype="PCM_16")
    return path
