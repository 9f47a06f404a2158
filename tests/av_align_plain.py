"""A deliberately plain AV-Align, as docs/av-align.md defines it and the official script computes
it: all frames in memory (OpenCV, read until `read()` fails), every formula written out. The
tests compare every clip avbench scores against it."""
from __future__ import annotations

import math

import cv2
import librosa
import numpy as np

from media_fixtures import opencv_frames


def _aligned_like(a):
    raw = np.empty(a.size * 4 + 64, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    return raw[start:start + a.size * 4].view(np.float32).reshape(a.shape)


def plain_signals(video_path, audio_path):
    fps, frames = opencv_frames(video_path)

    def flow(img1, img2):
        g1 = cv2.cvtColor(img1, cv2.COLOR_BGR2GRAY)
        g2 = cv2.cvtColor(img2, cv2.COLOR_BGR2GRAY)
        f = cv2.calcOpticalFlowFarneback(g1, g2, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        # The one deviation from the official call: a 64-byte-aligned output for cv2.magnitude,
        # whose result otherwise depends on numpy's allocation (see metrics/av_align/flow.py).
        mag = _aligned_like(f[..., 0])
        cv2.magnitude(f[..., 0], f[..., 1], mag)
        return cv2.mean(mag)[0]

    traj = [flow(frames[0], frames[1])] + [flow(frames[i - 1], frames[i]) for i in range(1, len(frames))]
    y, sr = librosa.load(str(audio_path))
    env = librosa.onset.onset_strength(y=y, sr=sr)
    audio_peaks = list(librosa.frames_to_time(librosa.onset.onset_detect(onset_envelope=env, sr=sr), sr=sr))
    return traj, fps, audio_peaks


def plain_score(traj, fps, A, preset):
    floor = preset in ("tempotokens-2025", "paper-eq9")
    V = [i / fps for i in range(1, len(traj) - 1)
         if traj[i - 1] < traj[i] > traj[i + 1] and (not floor or traj[i] >= 0.1)]
    if not A and not V:
        return math.nan
    if preset == "tempotokens-2023":
        inter = 0
        for a in A:
            for v in V:
                if v - 1 / fps < a < v + 1 / fps:
                    inter += 1
                    break
        return inter / (len(A) + len(V) - inter)
    used, inter = [False] * len(V), 0
    for a in A:
        for j, v in enumerate(V):
            if not used[j] and v - 1 / fps < a < v + 1 / fps:
                inter += 1
                used[j] = True
                break
    hits_a = sum(1 for a in A if any(v - 1 / fps < a < v + 1 / fps for v in V))
    hits_v = sum(1 for v in V if any(a - 1 / fps < v < a + 1 / fps for a in A))
    if preset == "tempotokens-2025":
        return inter / (len(A) + len(V) - inter)
    if preset == "paper-eq9":
        return (hits_a + hits_v) / (2 * (len(A) + len(V) - inter))
    p1 = hits_a / len(A) if A else 0
    p2 = hits_v / len(V) if V else 0
    return p1 * p2 / (p1 + p2 - p1 * p2) if p1 > 0 or p2 > 0 else 0.0
