"""Content hashing and atomic writes shared by the weights registry and the caches."""
from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Iterator

from .errors import OutputError

_CHUNK = 1 << 20
TEMP_SUFFIX = ".tmp"
# `.NAME.<8 random characters>.tmp` (atomic_write, tempfile.mkstemp) or `.NAME.link.tmp` (copy_file)
_TEMP_NAME = re.compile(r"\..+\.(link|[a-z0-9_]{8})" + re.escape(TEMP_SUFFIX))

# Errors that only writing raises: inside an atomic_write block they are the output's fault
# (a full or read-only file system), whatever else the block does (e.g. decode a source).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of avbench's temporary files (`atomic_write`, `copy_file`)."""
    return _TEMP_NAME.fullmatch(name) is not None


def write_error(path: str | Path, exc: OSError) -> OutputError:
    """`exc`, raised while writing `path`, as the one-line OutputError a user sees."""
    return OutputError(path, exc.strerror or str(exc))


def make_dirs(folder: str | Path) -> Path:
    """`folder` and its parents, created where missing; OutputError when that is impossible."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(folder, exc) from None
    return folder


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", durable: bool = True) -> Iterator[IO]:
    """Open a temporary file beside `path`; rename it over `path` only if the block succeeds.

    A reader never sees a half-written file and a killed writer leaves only a stray temp file.
    `durable` also fsyncs the data before the rename, so the file survives a power loss; cache
    entries skip it (a killed process loses nothing without it, and a damaged entry is recomputed).
    A file system that refuses the write (read-only, full, no permission) raises OutputError
    naming `path`. A destination that exists and is no regular file (`/dev/null`, a named pipe) is
    written in place: renaming over it would replace the device or pipe with a file.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        if path.is_dir():
            raise OutputError(path, "is a folder")
        try:
            fh = open(path, mode)
        except OSError as exc:
            raise write_error(path, exc) from None
        with fh:
            yield fh
        return
    make_dirs(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    block_done = False
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            block_done = True
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and (block_done or exc.errno in _WRITE_ERRNOS):
            raise write_error(path, exc) from None
        raise


def cache_root() -> Path:
    """Root of avbench's caches: `$AVBENCH_CACHE`, else `~/.cache/avbench`."""
    return Path(os.environ.get("AVBENCH_CACHE") or Path.home() / ".cache" / "avbench")
