"""Imported once by the AV-Align fork server, never by users.

Workers are forked from that server, so whatever it loads they inherit: OpenCV limited to one
thread (one clip per core; Farneback gains nothing from OpenCV threads, and setting this before
any OpenCV call keeps forked children clear of its thread pool), and librosa's lazily imported
submodules and numba kernels, warmed on a tiny input so no worker pays for them per clip, and
PyAV (probing, audio tracks), which the clip code imports where it is used.
"""
import av  # noqa: F401  (loaded once here rather than in every worker)
import cv2
import numpy as np

from .presets import OnsetParams
from .flow import FlowTrajectory
from .onsets import conform_waveform, onset_envelope

cv2.setNumThreads(1)

_params = OnsetParams()
onset_envelope(conform_waveform(np.random.default_rng(0).normal(0, 0.1, 4000).astype(np.float32), 16000, _params), _params)
_flow = FlowTrajectory()
for _ in range(2):
    _flow.push(np.zeros((16, 16, 3), np.uint8))
