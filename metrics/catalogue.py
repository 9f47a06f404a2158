"""The metric catalogue: every metric avbench can compute, by name.

Every front end and the Python API (`score_folders`) resolve metric names and check metric
options here and nowhere else. Names are identifiers (`av_align`, `fvd`, ...; a `-` is read as
`_`); each metric names its parameters by preset (`fvd/styleganv`, `tempotokens-2025`, ...).
Other packages add metric classes through the `avbench.metrics` entry-point group.

To add a metric: write its class (a `metric.Metric`: presets, features of one sample, state,
value) in a module of this package and add one line to `BUILTIN`.
"""
from __future__ import annotations

import inspect
from functools import lru_cache
from importlib import import_module
from typing import Any, Mapping, Sequence

from . import plugins
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
def _plugin_classes() -> dict[str, type[Metric]]:
    """Other distributions' metric classes by name (a built-in name wins); an entry that cannot
    be loaded, or names no Metric class, is left out with one warning line."""
    found: dict[str, type[Metric]] = {}
    for entry, cls in plugins.load_group(ENTRY_POINT_GROUP, "metric"):
        if not (isinstance(cls, type) and issubclass(cls, Metric)):
            plugins.warn(plugins.failure(entry, "metric", f"{cls!r} is not a Metric class"))
        elif canonical(entry.name) not in BUILTIN:
            found.setdefault(canonical(entry.name), cls)
    return found


def metric_names() -> list[str]:
    """Every metric name, in report order: the built-in ones, then other distributions'."""
    return [*BUILTIN, *_plugin_classes()]


def metric_class(name: str) -> type[Metric]:
    """The class of metric `name`; an unknown name is an AvbenchError listing the known ones.
    Built-in classes are imported only when asked for (their modules import torch)."""
    key = canonical(name)
    if key in BUILTIN:
        module, _, attribute = BUILTIN[key].partition(":")
        return getattr(import_module(f"{__package__}.{module}"), attribute)
    cls = _plugin_classes().get(key)
    if cls is None:
        raise AvbenchError(f"unknown metric {name!r}; known: {', '.join(metric_names())}")
    return cls


def option_names(cls: type[Metric]) -> set[str] | None:
    """The keyword options the constructor of `cls` takes (its own and those it passes on to its
    base classes through `**kwargs`); None when some constructor takes any keyword."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = list(inspect.signature(init).parameters.values())[1:]  # less `self`
        names |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return names
    return None


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """An AvbenchError naming the options of `options` metric `name` does not take, if any."""
    cls = metric_class(name)
    known = option_names(cls)
    unknown = [key for key in options if known is not None and key not in known]
    if unknown:
        raise AvbenchError(f"metric {cls.name}: unknown option{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(map(repr, unknown))}; its options: {', '.join(sorted(known or ()))}")


def options_by_metric(options: Mapping[str, Any] | None, chosen: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per-metric options (metric name → option → value) under the catalogue's metric names,
    for the metrics `chosen` (canonical names).

    Every chosen name must be a known metric, every name of `options` one of them, and its
    options a mapping of options that metric takes: anything else is an AvbenchError, never an
    option silently left out."""
    for name in chosen:
        metric_class(name)  # an unknown name: the error lists the known ones
    out: dict[str, dict[str, Any]] = {}
    for key, values in (options or {}).items():
        if not isinstance(values, Mapping):
            raise AvbenchError(f"metric option {key}={values!r} is not METRIC.KEY=VALUE (e.g. av_align.fps=12)")
        name = canonical(key)
        if name not in metric_names():
            raise AvbenchError(f"options for unknown metric {key!r}; known: {', '.join(metric_names())}")
        if name not in chosen:
            raise AvbenchError(f"options for metric {name}, which is not among the metrics "
                               f"{', '.join(chosen) or '(none)'}: {dict(values)}")
        merged = out.setdefault(name, {})
        twice = [k for k in values if k in merged and merged[k] != values[k]]
        if twice:
            raise AvbenchError(f"metric {name}: option {twice[0]!r} given twice with different values")
        merged.update(values)
        check_options(name, merged)
    return out


def make_metric(name: str, preset: Any = None, **options: Any) -> Metric:
    """Metric `name` under `preset` (default: its default preset) with its options; an option it
    does not take is an AvbenchError naming it."""
    check_options(name, options)
    cls = metric_class(name)
    try:
        return cls(preset, **options)
    except TypeError as exc:  # e.g. an option given twice over (a network object and its wrapper)
        raise AvbenchError(f"metric {cls.name}: {exc}") from None


def metric_of_preset(preset: str) -> str | None:
    """The name of the metric that has a preset called `preset`, if any."""
    return next((name for name in metric_names() if preset in metric_class(name).presets()), None)


def summary(name: str) -> str:
    """One line on metric `name`: the first line of its class docstring."""
    doc = (metric_class(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
