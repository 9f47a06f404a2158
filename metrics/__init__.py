"""Every avbench metric: the classes, their networks and presets, the metric catalogue, the
weights registry, mergeable states, media reading, the content cache and errors.

The ground floor of avbench: it imports no other avbench package. The Python API:

    from avbench.metrics import score_folders, av_align_clip, FVD
    report = score_folders("generated/", "real/", metrics=["fvd", "av_align"])   # one call per job
    clip = av_align_clip("clip.mp4")                       # the video's own audio track
    fvd = FVD(); fvd.update(videos); fvd.update(real_videos, reference=True); fvd.compute()

Names are imported on first use, so `import avbench.metrics.errors` stays light.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "score_folders": "scoring", "score_samples": "scoring", "folder_samples": "scoring", "ScoreReport": "scoring",
    "reference_state": "scoring",
    "make_metric": "catalogue", "metric_names": "catalogue", "metric_class": "catalogue",
    "Metric": "metric", "MetricResult": "metric", "Sample": "metric", "MapContext": "metric",
    "av_align_clip": "av_align", "AVAlign": "av_align", "FVD": "fvd", "FID": "fid", "KID": "kid", "FAD": "fad",
    "InceptionScore": "inception_score", "VideoInceptionScore": "video_inception_score",
    "CLIPScore": "clip_score", "CLIPSIM": "clip_score", "AVSemantic": "av_semantic",
    "AvbenchError": "errors", "InputError": "errors", "WeightsError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
