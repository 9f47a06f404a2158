"""Writing media for the control generators: exact copies, video segments, audio segments.

A source that already is the wanted segment is copied byte for byte (a hard link where the
file system allows), so the `real` control scores the dataset's own file; anything else is
cut and written atomically.
"""
from __future__ import annotations

import io
import os
import shutil
from contextlib import suppress
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from ..errors import InputError
from ..fileio import TEMP_SUFFIX, atomic_write, make_dirs

from .audio import load_audio
from .errors import describe


def copy_file(src: str | Path, dst: str | Path) -> None:
    """`dst` becomes a copy of `src`: a hard link when possible, else a byte copy (atomic)."""
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise InputError(src, "no such file")
    if dst.is_file() and os.path.samefile(src, dst):
        return  # already that file (a rerun): rename() of a link over its twin does nothing, leaving the temp link
    tmp = dst.with_name(f".{dst.name}.link{TEMP_SUFFIX}")
    try:
        make_dirs(dst.parent)
        tmp.unlink(missing_ok=True)
        os.link(src, tmp)
        os.replace(tmp, dst)
    except OSError:  # no hard links here (another file system, a read-only one ...): copy
        with suppress(OSError):
            tmp.unlink()
        with open(src, "rb") as fin, atomic_write(dst) as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)


def audio_segment(src: str | Path, start: float, duration: float | None, shift: float = 0.0) -> tuple[np.ndarray, int]:
    """`(samples, channels) float32` of `src` (an audio file or a container's track) at its own
    rate, from `start` seconds for `duration` seconds (None: to the end), delayed by `shift`
    seconds (negative: advanced); time outside the source is silence. Returns (samples, rate)."""
    y, rate = load_audio(src, sample_rate=None, mono=False)
    y = np.atleast_2d(y).T.astype(np.float32, copy=False)  # (samples, channels)
    first = int(round((start - shift) * rate))
    count = y.shape[0] - max(int(round(start * rate)), 0) if duration is None else int(round(duration * rate))
    out = np.zeros((max(count, 0), y.shape[1]), dtype=np.float32)
    lo, hi = max(first, 0), min(first + count, y.shape[0])
    if hi > lo:
        out[lo - first:hi - first] = y[lo:hi]
    return out, rate


def write_wav(samples: np.ndarray, rate: int, dst: str | Path, subtype: str = "PCM_16") -> None:
    """Write `(samples, channels)` (or `(samples,)`) float audio as wav (16-bit PCM by default),
    atomically."""
    encoded = io.BytesIO()  # libsndfile swallows a write error raised in its callback (a full disk)
    sf.write(encoded, samples, rate, subtype=subtype, format="WAV")
    with atomic_write(dst) as fh:
        fh.write(encoded.getbuffer())


def _seek_before(container: av.container.InputContainer, stream: av.VideoStream, start: float) -> bool:
    """Seek to the keyframe at or before `start` seconds (a long source need not be decoded from
    its beginning); False, with the container rewound, when the first frame after the seek is
    later than `start` (a bad index) or the container cannot seek."""
    if start <= 0 or stream.time_base is None:
        return False
    try:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
        first = next(container.decode(stream), None)
        landed = first is not None and first.pts is not None and float(first.pts * stream.time_base) <= start + 1e-6
        container.seek(first.pts if landed else 0, stream=stream, backward=True)
        return landed
    except av.FFmpegError:
        container.seek(0, stream=stream, backward=True)
        return False


def write_video_segment(src: str | Path, dst: str | Path, start: float, duration: float) -> int:
    """Re-encode the frames of `src` whose timestamps fall in [start, start + duration) seconds
    into `dst` (H.264, CRF 12, the source's frame rate and size, no audio). Returns the frame count."""
    try:
        container = av.open(str(src))
        stream = container.streams.video[0]
    except (av.FFmpegError, IndexError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(src, f"cannot read a video from it ({describe(exc) if not isinstance(exc, IndexError) else 'no video stream'})") from None
    rate = stream.average_rate or stream.guessed_rate
    if not rate:
        container.close()
        raise InputError(src, "the container reports no frame rate")
    written = 0
    with container, atomic_write(dst) as fh:
        with av.open(fh, "w", format="mp4") as out:
            ostream = out.add_stream("libx264", rate=Fraction(rate))
            ostream.width, ostream.height = stream.codec_context.width, stream.codec_context.height
            ostream.pix_fmt = "yuv444p" if ostream.width % 2 or ostream.height % 2 else "yuv420p"
            ostream.options = {"crf": "12", "preset": "veryfast"}
            try:
                seeked = _seek_before(container, stream, start)
                for index, frame in enumerate(container.decode(stream)):
                    if frame.pts is None and seeked:
                        raise InputError(src, "a frame has no timestamp: cannot place it after seeking")
                    t = float(frame.pts * stream.time_base) if frame.pts is not None else index / float(rate)
                    if t < start - 1e-6:
                        continue
                    if t >= start + duration - 1e-6:
                        break
                    image = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
                    for packet in ostream.encode(image):
                        out.mux(packet)
                    written += 1
            except av.FFmpegError as exc:
                raise InputError(src, f"video decoding failed ({describe(exc)})") from None
            for packet in ostream.encode():
                out.mux(packet)
    if written == 0:
        Path(dst).unlink(missing_ok=True)
        raise InputError(src, f"no frames between {start:g} s and {start + duration:g} s")
    return written


# Constant quality high enough that compression does not move frame-level metrics noticeably.
H264_OPTIONS = {"crf": "12", "preset": "medium"}


def write_mp4(frames: np.ndarray, path: str | Path, fps: int | Fraction) -> Path:
    """Write `(F, H, W, 3) uint8` RGB frames to `path` (libx264, yuv420p, exactly `fps` frames
    per second, a rational), atomically. H and W must be even (yuv420p)."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected (F, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f"frame size {width}x{height} must be even for yuv420p")
    path = Path(path)
    with atomic_write(path) as fh, av.open(fh, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(H264_OPTIONS)
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path
