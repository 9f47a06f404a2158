"""Reading an untrusted zip: every member checked before any byte is written, then extracted
only into a folder we created, as plain files.

Refused: absolute paths, `..`, backslashes, control characters, empty or over-long path parts,
duplicate names (also names that differ only in case), a name that is both a file and a folder
(`a` and `a/b`), symlinks and every other non-regular member (the Unix mode in
`external_attr`), encrypted members, more members than `max_members`, a member larger than its
limit, a total above `max_total_bytes`, and a compression ratio above `max_ratio` (zip bombs).
Sizes are enforced again while copying, so a header that lies about its size gains nothing.
"""
from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from avbench.metrics.errors import InputError

_CHUNK = 1 << 20
_NAME_MAX = 255  # bytes in one path part (Linux, macOS and Windows file systems)


@dataclass(frozen=True)
class Limits:
    """Size limits in bytes; media members (`media_prefix`) have their own per-member limit."""

    max_member_bytes: int = 256 << 20
    max_media_bytes: int = 1 << 30
    max_total_bytes: int = 64 << 30
    max_members: int = 200_000
    max_ratio: float = 200.0
    media_prefix: str = "media/"


def _check_name(name: str) -> str | None:
    """Why `name` is not a safe relative member path (None: it is)."""
    if not name:
        return "an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "a control character in its name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if "\\" in name:
        return "a backslash in its path"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "a '..' path part (path traversal)"
    if any(p in ("", ".") for p in parts):
        return "an empty or '.' path part"
    if any(len(p.encode("utf-8", "surrogatepass")) > _NAME_MAX for p in parts):
        return f"a path part longer than {_NAME_MAX} bytes"
    return None


def _check_kind(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.is_dir():
        return None
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        kind = "a symlink" if stat.S_ISLNK(mode) else f"not a regular file (mode {oct(stat.S_IFMT(mode))})"
        return kind
    return None


def check_members(zf: zipfile.ZipFile, source: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The archive's file members, after every check above (raises InputError naming the member)."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise InputError(source, f"{len(infos)} members, more than the limit of {limits.max_members}")
    seen: set[str] = set()
    files_seen: dict[str, str] = {}  # casefolded name -> name, of the file members
    folders: set[str] = set()  # casefolded: directory members and the folders every member lies in
    total = 0
    files = []
    for info in infos:
        name = info.filename
        why = _check_name(name) or _check_kind(info)
        if why:
            raise InputError(source, f"member {name!r} is refused: {why}")
        if name.casefold() in seen:
            raise InputError(source, f"member {name!r} appears twice")
        seen.add(name.casefold())
        parts = name.rstrip("/").casefold().split("/")
        here, parents = "/".join(parts), ["/".join(parts[:k]) for k in range(1, len(parts))]
        clash = next((files_seen[p] for p in parents if p in files_seen), None)
        if clash is None and (here in files_seen if info.is_dir() else here in folders):
            clash = name.rstrip("/")
        if clash is not None:  # extracting both would fail half-way (a file where a folder must go)
            raise InputError(source, f"member {name!r} is refused: {clash!r} is both a file and a folder in the archive")
        folders.update(parents)
        if info.is_dir():
            folders.add(here)
            continue
        files_seen[here] = name
        limit = limits.max_media_bytes if name.startswith(limits.media_prefix) else limits.max_member_bytes
        if info.file_size > limit:
            raise InputError(source, f"member {name!r} is {info.file_size} bytes, over the limit of {limit}")
        if info.file_size > (1 << 20) and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise InputError(source, f"member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f}x, "
                                     f"over the ratio limit of {limits.max_ratio:.0f} (zip bomb?)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(source, f"members total more than the limit of {limits.max_total_bytes} bytes")
        files.append(info)
    return files


def safe_extract(archive: str | Path, dest: Path, limits: Limits = Limits()) -> list[str]:
    """Extract the checked members of `archive` into the (existing, empty) folder `dest`;
    returns the member names. Nothing is written unless every member passes the checks."""
    source = str(archive)
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(source, f"not a readable zip archive ({exc})") from None
    root = dest.resolve()
    with zf:
        files = check_members(zf, source, limits)
        for info in files:
            target = (root / info.filename).resolve()
            if root not in target.parents:
                raise InputError(source, f"member {info.filename!r} would land outside the extraction folder")
            written = 0
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "xb") as dst:
                    for chunk in iter(lambda: src.read(_CHUNK), b""):
                        written += len(chunk)
                        if written > info.file_size:
                            raise InputError(source, f"member {info.filename!r} holds more bytes than its header says")
                        dst.write(chunk)
            except (zipfile.BadZipFile, EOFError) as exc:  # bad CRC, truncated data
                raise InputError(source, f"member {info.filename!r} cannot be read ({exc})") from None
            except OSError as exc:  # strerror only: the message must not name our temporary folder
                raise InputError(source, f"member {info.filename!r} cannot be written ({exc.strerror})") from None
    return [info.filename for info in files]
