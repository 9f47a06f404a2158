"""A file system that refuses writes, for the fault tests (tests/test_malformed_runs.py): put this
folder on a subprocess's PYTHONPATH and set

    AVBENCH_FAULT_DIR    the folder whose files cannot be written (its whole tree)
    AVBENCH_FAULT_ERRNO  EROFS (read-only: nothing is created, replaced, linked or removed there)
                         or ENOSPC (full: nothing new is written; removing and renaming still work)
    AVBENCH_FAULT_AFTER  how many files (or folders) the process may still create or open for writing
                         there before the refusals start (default 0)

or AVBENCH_FAULT_FSIZE=<bytes>: no file of the process (and its children) grows past that size, a
write beyond it fails with EFBIG ("File too large"), as the kernel does (RLIMIT_FSIZE, SIGXFSZ
ignored): a write refused halfway through a file.

Tests run as root, where a read-only permission does not stop a write, so the refusals are
simulated at the os-level calls every writer goes through (os.open, open, os.mkdir, renames).
"""
from __future__ import annotations

import builtins
import errno
import io
import os
import resource
import signal

_FOLDER = os.environ.get("AVBENCH_FAULT_DIR")


def _install(folder: str, code: int, allowed: int) -> None:
    root = os.path.realpath(folder)
    budget = [allowed]
    real = {name: getattr(os, name) for name in ("open", "mkdir", "replace", "rename", "link", "unlink", "remove", "rmdir")}
    real_open = io.open
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def inside(path) -> bool:
        if isinstance(path, int):
            return False
        full = os.path.realpath(os.fsdecode(path))
        return full == root or full.startswith(root + os.sep)

    def refuse(path) -> None:
        raise OSError(code, os.strerror(code), os.fsdecode(path))

    def opening(path) -> None:
        if inside(path):
            if budget[0] <= 0:
                refuse(path)
            budget[0] -= 1

    def os_open(path, flags, *args, **kwargs):
        if flags & write_flags and kwargs.get("dir_fd") is None:
            opening(path)
        return real["open"](path, flags, *args, **kwargs)

    def io_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            opening(file)
        return real_open(file, mode, *args, **kwargs)

    def mkdir(path, *args, **kwargs):
        if not os.path.exists(path):
            opening(path)
        return real["mkdir"](path, *args, **kwargs)

    def guarded(name):
        def call(*args, **kwargs):
            paths = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
            if name in ("unlink", "remove", "rmdir") and paths and not os.path.lexists(paths[0]):
                return real[name](*args, **kwargs)  # FileNotFoundError, as a real file system says first
            if any(inside(p) for p in paths):
                refuse(paths[-1])
            return real[name](*args, **kwargs)
        return call

    os.open, os.mkdir = os_open, mkdir
    builtins.open = io.open = io_open
    if code == errno.EROFS:
        for name in ("replace", "rename", "link", "unlink", "remove", "rmdir"):
            setattr(os, name, guarded(name))


if os.environ.get("AVBENCH_FAULT_FSIZE"):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(os.environ["AVBENCH_FAULT_FSIZE"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
if _FOLDER:
    _install(_FOLDER, getattr(errno, os.environ.get("AVBENCH_FAULT_ERRNO", "EROFS")),
             int(os.environ.get("AVBENCH_FAULT_AFTER", "0")))
