"""One-line reasons for PyAV failures."""
from __future__ import annotations


def describe(exc: BaseException) -> str:
    """The reason an exception gives, in one line: FFmpeg's own wording for PyAV errors (the
    caller names the file), else the last line of the message, else the exception's type."""
    text = (getattr(exc, "strerror", None) or str(exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
