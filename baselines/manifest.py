"""`manifest.jsonl`: one JSON line per baseline sample (or failure), appended as each finishes.

A line records what the sample is paired with (source, audio offset and duration in seconds),
what it is (fps as a rational, frames, pixels), how it was made (seed, upstream commit and dirty
flag, checkpoint sha256s, the exact argv, wall seconds) and how it ended (status, error, and
pairing: `exact` when the conditioning segment is known, `approximate` when upstream lost it).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

MANIFEST_JSONL = "manifest.jsonl"
PAIRINGS = ("exact", "approximate")


@dataclass(frozen=True)
class SampleRecord:
    model: str
    dataset: str
    item_id: str
    source_path: str
    audio_offset_s: float | None
    audio_duration_s: float | None
    fps: str | None  # rational, e.g. "30000/1001"
    n_frames: int | None
    height: int | None
    width: int | None
    seed: int | None  # None: the upstream draws unseeded
    upstream_commit: str | None
    upstream_dirty: bool | None
    checkpoint_sha256: dict[str, str]
    checkpoint_verified: dict[str, bool]
    argv: list[str]
    wall_s: float | None
    status: str  # "ok" or "failed"
    error: str | None = None
    pairing: str | None = None
    mode: str = "driver"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in ("ok", "failed"):
            raise ValueError(f"status must be ok or failed, not {self.status!r}")
        if self.status == "ok" and self.pairing not in PAIRINGS:
            raise ValueError(f"a sample's pairing must be one of {PAIRINGS}, not {self.pairing!r}")


def fps_text(fps: Fraction | None) -> str | None:
    return None if fps is None else f"{fps.numerator}/{fps.denominator}"


def append_record(out_dir: Path, record: SampleRecord) -> None:
    """Append one line to `<out_dir>/manifest.jsonl` and flush it to disk."""
    line = json.dumps(asdict(record), sort_keys=True) + "\n"
    with open(Path(out_dir) / MANIFEST_JSONL, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_records(out_dir: Path) -> list[dict[str, Any]]:
    """Every complete line of `<out_dir>/manifest.jsonl` (a last line cut off by a kill is skipped)."""
    path = Path(out_dir) / MANIFEST_JSONL
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
            if line.endswith("\n") and line.strip()]
