"""librosa, loaded once per process under a lock shared by every process on the machine.

librosa compiles some of its functions with numba when their modules are imported
(`guvectorize(..., cache=True)`: `util.utils`, `core.audio`, `core.pitch`) and keeps the code in
numba's on-disk cache. Two processes compiling into one cache at once can write the same entry
file with different code, and from then on every process that loads it crashes with a
segmentation fault, a local run too. Several processes importing librosa at once on a cold
cache is what a Ray node starting its workers does (and a fresh install, or an upgrade of
librosa or numba, leaves the cache cold). So the first import in each process holds a file lock
keyed by where that cache lives: the first process compiles, the others then only read.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import tempfile
from pathlib import Path
from types import ModuleType

COMPILED_ON_IMPORT = ("librosa.util.utils", "librosa.core.audio", "librosa.core.pitch")


@functools.cache
def load_librosa() -> ModuleType:
    """The `librosa` module, its compiled functions loaded (or compiled) holding the lock."""
    from filelock import FileLock

    with FileLock(str(lock_path())):
        for name in COMPILED_ON_IMPORT:
            importlib.import_module(name)
        return importlib.import_module("librosa")


def lock_path() -> Path:
    """The lock of the numba cache librosa's code goes to: `$NUMBA_CACHE_DIR`, else the
    `__pycache__` folders beside librosa's modules (numba's default), named by that place."""
    spec = importlib.util.find_spec("librosa")
    where = os.environ.get("NUMBA_CACHE_DIR") or str(Path(spec.origin).parent if spec and spec.origin else "librosa")
    digest = hashlib.sha256(where.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"avbench-numba-{digest}.lock"
