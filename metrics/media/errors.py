"""One-line reasons for media failures: PyAV's errors, and files that are not there."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def describe(exc: BaseException) -> str:
    """The reason an exception gives, in one line: FFmpeg's own wording for PyAV errors (the
    caller names the file), else the last line of the message, else the exception's type."""
    text = (getattr(exc, "strerror", None) or str(exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def require_file(path: str | Path | None, what: str) -> Path:
    """`path` as a Path; an InputError saying so when it is None or names no file, before any
    decoder reports the absence as something else (OpenCV: "cannot open"; libsndfile: "System
    error"). `what` names the file's role in the message ("video", "audio")."""
    if path is None:
        raise InputError(None, f"no {what} file given (None)")
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    return path
