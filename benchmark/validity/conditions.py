"""The audio a clip's video is paired with in the study: its own (synced), shifted, or another clip's.

A shift moves the waveform by a whole number of samples and fills the gap with silence (never
wraps), keeping the length; another clip's audio is cut or padded with silence to this clip's
audio length. Partners are a seeded derangement, so no clip is its own partner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

SYNCED = "synced"
OTHER_AUDIO = "other clip's audio"


@dataclass(frozen=True)
class Condition:
    """`shift` seconds (+ = audio later than the video); `group` names the negative kind the
    summary pools (e.g. "±2 frames"); `partner` the clip whose audio is used, for other-audio."""

    label: str
    group: str
    shift: float = 0.0
    shift_frames: float = 0.0
    partner: str | None = None

    @property
    def synced(self) -> bool:
        return self.group == SYNCED


def _frames_group(k: float) -> str:
    return f"±{k:g} frame" + ("" if k == 1 else "s")


def shift_groups(shift_frames: Sequence[float], shift_seconds: Sequence[float]) -> list[str]:
    """Negative groups in report order: frame shifts, second shifts, other clip's audio."""
    return [_frames_group(k) for k in shift_frames] + [f"±{s:g} s" for s in shift_seconds] + [OTHER_AUDIO]


def conditions(fps: float, shift_frames: Sequence[float], shift_seconds: Sequence[float],
               partner: str | None) -> list[Condition]:
    """The synced condition, then ±k-frame and ±s-second shifts, then another clip's audio
    (if `partner`)."""
    out = [Condition(SYNCED, SYNCED)]
    for k in shift_frames:
        for sign in (1, -1):
            out.append(Condition(f"{sign * k:+g} frames", _frames_group(k), sign * k / fps, sign * k))
    for s in shift_seconds:
        for sign in (1, -1):
            out.append(Condition(f"{sign * s:+g} s", f"±{s:g} s", sign * s, sign * s * fps))
    if partner is not None:
        out.append(Condition(OTHER_AUDIO, OTHER_AUDIO, partner=partner))
    return out


def shifted(waveform: np.ndarray, seconds: float, sample_rate: int) -> np.ndarray:
    """`waveform` delayed by `seconds` (advanced if negative), same length, silence-padded."""
    n = int(round(seconds * sample_rate))
    out = np.zeros_like(waveform)
    if n >= 0:
        out[n:] = waveform[:max(waveform.size - n, 0)]
    else:
        out[:max(waveform.size + n, 0)] = waveform[-n:]
    return out


def fitted(waveform: np.ndarray, length: int) -> np.ndarray:
    """`waveform` cut or silence-padded to `length` samples."""
    out = np.zeros(length, dtype=waveform.dtype)
    out[:min(length, waveform.size)] = waveform[:length]
    return out


def partners(names: Sequence[str], seed: int) -> dict[str, str]:
    """A seeded derangement: each name → a different name whose audio it borrows (empty for
    fewer than 2 names)."""
    if len(names) < 2:
        return {}
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(len(names)))
    # a random cyclic order: each clip borrows from the next one, never itself
    return {names[order[i]]: names[order[(i + 1) % len(order)]] for i in range(len(order))}
