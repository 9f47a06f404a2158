"""The model card of a submission (`model_card.yaml`): who made the videos and how.

Only `name` is required; every other field is optional but checked for its type, and an unknown
field is an error (a typo would otherwise vanish silently). `template(results)` pre-fills a card
from a run's results.json.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml

from avbench.benchmark.yaml_files import read_yaml_mapping
from avbench.metrics.errors import InputError

TYPES = ("open", "closed", "api")

def _text(v: Any) -> str:
    if not isinstance(v, (str, int, float)) or isinstance(v, bool) or not str(v).strip():
        raise ValueError("must be non-empty text")
    return str(v).strip()


def _link(v: Any) -> str:
    text = _text(v)
    if not re.match(r"^https?://\S+$", text):
        raise ValueError("must be an http(s) URL")
    return text


def _type(v: Any) -> str:
    if str(v).lower() not in TYPES:
        raise ValueError(f"must be one of {', '.join(TYPES)}")
    return str(v).lower()


def _date(v: Any) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    text = _text(v)
    if not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", text):
        raise ValueError("must be a date YYYY-MM-DD (or YYYY-MM, YYYY)")
    return text


def _positive(kind: type) -> Any:
    def check(v: Any) -> int | float:
        if (isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int))
                or not math.isfinite(v) or v <= 0):
            raise ValueError(f"must be a positive {'integer' if kind is int else 'number'}")
        return v
    return check


def _resolution(v: Any) -> str:
    text = _text(v)
    if not re.match(r"^[1-9]\d*x[1-9]\d*$", text):
        raise ValueError("must be WIDTHxHEIGHT in pixels, e.g. 384x384")
    return text


# field -> (help line, check); a check returns the normalised value or raises ValueError(why).
FIELDS: dict[str, tuple[str, Any]] = {
    "name": ("model name as the leaderboard shows it (required)", _text),
    "link": ("paper or project URL", _link),
    "type": ("open, closed or api", _type),
    "params": ("parameter count, e.g. 1.7B", _text),
    "release_date": ("YYYY-MM-DD", _date),
    "resolution": ("output WIDTHxHEIGHT in pixels", _resolution),
    "fps": ("output frames per second", _positive(float)),
    "frames": ("output frames per video", _positive(int)),
    "duration": ("output seconds per video", _positive(float)),
    "checkpoint": ("checkpoint name or sha256", _text),
    "commit": ("code commit the videos were sampled with", _text),
    "preprocessing": ("prompt or audio preprocessing (e.g. first 2 s, 16 kHz mono)", _text),
    "sampled_by": ("who generated the videos", _text),
    "evaluated_by": ("who ran avbench", _text),
}


def validate_card(data: Any, source: str | Path) -> dict[str, Any]:
    """The card with normalised values; raises InputError naming the first bad field."""
    if not isinstance(data, dict):
        raise InputError(source, "a model card must be a YAML mapping of fields (name: ..., link: ...)")
    unknown = sorted(set(map(str, data)) - set(FIELDS))
    if unknown:
        shown = (name if name.isprintable() else repr(name) for name in unknown)  # one line, whatever the names
        raise InputError(source, f"unknown model card field(s) {', '.join(shown)}; known: {', '.join(FIELDS)}")
    if data.get("name") in (None, ""):
        raise InputError(source, "the model card has no name (field `name` is required)")
    card = {}
    for key, value in data.items():
        if value is None:
            continue
        try:
            card[key] = FIELDS[key][1](value)
        except ValueError as exc:
            raise InputError(source, f"model card field {key}: {exc} (got {reprlib.repr(value)})") from None
    return card


def read_card(path: str | Path) -> dict[str, Any]:
    return validate_card(read_yaml_mapping(path, "model card"), path)


def card_from_run(results: dict[str, Any]) -> dict[str, Any]:
    """What a run's results.json says about the model: its label and output spec."""
    spec = results["model"].get("output_spec") or {}
    card: dict[str, Any] = {"name": results["model"]["label"]}
    if spec.get("width") and spec.get("height"):
        card["resolution"] = f"{spec['width']}x{spec['height']}"
    for key in ("fps", "frames", "duration"):
        if spec.get(key):
            card[key] = spec[key]
    return card


def template(results: dict[str, Any]) -> str:
    """A commented model_card.yaml pre-filled from the run; unknown fields left empty."""
    known = card_from_run(results)
    lines = ["# avbench model card. `name` is required; leave a field empty if unknown."]
    for key, (help_text, _) in FIELDS.items():
        value = known.get(key)
        rendered = "" if value is None else " " + yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        lines.append(f"{key}:{rendered}  # {help_text}")
    return "\n".join(lines) + "\n"
