"""Canonical feature networks in plain torch; importing this package registers their weights.

`i3d` (FVD), `inception` (FID, KID, IS), `vggish` with `vggish_frontend` (FAD), `c3d` (video
IS), `clip` (CLIP scores, through transformers), `wav2clip` (audio-visual CLIP-space score);
`tf_same` holds TensorFlow SAME-padding arithmetic and `loading` strict state-dict loading.
"""
from . import c3d, clip, i3d, inception, vggish, vggish_frontend, wav2clip  # noqa: F401  (registers weights)
