"""The `--labels CSV` of `avbench score-files`: each video's class label or caption, by file stem.

Columns: a key — `stem`, `sample_id` or `video` (a path or file name; its stem is used) — and
`label` and/or `text`. A `text` is the caption used verbatim; a `label` goes through the
metric's text template (`"a video of {label}"` by default) and also forms the label set of the
audio-visual class agreement.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from avbench.metrics.csv_files import read_csv
from avbench.metrics.errors import InputError

KEY_COLUMNS = ("stem", "sample_id", "video")


@dataclass(frozen=True)
class ItemText:
    """What a video is compared with: its class `label` and/or its caption `text`."""

    label: str | None
    text: str | None


def read_labels(path: str | Path) -> dict[str, ItemText]:
    """Video stem → `ItemText` from a labels CSV (see the module docstring)."""
    path = Path(path)
    table = read_csv(path, "labels file")
    key = next((c for c in KEY_COLUMNS if c in table.columns), None)
    if key is None or not {"label", "text"} & set(table.columns):
        raise InputError(path, f"labels need a key column ({', '.join(KEY_COLUMNS)}) and a label or text column")
    items: dict[str, ItemText] = {}
    for row in table.rows(nonempty=True):
        raw = row.values[key].strip()
        stem = Path(raw).stem if key == "video" else raw
        label = row.values.get("label", "").strip() or None
        text = row.values.get("text", "").strip() or None
        if not stem or not (label or text):
            raise InputError(path, f"line {row.line}: empty {key} or no label/text")
        if stem in items:
            raise InputError(path, f"line {row.line}: {stem!r} appears twice")
        items[stem] = ItemText(label, text)
    return items


def label_set(items: dict[str, ItemText]) -> list[str]:
    """The distinct labels in file order (the classes of the audio-visual agreement)."""
    return list(dict.fromkeys(item.label for item in items.values() if item.label))
