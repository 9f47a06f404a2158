"""Every avbench metric: the classes, their networks and presets, the metric catalogue, the
weights registry, mergeable states, media reading, the content cache and errors.

The ground floor of avbench: it imports no other avbench package. The Python API:

    from avbench.metrics import score_folders, av_align_clip, FVD
    report = score_folders("generated/", "real/", metrics=["fvd", "av_align"])   # one call per job
    clip = av_align_clip("clip.mp4")                       # the video's own audio track
    fvd = FVD(); fvd.update(videos); fvd.update(real_videos, reference=True); fvd.compute()

Every built-in metric class is exported under its class name, as `catalogue.BUILTIN` lists it
(a metric added there is importable from here too). Names are imported on first use, so
`import avbench.metrics.errors` stays light.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

# Name → module of the exports that are not metric classes.
_EXPORTS = {
    "score_folders": "scoring", "score_samples": "scoring", "folder_samples": "scoring", "ScoreReport": "scoring",
    "reference_state": "scoring",
    "make_metric": "catalogue", "metric_names": "catalogue", "metric_class": "catalogue",
    "Metric": "metric", "MetricResult": "metric", "Sample": "metric", "MapContext": "metric",
    "av_align_clip": "av_align",
    "AvbenchError": "errors", "InputError": "errors", "WeightsError": "errors",
}


def _metric_classes() -> dict[str, str]:
    """Class name → `module:Class` of every built-in metric (`catalogue.BUILTIN`, read when called)."""
    from .catalogue import BUILTIN

    return {target.rpartition(":")[2]: target for target in BUILTIN.values()}


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return sorted([*_EXPORTS, *_metric_classes()])
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    # Metric classes are capitalised; any other name may be a submodule that `from . import x`
    # asks the package for first, which must not import the catalogue (it may be importing it).
    target = _metric_classes().get(name) if name[:1].isupper() else None
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    return getattr(import_module(f"{__name__}.{module}"), attribute)


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
