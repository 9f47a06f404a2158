"""What a bundle says about our benchmark and about its own videos, checked against our
definition rather than taken on the bundle's word: the benchmark record that config.yaml (and so
the config hash) carries, each sample's label and caption, the counts, and the model card's
output spec against the scored videos. Each function returns the problems it finds (empty: none)."""
from __future__ import annotations

import math
from typing import Any

from avbench.benchmark.definition import Benchmark, OutputSpec
from avbench.benchmark.run_audit import difference
from avbench.benchmark.scoring.inputs import spec_problems
from avbench.metrics.media.probe import MediaInfo

RUN_ONLY = ("definition", "data_root")  # where the submitter's copy lives: not part of the benchmark


def benchmark_problems(ours: Benchmark, config: dict[str, Any]) -> list[str]:
    """config.yaml's benchmark record (name, version, kind, split, items, protocol) against ours."""
    claimed = {k: v for k, v in config["benchmark"].items() if k not in RUN_ONLY}
    found = difference(ours.describe(), claimed)
    return [] if found is None else [f"config.yaml benchmark.{found[0]} is {found[2]}; {ours.id} has {found[1]}"]


def item_problems(ours: Benchmark, manifest: list[dict[str, str]]) -> list[str]:
    """Each sample's label and caption against our item's, where our definition has one (the
    scorer takes ours over the inputs' own, so any other value was edited in)."""
    rows = {row["item_id"]: row for row in ours.rows}
    for sample in manifest:
        for column in ("label", "text"):
            want = rows.get(sample["sample_id"], {}).get(column) or ""
            if want and sample[column] != want:
                return [f"manifest.csv: the {column} of {sample['sample_id']} is {sample[column]!r}; "
                        f"{ours.id} gives {want!r}"]
    return []


def counts(ours: Benchmark, manifest: list[dict[str, str]]) -> dict[str, int]:
    """The counts of a bundle that scored every item of `ours` (what the store records): every
    item listed and scored, none failed. (`unexpected`, the inputs' rows that were not items,
    is not in a bundle to check, so it is not recorded.)"""
    n = len(ours.item_ids)
    return {"expected": n, "listed": n, "scored": len(manifest), "failed": n - len(manifest)}


def counts_problems(ours: Benchmark, results: dict[str, Any], manifest: list[dict[str, str]],
                    failures: list[dict[str, str]]) -> list[str]:
    """results.json's counts and failures.csv against a complete run of `ours`."""
    for key, value in counts(ours, manifest).items():
        if results["counts"][key] != value:
            return [f"results.json counts.{key} is {results['counts'][key]}; a run that scored every item of "
                    f"{ours.id} has {value}"]
    scored = {row["sample_id"] for row in manifest}
    failed = sorted(row["sample_id"] for row in failures if row["sample_id"] in scored)
    return [f"failures.csv lists {failed[0]} as failed; manifest.csv lists it as scored"] if failed else []


def _number(text: str, kind: type) -> float | int | None:
    """A manifest.csv media column: None when empty or not a finite number of `kind`."""
    try:
        value = kind(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def card_problems(card: dict[str, Any], manifest: list[dict[str, str]]) -> list[str]:
    """The card's resolution, fps, frames and duration against every scored video's as
    manifest.csv records them (the tolerances of `score`: fps 0.1%, duration one frame)."""
    width, height = map(int, card["resolution"].split("x")) if "resolution" in card else (None, None)
    spec = OutputSpec(card.get("fps"), card.get("frames"), width, height, card.get("duration"))
    for row in manifest:
        info = MediaInfo(path=row["sample_id"], fps=_number(row["fps"], float), fps_rational=None,
                         n_frames=_number(row["n_frames"], int), duration=_number(row["duration"], float),
                         width=_number(row["width"], int), height=_number(row["height"], int), video_codec="recorded")
        found = spec_problems(info, spec)
        if found:
            return [f"model_card.yaml does not describe the scored videos: {row['sample_id']} in manifest.csv has "
                    f"{found[0]}"]
    return []
