"""Canonical feature networks in plain torch; importing this package registers their weights.

`i3d` (FVD), `inception` (FID, KID, IS), `vggish` with `vggish_frontend` (FAD); `tf_same` holds
TensorFlow SAME-padding arithmetic and `loading` strict state-dict loading.
"""
from . import i3d, inception, vggish, vggish_frontend  # noqa: F401  (registers weights)
