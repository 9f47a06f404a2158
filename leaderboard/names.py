"""File names the site builds from entry ids and benchmark names."""
from __future__ import annotations

import re


def slug(text: str) -> str:
    """A file-name-safe form of `text`: runs of other characters become '-'."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "x"
