"""Loading a feature extractor's registered weights together with the file's sha256, which every
state the extractor fills records as its provenance."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import weights


def load_verified(name: str, path: str | Path | None = None) -> tuple[Any, str, str]:
    """State dict of registered weights `name` (explicit `path` first), the file's sha256, and
    the name of its source for error messages."""
    resolved, digest = weights.resolve_with_sha256(name, path=path)
    return weights.load_file(weights.get_spec(name), resolved), digest, str(resolved)
