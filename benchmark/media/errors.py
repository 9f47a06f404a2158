"""One-line reasons for PyAV failures."""
from __future__ import annotations


def describe(exc: BaseException) -> str:
    """The last line of an exception's message, or its type when it has none."""
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
