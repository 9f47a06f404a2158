"""The study's records: per-pair scores (CSV), the summary (CSV, JSON) and a markdown report."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from avbench.metrics.fileio import atomic_write

from avbench.metrics.versions import library_versions
from .conditions import SYNCED
from .study import FPS_BUCKETS, StudySettings


def _auc(row: pd.Series, prefix: str = "") -> str:
    auc = row[f"{prefix}auroc"]
    if not math.isfinite(auc):
        return "n/a"
    lo, hi = row[f"{prefix}ci95_low"], row[f"{prefix}ci95_high"]
    ci = f" [{lo:.2f}, {hi:.2f}]" if math.isfinite(lo) else ""
    return f"{auc:.3f}{ci}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _facet_table(summary: pd.DataFrame, facet: str, groups: list[str]) -> str:
    present = [g for g in groups if ((summary["facet"] == facet) & (summary["group"] == g)).any()]
    rows = []
    for preset, part in summary[summary["facet"] == facet].groupby("preset", sort=False):
        cells = {r["group"]: f"{_auc(r)} · {r['balanced_accuracy']:.2f}" for _, r in part.iterrows()}
        rows.append([preset] + [cells.get(g, "") for g in present])
    return _table(["preset"] + present, rows)


def markdown(scores: pd.DataFrame, summary: pd.DataFrame, ablation: pd.DataFrame | None, settings: StudySettings,
             title: str) -> str:
    """The report: AUROC of every preset overall, per negative kind and per fps bucket, the
    mean score per condition group, and the ablation table when given."""
    n_clips = scores["clip"].nunique()
    out = [f"# AV-Align validity: {title}", "",
           f"{n_clips} clips. Positive: each video with its own audio. Negatives: the same video with its audio "
           f"shifted by ±{', ±'.join(f'{k:g}' for k in settings.shift_frames)} frames and "
           f"±{', ±'.join(f'{s:g}' for s in settings.shift_seconds)} s (silence-padded, not wrapped), and with "
           "another clip's audio (seeded derangement). AUROC = P(positive scores above negative), ties ½, with a "
           f"95% CI from {settings.n_resamples} bootstrap resamples of clips (seed {settings.seed}). Balanced "
           "accuracy = (TPR + TNR)/2 at the best threshold; paired accuracy = share of a clip's negatives its "
           "positive beats. Pairs with no peak on either side (score undefined) are left out and counted.", "",
           "## All negatives", ""]
    rows = []
    for _, r in summary[summary["facet"] == "all"].iterrows():
        rows.append([r["preset"], _auc(r), f"{r['balanced_accuracy']:.3f} (≥ {r['threshold']:.3g})",
                     f"{r['paired_accuracy']:.3f}", str(r["n_clips"]), str(r["n_pos"]), str(r["n_neg"]),
                     str(r["n_undefined"])])
    out += [_table(["preset", "AUROC [95% CI]", "balanced acc. (threshold)", "paired acc.", "clips", "pos",
                    "neg", "undefined"], rows), ""]
    out += ["## Per negative kind (AUROC [95% CI] · balanced accuracy)", "",
            _facet_table(summary, "negatives", settings.groups), ""]
    out += ["## Per fps bucket (AUROC [95% CI] · balanced accuracy)", "",
            _facet_table(summary, "fps", [name for name, _ in FPS_BUCKETS]), ""]
    groups = [SYNCED] + settings.groups
    means = scores.groupby(["preset", "group"], sort=False)["score"].agg(["mean", "std"])
    rows = []
    for preset in scores["preset"].unique():
        cells = []
        for g in groups:
            if (preset, g) in means.index:
                m, s = means.loc[(preset, g)]
                cells.append(f"{m:.3f} ± {s:.3f}")
            else:
                cells.append("")
        rows.append([preset] + cells)
    out += ["## Score distributions (mean ± sd per condition)", "", _table(["preset"] + groups, rows), ""]
    peaks = scores.groupby(["preset", "group"], sort=False)[["n_audio_peaks", "n_video_peaks"]].mean()
    rows = [[preset] + [f"{peaks.loc[(preset, g), 'n_audio_peaks']:.2f}" if (preset, g) in peaks.index else ""
                         for g in groups] for preset in scores["preset"].unique()]
    out += ["## Audio peaks per pair (mean per condition)", "",
            "Silence padding and per-clip onset normalisation change how many onsets a shifted audio has; a "
            "preset whose raw score follows the peak count can separate shifts for that reason alone.", "",
            _table(["preset"] + groups, rows), ""]
    if ablation is not None and len(ablation):
        out += ["## Ablation of the calibrated preset (AUROC, all negatives)", "",
                "Choices were made on the dev clips; held-out clips are for reporting.", ""]
        rows = [[r["stage"], r["change"], f"{_auc(r, 'dev ')} (n={r['dev n_clips']})",
                 f"{_auc(r, 'held-out ')} (n={r['held-out n_clips']})"] for _, r in ablation.iterrows()]
        out += [_table(["stage", "change", "dev", "held-out"], rows), ""]
    return "\n".join(out)


def write_records(out: Path, scores: pd.DataFrame, summary: pd.DataFrame, ablation: pd.DataFrame | None,
                  meta: dict, report: str) -> list[Path]:
    """`scores.csv`, `summary.csv`, `summary.json` (summary, ablation, settings, presets,
    library versions, failures), `ablation.csv` and `report.md` in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    def write_text(name: str, text: str) -> None:
        with atomic_write(out / name, "w") as fh:
            fh.write(text)
        paths.append(out / name)

    write_text("scores.csv", scores.to_csv(index=False))
    write_text("summary.csv", summary.to_csv(index=False))
    record = {**meta, "versions": library_versions(), "summary": _json_safe(summary.to_dict("records"))}
    if ablation is not None:
        write_text("ablation.csv", ablation.to_csv(index=False))
        record["ablation"] = _json_safe(ablation.to_dict("records"))
    write_text("summary.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    write_text("report.md", report + "\n")
    return paths


def _json_safe(value):
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value
