"""Content-keyed cache of arrays under `$AVBENCH_CACHE` (default `~/.cache/avbench`).

An entry's key is the sha256 of a JSON description of what produced it: input file content
hashes, the extractor, its parameters and the library versions that can change its output.
Entries are `.npz` files written atomically (temp file + rename), so a killed run loses
nothing and concurrent writers of the same key are harmless (same content).
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .fileio import atomic_write, cache_root


def cache_key(description: dict[str, Any]) -> str:
    """sha256 of a canonical JSON form of `description`."""
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()


class ArrayCache:
    """`get`/`put` of dicts of numpy arrays in a namespace below the cache root."""

    def __init__(self, namespace: str, root: str | Path | None = None, enabled: bool = True):
        self.dir = Path(root or cache_root()) / namespace
        self.enabled = enabled

    def path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        if not self.enabled:
            return None
        try:
            with np.load(self.path(key), allow_pickle=False) as npz:
                return {name: npz[name] for name in npz.files}
        except (FileNotFoundError, zipfile.BadZipFile, ValueError, OSError, EOFError):
            return None  # absent or damaged: recompute

    def put(self, key: str, arrays: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with atomic_write(self.path(key), durable=False) as fh:
            np.savez(fh, **arrays)
