"""Canonical feature networks in plain torch, one module each.

`i3d` (FVD), `inception` (FID, KID, IS), `vggish` with `vggish_frontend` (FAD), `c3d` (video
IS), `clip` (CLIP scores, through transformers), `wav2clip` (audio-visual CLIP-space score);
`tf_same` holds TensorFlow SAME-padding arithmetic and `loading` strict state-dict loading. Their
weight files are in the weights registry (`metrics/weights.yaml`).
"""
