"""YAML files avbench reads (benchmark definitions, run configs, model cards, reported numbers):
parsed with `yaml.safe_load` only, checked against their JSON Schema (`schemas/`) where one is
given, and a bad file reported in one line naming it and the key."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from avbench.metrics.errors import InputError

SCHEMAS = Path(__file__).resolve().parent / "schemas"
# How a message names a JSON type to someone who wrote YAML.
TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
              "number": "a number", "boolean": "true or false", "null": "empty"}


def read_yaml_mapping(path: str | Path, what: str, schema: str | None = None) -> dict[str, Any]:
    """The mapping at the top of the YAML file `path`; `what` names the file's role in errors
    (e.g. "benchmark YAML": "not a readable benchmark YAML (...)", "a benchmark YAML must be a
    mapping"); `schema`: the file name under `schemas/` the mapping must conform to."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(path, f"not a readable {what} ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(path, f"a {what} must be a mapping")
    problem = None if schema is None else schema_problem(data, schema)
    if problem is not None:
        raise InputError(path, problem)
    return data


@lru_cache(maxsize=None)
def _validator(schema: str) -> Any:
    """A validator of `schemas/<schema>` that resolves references to the other schemas there by
    their `$id`, and takes only finite numbers and true integers (YAML's .nan, .inf, 1.0 and
    booleans are none; a seed of 1.0 would seed differently from 1)."""
    import jsonschema
    from referencing import Registry, Resource

    resources = [Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))) for p in SCHEMAS.glob("*.json")]
    registry = Registry().with_resources((r.id(), r) for r in resources)
    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine_many({
        "integer": lambda _, v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda _, v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
    })
    validator = jsonschema.validators.extend(base, type_checker=checker)
    return validator(json.loads((SCHEMAS / schema).read_text(encoding="utf-8")), registry=registry)


def _shown(value: Any) -> str:
    """`value` as a short one-line text, in YAML's flow spelling where JSON has one."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # keys JSON cannot spell, a recursive structure
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key_path(keys: Any) -> str:
    """`models[0].output.fps`: the keys leading to a value (list positions in brackets, a key
    that is not plain printable text quoted in brackets, so the message stays one line)."""
    text = ""
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool):
            text += f"[{key}]"
        elif isinstance(key, str) and key.isprintable() and key and "." not in key:
            text += f".{key}"
        else:
            text += f"[{key!r}]"
    return text.lstrip(".")


def schema_problem(data: Any, schema: str) -> str | None:
    """The most relevant way `data` violates `schemas/<schema>`, as one line `key.path: problem`,
    or None when it conforms."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(schema).iter_errors(data))
    if error is None:
        return None
    where = _key_path(error.absolute_path)
    if error.validator == "type":
        types = [error.validator_value] if isinstance(error.validator_value, str) else list(error.validator_value)
        words = [TYPE_WORDS[t] for t in types]
        wanted = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        message = f"must be {wanted}, got {_shown(error.instance)}"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        unknown = [str(k) for k in error.instance if k not in known]
        message = f"unknown key(s) {', '.join(map(repr, unknown))}" + (f"; known: {', '.join(known)}" if known else "")
    else:
        message = error.message
    return f"{where}: {message}" if where else message
