"""Download one registered weight file over HTTP(S): resumable, verified, moved into place whole.

The bytes go to `<file>.part` beside the destination; an interrupted download leaves that part,
and the next attempt asks the server for the rest with an HTTP Range request (a server that
ignores it sends the whole file, which then replaces the part). The finished part is checked
against the registered sha256 (or the torch.hub name's hash prefix) before it is renamed over the
destination, so a reader never sees a partial or wrong file; a part that fails the check is
deleted. A file lock beside the destination keeps two processes from writing the same part.
"""
from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from .errors import WeightsError
from .fileio import make_dirs, write_error

_CHUNK = 1 << 20
_TIMEOUT_S = 60


def part_path(dest: Path) -> Path:
    """Where the bytes of `dest` accumulate until they are verified: `<dest>.part`."""
    return dest.with_name(dest.name + ".part")


def fetch(spec, dest: Path, progress: bool | None = None) -> str:
    """Download `spec.url` to `dest` (resuming `<dest>.part`), verify it and rename it into place;
    returns the file's sha256. `progress`: a tqdm bar on stderr (None: only on a terminal).
    A network error is a WeightsError naming the URL (the part is kept for the next attempt)."""
    from filelock import FileLock

    from .weights import verify

    make_dirs(dest.parent)
    part = part_path(dest)
    with FileLock(str(dest.with_name(dest.name + ".lock"))):
        _download_part(spec.url, part, spec.name, progress)
        try:
            digest = verify(spec, part)
        except WeightsError as exc:
            part.unlink(missing_ok=True)  # wrong bytes: resuming them would never give the file
            raise WeightsError(f"{spec.url}: download refused and deleted: {exc}") from None
        try:
            os.replace(part, dest)
        except OSError as exc:
            raise write_error(dest, exc) from None
    return digest


def _download_part(url: str, part: Path, label: str, progress: bool | None) -> None:
    """Append the rest of `url` to `part` (all of it when the part is empty or the server ignores
    the Range request)."""
    from tqdm import tqdm

    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left after `have` bytes: the part is whole (verify says)
            return
        raise WeightsError(f"{url}: download failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise WeightsError(f"{url}: download failed: {getattr(exc, 'reason', exc)}") from None
    with response:
        resumed = have > 0 and response.status == 206
        start = have if resumed else 0
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        try:
            with open(part, "ab" if resumed else "wb") as out, tqdm(
                    total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                    disable=None if progress is None else not progress, leave=False) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
            if total is not None and part.stat().st_size < total:
                raise ConnectionError(f"the server closed the connection before byte {total}")
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            raise WeightsError(f"{url}: download interrupted after {part.stat().st_size} bytes "
                               f"({getattr(exc, 'reason', exc)}); run the command again to resume") from None
        except OSError as exc:
            raise write_error(part, exc) from None
