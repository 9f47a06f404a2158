"""YAML files avbench reads (benchmark definitions, run configs, model cards, reported numbers):
parsed with `yaml.safe_load` only, and a bad file reported in one line naming it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from avbench.metrics.errors import InputError


def read_yaml_mapping(path: str | Path, what: str) -> dict[str, Any]:
    """The mapping at the top of the YAML file `path`; `what` names the file's role in errors
    (e.g. "benchmark YAML": "not a readable benchmark YAML (...)", "a benchmark YAML must be a mapping")."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(path, f"not a readable {what} ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(path, f"a {what} must be a mapping")
    return data
