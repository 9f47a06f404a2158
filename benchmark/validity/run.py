"""`run_validity`: the whole study in one call (what `avbench validity` runs).

Which AV-Align presets take part is resolved through the metric catalogue (every preset of
`av_align` by default); the clips are any samples with audio, or the built-in synthetic set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from avbench.metrics.catalogue import metric_class
from avbench.metrics.errors import AvbenchError
from avbench.metrics.metric import MapBackend, Sample

from .ablation import ablation_rows, ablation_table
from .clips import load_clips
from .report import markdown, write_records
from .study import StudySettings, score_clips, summarise


@dataclass
class ValidityOutcome:
    """The study's tables (`scores`: one row per clip × condition × preset; `summary`: one row per
    preset × facet; `ablation` when asked), the clips used, those skipped, the files written."""

    scores: pd.DataFrame
    summary: pd.DataFrame
    ablation: pd.DataFrame | None
    n_clips: int
    failures: dict[str, str] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def run_validity(samples: Sequence[Sample], out: str | Path, title: str, presets: Sequence[str] | None = None,
                 settings: StudySettings = StudySettings(), ablation: bool = False, fps: float | None = None,
                 segment_frames: int | None = None, segment_audio: str = "time", workers: int = 1,
                 use_cache: bool = True, progress: bool = True, plots: bool = True,
                 backend: MapBackend | None = None) -> ValidityOutcome:
    """Score every sample's positive and negatives with every preset of AV-Align (`presets`:
    names; default all), summarise, and write the report, tables and plots into `out`. The
    clips' signals are measured on `backend` when given (a Ray cluster), the study in `workers`
    processes here."""
    av_align = metric_class("av_align")
    chosen = [av_align.resolve_preset(name) for name in (presets or av_align.presets())]
    samples = list(samples)
    clips, failures = load_clips(samples, fps=fps, workers=workers, use_cache=use_cache, progress=progress,
                                 segment_frames=segment_frames, segment_audio=segment_audio, backend=backend)
    if len(clips) < 2:
        raise AvbenchError(f"the study needs at least 2 clips with audio; {len(clips)} usable, {len(failures)} failed")
    rows = ablation_rows() if ablation else []
    scores = score_clips(clips, chosen + [r.preset for r in rows], settings, workers=workers, progress=progress)
    is_ablation = scores["preset"].str.startswith("ablation:")
    main_scores = scores[~is_ablation]
    summary = summarise(main_scores, settings)
    table = ablation_table(scores[is_ablation], rows, settings) if rows else None

    out = Path(out)
    source_of = {sample.sample_id: sample.source for sample in samples}
    meta = {"title": title, "n_clips": len(clips), "settings": {**settings.__dict__, "groups": settings.groups},
            "segment_frames": segment_frames, "segment_audio": segment_audio,
            "presets": {p.name: p.to_dict() for p in chosen},
            "failures": [{"sample_id": k, "video": str(source_of[k]), "error": v} for k, v in failures.items()]}
    written = write_records(out, scores, summary, table, meta, markdown(main_scores, summary, table, settings, title))
    if plots:
        from .plots import write_plots

        written += write_plots(out, main_scores, summary, table, settings, title)
    return ValidityOutcome(main_scores, summary, table, len(clips), failures, written)
