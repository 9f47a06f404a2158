"""The per-sample browser's data for entries whose bundle carries media (`bundle/media/<sample_id>.<ext>`):
the media copied into the site, each sample's submitted per-sample scores, and — for up to
`max_peak_plots` samples — AV-Align recomputed at build time with the entry's preset and drawn as
a peak plot (onset envelope + audio peaks, flow trajectory + video peaks, matched pairs)."""
from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

from avbench.benchmark import run_dir as rd
from avbench.metrics.av_align import DEFAULT_PRESET, AVAlign, get_preset
from avbench.metrics.av_align.plot import plot_clip
from avbench.metrics.errors import AvbenchError
from avbench.metrics.media import AUDIO_FILE_EXTENSIONS
from avbench.metrics.metric import MapContext, Sample

from .names import slug
from .store import BUNDLE_DIR, Entry, entry_dir

MEDIA_DIR = "media"
SAMPLES_GLOBAL = "AVBENCH_SAMPLES"
AGREE_TOLERANCE = 1e-9  # recomputed vs submitted per-clip AV-Align (both are exact ratios of small counts)


def bundle_media(bundle: Path) -> dict[str, dict[str, Path]]:
    """sample_id -> {"video": path, "audio": path} of the files in `bundle/media` (audio may be
    absent). File names are read from the folder, never built from submitted ids."""
    folder = bundle / MEDIA_DIR
    media: dict[str, dict[str, Path]] = {}
    if not folder.is_dir():
        return media
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink():
            kind = "audio" if path.suffix.lower() in AUDIO_FILE_EXTENSIONS else "video"
            media.setdefault(path.stem, {})[kind] = path
    return {sid: files for sid, files in media.items() if "video" in files}


def _preset(entry: Entry) -> tuple[str, str | None]:
    """(AV-Align preset to recompute with, a note when it is not the entry's own)."""
    score = entry.scores.get("av_align")
    if score is None or score.preset is None:
        return DEFAULT_PRESET, f"the entry records no AV-Align preset; peak plots use {DEFAULT_PRESET}"
    preset = get_preset(score.preset)
    if score.version is not None and score.version != preset.version:
        raise AvbenchError(f"entry {entry.entry_id}: AV-Align {score.preset} v{score.version} is not this suite's "
                           f"v{preset.version}; cannot redraw its peak plots")
    return score.preset, None


def _submitted(bundle: Path) -> tuple[dict[str, dict[str, float | None]], dict[str, str]]:
    """Per-sample values (sample_id -> metric -> value, NaN as None) and labels from samples.parquet."""
    values: dict[str, dict[str, float | None]] = {}
    labels: dict[str, str] = {}
    for row in rd.read_samples(bundle):
        value = row["value"]
        values.setdefault(row["sample_id"], {})[row["metric"]] = None if value is None or math.isnan(value) else value
        if row["label"]:
            labels[row["sample_id"]] = row["label"]
    return values, labels


def _pick(ids: list[str], values: dict[str, dict[str, float | None]], limit: int) -> list[str]:
    """All ids when they fit, else the lowest and highest AV-Align ones (outliers are what one browses for)."""
    if len(ids) <= limit:
        return ids
    ranked = sorted(ids, key=lambda s: (values.get(s, {}).get("av_align") is None, values.get(s, {}).get("av_align") or 0.0))
    low = limit // 2
    return ranked[:low] + ranked[len(ranked) - (limit - low):]


def build_sample_browser(entry: Entry, store: Path, site: Path, max_peak_plots: int = 100,
                         workers: int | None = 1) -> dict[str, Any] | None:
    """Write the entry's media, peak plots and sample table under `site`; returns the sample data
    (None when the entry's bundle has no media)."""
    bundle = entry_dir(store, entry.entry_id) / BUNDLE_DIR
    media = bundle_media(bundle)
    if not media:
        return None
    key = slug(entry.entry_id)
    values, labels = _submitted(bundle)
    manifest = {r["sample_id"]: r for r in rd.read_manifest(bundle)} if (bundle / rd.MANIFEST).is_file() else {}
    ids = [sid for sid in manifest if sid in media] + sorted(sid for sid in media if sid not in manifest)
    index = {sid: k for k, sid in enumerate(ids)}
    preset, preset_note = _preset(entry)

    plotted = _pick(ids, values, max_peak_plots)
    metric = AVAlign(preset)
    mapped = metric.map([Sample(sid, media[sid]["video"], media[sid].get("audio")) for sid in plotted],
                        MapContext(workers=workers, progress=False))
    results = {sid: metric.clip_result(features, str(media[sid]["video"])) for sid, features in mapped.features.items()}

    media_out, plots_out = site / MEDIA_DIR / key, site / "samples" / key
    media_out.mkdir(parents=True, exist_ok=True)
    plots_out.mkdir(parents=True, exist_ok=True)
    samples = []
    for sid in ids:
        k = index[sid]
        files = {}
        for kind, path in media[sid].items():
            name = f"{k:05d}{path.suffix.lower()}"
            shutil.copyfile(path, media_out / name)
            files[kind] = f"{MEDIA_DIR}/{key}/{name}"
        sample: dict[str, Any] = {"sample_id": sid, "label": labels.get(sid) or manifest.get(sid, {}).get("label") or "",
                                  "text": manifest.get(sid, {}).get("text") or "", "scores": values.get(sid, {}),
                                  "video": files["video"], "audio": files.get("audio"), "peak_plot": None, "av_align": None}
        result = results.get(sid)
        if result is not None:
            plot_clip(result, plots_out / f"{k:05d}.png", sid)
            submitted = values.get(sid, {}).get("av_align")
            recomputed = None if result.undefined else float(result.score)
            agrees = (submitted is None and recomputed is None) or (
                submitted is not None and recomputed is not None and abs(submitted - recomputed) <= AGREE_TOLERANCE)
            sample["peak_plot"] = f"samples/{key}/{k:05d}.png"
            sample["av_align"] = {"preset": preset, "recomputed": recomputed, "submitted": submitted,
                                  "agrees": agrees, "fps": result.fps, "n_audio_peaks": len(result.audio_peaks),
                                  "n_video_peaks": len(result.video_peaks), "n_matched": len(result.match.pairs)}
        elif sid in mapped.failures:
            sample["av_align"] = {"preset": preset, "error": mapped.failures[sid]}
        samples.append(sample)
    metrics = sorted({m for s in samples for m in s["scores"]})
    notes = [n for n in (preset_note,) if n]
    if len(plotted) < len(ids):
        notes.append(f"peak plots for {len(plotted)} of {len(ids)} samples (the lowest and highest AV-Align)")
    return {"entry_id": entry.entry_id, "model": entry.model.get("name"), "benchmark": entry.benchmark,
            "preset": preset, "metrics": metrics, "notes": notes, "samples": samples}
