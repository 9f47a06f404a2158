"""Leaderboard test helpers: a store made of harness runs (a stand-in for `pack` + `submit`:
the run's files, plus its media as `media/<sample_id>.<ext>`, copied into a bundle folder),
and hand-made `reported` entries."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from avbench.benchmark import run_dir as rd
from avbench.benchmark.report.runs import scores_from_results
from avbench.benchmark.report.table import Score
from avbench.leaderboard.store import Entry, add_entry


def add_run(store: Path, run: Path, entry_id: str, model: dict, trust: str = "reference", media: bool = True,
            work: Path | None = None) -> Entry:
    """Add the harness run `run` to `store` as an entry (bundle with the run's files and, if
    `media`, its videos and audio named by sample id)."""
    results = json.loads((run / rd.RESULTS).read_text())
    bundle = (work or run.parent) / f"bundle-{entry_id}"
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.mkdir(parents=True)
    for name in (rd.RESULTS, rd.SAMPLES, rd.MANIFEST):
        shutil.copyfile(run / name, bundle / name)
    shutil.copytree(run / rd.STATES, bundle / rd.STATES)
    if media:
        (bundle / "media").mkdir()
        for row in rd.read_manifest(run):
            for column in ("video_path", "audio_path"):
                if row[column]:
                    source = (run / row[column]).resolve()
                    shutil.copyfile(source, bundle / "media" / f"{row['sample_id']}{source.suffix}")
    entry = Entry(entry_id=entry_id, trust=trust, model=model, benchmark=results["benchmark"]["name"],
                  scores=scores_from_results(results), source=f"run {run.name}",
                  benchmark_version=results["benchmark"]["version"], suite_version="0.1.0",
                  reportable=results["flags"]["reportable"], extra={"reasons": results["flags"]["reasons"]})
    add_entry(store, entry, bundle)
    shutil.rmtree(bundle)
    return entry


def reported(entry_id: str, model: str, benchmark: str, values: dict[str, float], notes: tuple[str, ...] = ()) -> Entry:
    """A paper row: the paper's metrics (AV-Align, FVD, CLIPSIM, IS), no CI, protocol unstated."""
    meta = {"av_align": (True, "AV-Align"), "fvd": (False, "FVD"), "clipsim": (True, "CLIPSIM"), "is": (True, "IS")}
    return Entry(entry_id=entry_id, trust="reported", model={"name": model}, benchmark=benchmark,
                 scores={m: Score(v, meta[m][0], title=meta[m][1]) for m, v in values.items()},
                 source="Yariv et al. 2023, arXiv:2309.16429v1, Table 1", notes=notes)
