"""The metric catalogue: every metric an avbench front end can compute, by name.

`avbench score`, `avbench score-files`, `avbench stats`, `avbench validity`, `avbench merge`, the
leaderboard's verification and the Python API (`score_folders`) resolve metric names here and
nowhere else. Names are identifiers (`av_align`, `fvd`, ...; a `-` is read as `_`); each metric
names its parameters by preset (`fvd/styleganv`, `tempotokens-2025`, ...). Another distribution
adds a metric class through the `avbench.metrics` entry-point group.

To add a metric: write its class (a `metric.Metric`: presets, features of one sample, state,
value) in a module of this package and add one line to `BUILTIN`.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from .errors import AvbenchError
from .metric import Metric

# name → class, in the order reports list metrics: alignment, then quality, then text.
BUILTIN = {
    "av_align": "av_align.metric:AVAlign",
    "fvd": "fvd:FVD",
    "fid": "fid:FID",
    "kid": "kid:KID",
    "fad": "fad:FAD",
    "is": "inception_score:InceptionScore",
    "isv": "video_inception_score:VideoInceptionScore",
    "clipsim": "clip_score:CLIPSIM",
    "clipscore": "clip_score:CLIPScore",
    "av_semantic": "av_semantic:AVSemantic",
}
ENTRY_POINT_GROUP = "avbench.metrics"


def canonical(name: str) -> str:
    """The catalogue's spelling of a metric name (`av-align` → `av_align`)."""
    return name.strip().replace("-", "_")


@lru_cache(maxsize=1)
def _declared() -> dict[str, str]:
    """Name → `module:Class` of every metric: the built-in ones, then other distributions'."""
    found = {name: f"{__package__}.{target}" for name, target in BUILTIN.items()}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(canonical(entry.name), entry.value)
    return found


def metric_names() -> list[str]:
    """Every metric name, in report order."""
    return list(_declared())


def metric_class(name: str) -> type[Metric]:
    """The class of metric `name`; an unknown name is an AvbenchError listing the known ones."""
    target = _declared().get(canonical(name))
    if target is None:
        raise AvbenchError(f"unknown metric {name!r}; known: {', '.join(metric_names())}")
    module, _, attribute = target.partition(":")
    return getattr(import_module(module), attribute)


def make_metric(name: str, preset: Any = None, **options: Any) -> Metric:
    """Metric `name` under `preset` (default: its default preset) with its options."""
    cls = metric_class(name)
    try:
        return cls(preset, **options)
    except TypeError as exc:
        raise AvbenchError(f"metric {cls.name}: bad options {sorted(options)} ({exc})") from None


def metric_of_preset(preset: str) -> str | None:
    """The name of the metric that has a preset called `preset`, if any."""
    return next((name for name in metric_names() if preset in metric_class(name).presets()), None)


def summary(name: str) -> str:
    """One line on metric `name`: the first line of its class docstring."""
    doc = (metric_class(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
