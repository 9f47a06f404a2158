"""The calibrated preset's ablation: each design choice's effect on AUROC, dev vs held-out.

Rows build up from the canonical `tempotokens-2025` to `calibrated` one choice at a time, then
remove each choice from `calibrated` (leave one out), then try the alternatives that were
considered and not adopted. The choices were made on the dev split; held-out is for reporting.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from avbench.metrics.av_align import AVAlignPreset, ChanceParams, get_preset

from .study import StudySettings, separation


@dataclass(frozen=True)
class AblationRow:
    key: str  # the preset's name in the scores: "ablation:<key>"
    stage: str  # "build-up", "leave-one-out" or "alternative"
    change: str
    preset: AVAlignPreset


def _row(key: str, stage: str, change: str, base: AVAlignPreset, **changes) -> AblationRow:
    return AblationRow(key, stage, change, replace(base, name=f"ablation:{key}", **changes))


def ablation_rows() -> list[AblationRow]:
    """The ablation's presets, in table order."""
    canonical, calibrated = get_preset("tempotokens-2025"), get_preset("calibrated")
    span = dict(audio_span="video-peaks")
    window = dict(window_frames=calibrated.window_frames)
    floor = dict(flow_floor=None, flow_floor_relative=calibrated.flow_floor_relative)
    return [
        _row("canonical", "build-up", "tempotokens-2025 (±1 frame, 0.1 px floor, onsets anywhere)", canonical),
        _row("+span", "build-up", "+ onsets only where a video peak can match", canonical, **span),
        _row("+window", "build-up", f"+ window ±{calibrated.window_frames:g} frame", canonical, **span, **window),
        _row("+floor", "build-up", f"+ floor {calibrated.flow_floor_relative:g}× the clip's max flow, no 0.1 px",
             canonical, **span, **window, **floor),
        _row("calibrated", "build-up", "+ chance correction (kappa) = calibrated", calibrated),
        _row("-span", "leave-one-out", "calibrated, onsets anywhere", calibrated, audio_span="clip"),
        _row("-window", "leave-one-out", "calibrated, window ±1 frame", calibrated, window_frames=1.0),
        _row("-floor", "leave-one-out", "calibrated, 0.1 px floor (no relative floor)", calibrated,
             flow_floor=0.1, flow_floor_relative=None),
        _row("-chance", "leave-one-out", "calibrated, raw IoU (no chance correction)", calibrated, chance=None),
        _row("window-40ms", "alternative", "calibrated, window ±40 ms (seconds, not frames)", calibrated,
             window_frames=0.0, window_seconds=0.04),
        _row("window-70ms", "alternative", "calibrated, window ±70 ms (seconds, not frames)", calibrated,
             window_frames=0.0, window_seconds=0.07),
        _row("chance-z", "alternative", "calibrated, chance z-score instead of kappa", calibrated,
             chance=ChanceParams(statistic="z")),
        _row("chance-percentile", "alternative", "calibrated, chance percentile instead of kappa", calibrated,
             chance=ChanceParams(statistic="percentile")),
        _row("superflux", "alternative", "calibrated, SuperFlux onsets (lag 2, max filter 3 mel bins)", calibrated,
             onset=replace(calibrated.onset, lag=2, max_size=3)),
    ]


def ablation_table(scores: pd.DataFrame, rows: list[AblationRow], settings: StudySettings) -> pd.DataFrame:
    """Per ablation row: AUROC (all negatives) with its clip-bootstrap CI on the dev and the
    held-out clips."""
    out = []
    for row in rows:
        record = {"stage": row.stage, "change": row.change, "key": row.key}
        subset = scores[scores["preset"] == row.preset.name]
        for split in ("dev", "held-out"):
            part = subset[subset["split"] == split]
            if part.empty:
                record.update({f"{split} auroc": float("nan"), f"{split} ci95_low": float("nan"),
                               f"{split} ci95_high": float("nan"), f"{split} n_clips": 0})
                continue
            sep = separation(part, row.preset.name, "all", "all negatives", settings)
            lo, hi = sep.ci95 if sep.ci95 else (float("nan"), float("nan"))
            record.update({f"{split} auroc": sep.auroc, f"{split} ci95_low": lo, f"{split} ci95_high": hi,
                           f"{split} n_clips": sep.n_clips})
        out.append(record)
    return pd.DataFrame(out)
