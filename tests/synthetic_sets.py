"""Small generated media sets whose distance from a reference set grows with a drift amount."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import scipy.signal
import soundfile

FPS = 8
SAMPLE_RATE = 16000


def moving_pattern(seed: int, frames: int, height: int, width: int) -> np.ndarray:
    """`(T, H, W, 3)` uint8: a coloured blob gliding over a gradient, different per seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    colour = rng.uniform(60, 255, 3)
    start, velocity = rng.uniform(0, 1, 2) * (height, width), rng.uniform(-2, 2, 2)
    out = np.empty((frames, height, width, 3), dtype=np.float32)
    for t in range(frames):
        cy, cx = start + velocity * t
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (0.2 * height) ** 2))
        out[t] = 40 + 0.5 * xx[..., None] + blob[..., None] * colour
    return np.clip(out, 0, 255).astype(np.uint8)


def drifted(video: np.ndarray, amount: float, seed: int) -> np.ndarray:
    """Brightness shift, colour inversion mix and noise, all growing with `amount` in [0, 1]."""
    rng = np.random.default_rng(seed)
    x = video.astype(np.float32)
    x = (1 - 0.6 * amount) * x + 0.6 * amount * (255 - x) + 60 * amount
    x = x + rng.normal(0, 40 * amount, x.shape)
    return np.clip(x, 0, 255).astype(np.uint8)


def write_video(path: Path, frames: np.ndarray, fps: int = FPS) -> Path:
    """Encode `(T, H, W, 3)` uint8 RGB as MPEG-4 part 2 (near-lossless quality) with PyAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "2"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def tone(seed: int, seconds: float, amount: float) -> np.ndarray:
    """A decaying tone with clicks, different per seed, muffled by a one-pole low-pass whose
    cutoff falls as `amount` grows (0: unfiltered)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = 0.4 * np.sin(2 * np.pi * rng.uniform(300, 900) * t) * np.exp(-((t % 0.5) * 3))
    wave[:: int(SAMPLE_RATE / rng.uniform(3, 8))] += 0.5
    pole = 0.95 * amount
    return scipy.signal.lfilter([1 - pole], [1, -pole], wave).astype(np.float32)


def write_set(folder: Path, seeds, amount: float, frames: int = 16, size=(48, 64), audio_seconds: float = 2.0) -> Path:
    """One video (`<seed>.mp4`) and one 16-bit WAV (`<seed>.wav`) per seed, drifted by `amount`."""
    for seed in seeds:
        video = moving_pattern(seed, frames, *size)
        write_video(folder / f"clip{seed}.mp4", drifted(video, amount, seed + 1000) if amount else video)
        soundfile.write(str(folder / f"clip{seed}.wav"), tone(seed, audio_seconds, amount), SAMPLE_RATE, subtype="PCM_16")
    return folder
