"""Names built from free text: store entry ids, and the site's file names."""
from __future__ import annotations

import re


def slug(text: str) -> str:
    """A file-name-safe form of `text` (letters, digits, '.', '_', '-', starting with a letter or
    digit, as store entry ids must): runs of other characters become '-'."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._") or "x"
