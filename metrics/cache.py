"""Content-keyed cache of arrays under `$AVBENCH_CACHE` (default `~/.cache/avbench`).

An entry's key is the sha256 of a JSON description of what produced it: input file content
hashes, the extractor, its parameters and the library versions that can change its output.
Entries are `.npz` files written atomically (temp file + rename), so a killed run loses
nothing and concurrent writers of the same key are harmless (same content).

Every entry also records its own key and a sha256 of its arrays, checked on each read: an entry
that is damaged, or that holds another entry's arrays (a file copied or swapped in), is a miss
(removed, recomputed and written again) reported in one warning line; one without the record
(written by an older avbench) is a silent miss. A cache that cannot be written (read-only, full)
is still read, but no longer written, with one warning line per process.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from contextlib import suppress
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .errors import OutputError
from .fileio import atomic_write, cache_root, make_dirs
from .plugins import warn

_KEY, _DIGEST = "cache:key", "cache:sha256"  # an entry's record of itself, beside its arrays
_unwritable: dict[Path, str] = {}  # cache roots this process cannot write → why
_writable: set[Path] = set()  # cache roots this process has written


def cache_key(description: dict[str, Any]) -> str:
    """sha256 of a canonical JSON form of `description`."""
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()


def content_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """sha256 of arrays' names, dtypes, shapes and bytes (in name order)."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(json.dumps([name, array.dtype.str, list(array.shape)]).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _give_up(root: Path, problem: str) -> None:
    if root not in _unwritable:
        _unwritable[root] = problem
        warn(f"cannot write the cache {root} ({problem}): going on without storing results in it")


def writable(root: str | Path | None = None) -> bool:
    """Whether this process can store entries under the cache root `root` (default
    `cache_root()`): tried once per process; when it cannot, one warning line says so."""
    root = Path(root or cache_root())
    if root not in _writable and root not in _unwritable:
        try:
            with tempfile.TemporaryFile(dir=make_dirs(root)):
                _writable.add(root)
        except OutputError as exc:
            _give_up(root, exc.problem)
        except OSError as exc:
            _give_up(root, exc.strerror or str(exc))
    return root in _writable


class ArrayCache:
    """`get`/`put` of dicts of numpy arrays in a namespace below the cache root."""

    def __init__(self, namespace: str, root: str | Path | None = None, enabled: bool = True):
        self.root = Path(root or cache_root())
        self.dir = self.root / namespace
        self.enabled = enabled

    def path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        """The arrays stored under `key`; None when absent, damaged or not `key`'s own."""
        if not self.enabled:
            return None
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except FileNotFoundError:
            return None
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            return self._miss(path, f"damaged ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
        recorded, digest = arrays.pop(_KEY, None), arrays.pop(_DIGEST, None)
        if recorded is None or digest is None:
            return None  # an older avbench's entry: recomputed and rewritten with its record
        if str(recorded) != key:
            return self._miss(path, f"holds the entry of another key ({str(recorded)[:16]}…)")
        if str(digest) != content_digest(arrays):
            return self._miss(path, "its arrays do not match their recorded sha256")
        return arrays

    @staticmethod
    def _miss(path: Path, problem: str) -> None:
        warn(f"cache entry {path}: {problem}; recomputing it")
        with suppress(OSError):  # gone, so a second reader (a clip worker) finds no entry to warn about
            path.unlink()
        return None

    def put(self, key: str, arrays: dict[str, Any]) -> None:
        """Store `arrays` under `key` with its record; a cache that cannot be written is skipped."""
        if not self.enabled or not writable(self.root):
            return
        arrays = {name: np.asarray(value) for name, value in arrays.items()}
        record = {_KEY: np.str_(key), _DIGEST: np.str_(content_digest(arrays))}
        try:
            with atomic_write(self.path(key), durable=False) as fh:
                np.savez(fh, **arrays, **record)
        except OutputError as exc:  # e.g. the disk filled up during the run
            _writable.discard(self.root)
            _give_up(self.root, exc.problem)
