"""Imported once by the AV-Align fork server, never by users.

Workers are forked from that server, so whatever it loads they inherit: OpenCV limited to one
thread (one clip per core; Farneback gains nothing from OpenCV threads, and setting this before
any OpenCV call keeps forked children clear of its thread pool) and warmed on a tiny pair, and
PyAV (probing), which the clip code imports where it is used. Workers measure flow only; the
audio is measured in the driver meanwhile, so librosa is not loaded here: the server is ready in
a fraction of a second and the first flow starts at once.
"""
import av  # noqa: F401  (loaded once here rather than in every worker)
import cv2
import numpy as np

from .flow import FlowTrajectory

cv2.setNumThreads(1)

_flow = FlowTrajectory()
for _ in range(2):
    _flow.push(np.zeros((16, 16, 3), np.uint8))
