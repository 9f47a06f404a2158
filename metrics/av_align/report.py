"""The records `avbench av-align` writes: JSON (one preset) and CSV (one row per clip).

Every clip is named by its sample id (one video may be listed several times, e.g. against
different audio) and carries its files as separate fields, and a scored clip its named warnings
(`clip_checks`: a list in JSON, one " | "-separated cell in CSV).
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from ..fileio import atomic_write
from ..metric import MetricResult
from ..versions import library_versions
from .clip import ClipResult
from .lags import OffsetEstimate


@dataclass(frozen=True)
class ClipFailure:
    """A clip that could not be scored: its sample id, its files (`audio` "" = the video's own
    track) and the one-line reason."""

    sample_id: str
    video: str
    audio: str
    error: str

    def record(self) -> dict:
        return {"sample_id": self.sample_id, "video": self.video, "audio": self.audio, "error": self.error}


def offset_record(estimate: OffsetEstimate) -> dict:
    """`{"offset_s", "offset_frames", "score", "confidence"}` of one clip (None where undefined)."""
    values = {"offset_s": estimate.offset, "offset_frames": estimate.offset_frames, "score": estimate.score,
              "confidence": estimate.confidence}
    return {k: None if math.isnan(v) else v for k, v in values.items()}


def run_record(summary: MetricResult, parameters: dict, results: Mapping[str, ClipResult],
               failures: Sequence[ClipFailure], offsets: Mapping[str, OffsetEstimate] | None = None,
               max_offset: float | None = None) -> dict:
    """`{"preset", "parameters", "mean", "n", "n_undefined", "n_warned", "n_failed", "ci95", "clips",
    "failures"}` plus the bootstrap settings and library versions the numbers depend on.
    `results` and `offsets` are by sample id; each clip record starts with its `"sample_id"`
    and, with `offsets`, carries its `"offset"` (and the record the sweep range)."""
    clips = []
    for sample_id, r in results.items():
        clip = {"sample_id": sample_id, **r.record(), "decoder": r.signals.decoder}
        if offsets is not None:
            clip["offset"] = offset_record(offsets[sample_id])
        clips.append(clip)
    record = {
        "preset": summary.preset,
        "parameters": {k: v for k, v in parameters.items() if k != "bootstrap"},
        "mean": None if math.isnan(summary.value) else summary.value,
        "n": summary.n,
        "n_undefined": summary.details["n_undefined"],
        "n_warned": summary.details["n_warned"],
        "n_failed": len(failures),
        "ci95": None if summary.ci95 is None else list(summary.ci95),
        "bootstrap": summary.details["bootstrap"],
        "versions": library_versions(),
        "clips": clips,
        "failures": [f.record() for f in failures],
    }
    if offsets is not None:
        record["offset_sweep"] = {"max_offset_s": max_offset, "step_frames": 0.25,
                                  "sign": "positive = audio later than video"}
    return record


def write_json(record: dict, path: str | Path) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")


CSV_COLUMNS = ("sample_id", "video", "audio", "preset", "fps", "n_frames", "n_audio_peaks", "n_video_peaks", "score",
               "warnings", "error")
WARNING_SEPARATOR = " | "  # between a clip's warnings in its CSV cell (no warning holds it)
OFFSET_COLUMNS = ("offset_s", "offset_frames", "offset_score", "offset_confidence")


def write_csv(results: Mapping[str, ClipResult], failures: Sequence[ClipFailure], preset: str, path: str | Path,
              offsets: Mapping[str, OffsetEstimate] | None = None) -> None:
    """One row per clip (`results` and `offsets` by sample id); failed clips carry their error
    and no score, scored ones their warnings; with `offsets`, the estimated audio offset columns too."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS + (OFFSET_COLUMNS if offsets is not None else ()))
    writer.writeheader()
    for sample_id, r in results.items():
        row = {"sample_id": sample_id, "video": r.video, "audio": r.audio, "preset": preset, "fps": repr(r.fps),
               "n_frames": r.n_frames, "n_audio_peaks": len(r.audio_peaks),
               "n_video_peaks": len(r.video_peaks), "score": "" if r.undefined else repr(r.score),
               "warnings": WARNING_SEPARATOR.join(r.warnings), "error": ""}
        if offsets is not None:
            values = offset_record(offsets[sample_id])
            row.update({column: "" if values[key] is None else repr(values[key])
                        for column, key in zip(OFFSET_COLUMNS, ("offset_s", "offset_frames", "score", "confidence"))})
        writer.writerow(row)
    for failure in failures:
        writer.writerow({**failure.record(), "preset": preset})
    with atomic_write(path, "w") as fh:
        fh.write(buf.getvalue())
