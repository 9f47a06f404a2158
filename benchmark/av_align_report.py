"""The records `avbench av-align` writes: JSON (one variant), CSV (one row per clip), plots."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from metrics.av_align import AVAlignConfig, AVAlignSummary, ClipResult
from metrics.fileio import atomic_write

from .versions import library_versions


def run_record(config: AVAlignConfig, summary: AVAlignSummary, results: list[ClipResult],
               failures: dict[str, str], fps_override: float | None) -> dict:
    """`{"variant", "config", "mean", "n", "n_undefined", "n_failed", "ci95", "clips",
    "failures"}` plus the bootstrap settings and library versions the numbers depend on."""
    return {
        "variant": config.variant,
        "config": {**config.to_dict(), "fps_override": fps_override},
        "mean": None if math.isnan(summary.mean) else summary.mean,
        "n": summary.n,
        "n_undefined": summary.n_undefined,
        "n_failed": summary.n_failed,
        "ci95": None if summary.ci95 is None else list(summary.ci95),
        "bootstrap": summary.bootstrap,
        "versions": library_versions(),
        "clips": [{**r.record(), "decoder": r.signals.decoder} for r in results],
        "failures": [{"video": video, "error": error} for video, error in failures.items()],
    }


def write_json(record: dict, path: str | Path) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")


CSV_COLUMNS = ("video", "audio", "variant", "fps", "n_frames", "n_audio_peaks", "n_video_peaks", "score", "error")


def write_csv(results: list[ClipResult], failures: dict[str, str], variant: str, path: str | Path) -> None:
    """One row per clip; failed clips carry their error and no score."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for r in results:
        writer.writerow({"video": r.video, "audio": r.audio, "variant": variant, "fps": repr(r.fps),
                         "n_frames": r.n_frames, "n_audio_peaks": len(r.audio_peaks),
                         "n_video_peaks": len(r.video_peaks), "score": "" if r.undefined else repr(r.score),
                         "error": ""})
    for video, error in failures.items():
        writer.writerow({"video": video, "variant": variant, "error": error})
    with atomic_write(path, "w") as fh:
        fh.write(buf.getvalue())
