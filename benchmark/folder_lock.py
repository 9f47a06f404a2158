"""One writer per output folder: every command that writes a run folder (`run`, `generate`,
`score`, `merge`) holds the folder's lock (`.avbench.lock`, an OS file lock that the kernel drops
when its process dies, even by SIGKILL) for as long as it writes there.

A second command on a folder in use stops at once with one line (a run can take hours: waiting
silently would look like a hang, and an identical command has nothing left to do); a folder
inside the cache that several runs share (the reference clips) is waited for instead. Holding
the lock, a writer first removes the temp files that writers killed mid-write left behind.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from avbench.metrics.errors import AvbenchError
from avbench.metrics.fileio import is_temp_name, make_dirs, write_error

LOCK = ".avbench.lock"


class FolderBusy(AvbenchError):
    """Another process holds the lock of the folder this command would write."""


@contextmanager
def writing(folder: str | Path, wait: bool = False) -> Iterator[Path]:
    """Hold `folder`'s lock (created with its parents where missing) for the block; `wait`:
    wait for another holder to finish instead of raising FolderBusy."""
    from filelock import FileLock, Timeout

    folder = make_dirs(folder)
    lock = FileLock(str(folder / LOCK), timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusy(f"{folder} is in use by another avbench process (it holds {LOCK} there); wait for it "
                         f"to finish, or write to another folder") from None
    except OSError as exc:
        raise write_error(folder, exc) from None
    try:
        remove_stale_temps(folder)
        yield folder
    finally:
        lock.release()


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete avbench's temp files below `folder`, except in subfolders with a lock of their own
    (their writer cleans them); safe only while holding `folder`'s lock. Returns what it removed."""
    removed = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = [d for d in dirs if not (here / d / LOCK).exists()]
        for name in files:
            if is_temp_name(name):
                try:
                    (here / name).unlink()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise write_error(here / name, exc) from None
                removed.append(here / name)
    return removed
