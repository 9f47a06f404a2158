"""`avbench demo`: score a generated set of clips with known events with every AV-Align variant."""
from __future__ import annotations

import argparse
import math

NAME = "demo"
HELP = "Generate synthetic clips with known audio/visual events and score them with every AV-Align variant."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="folder for the clips (default: <cache>/demo/v<N>)")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.metrics.av_align import VARIANTS
    from avbench.metrics.fileio import cache_root

    from ..av_align_run import analyse_pairs
    from ..media import pair_videos
    from ..synthetic import DEMO_VERSION, demo_clips, write_clip

    out = Path(args.out) if args.out else cache_root() / "demo" / f"v{DEMO_VERSION}"
    clips = demo_clips()
    for clip in clips:
        if not (out / f"{clip.name}.mp4").is_file() or not (out / f"{clip.name}.wav").is_file():
            write_clip(clip, out)
    pairs = pair_videos([out / f"{clip.name}.mp4" for clip in clips])
    analysis = analyse_pairs(pairs, workers=args.workers, progress=False)

    variants = list(VARIANTS)
    scored = {v: analysis.score(v) for v in variants}
    width = max(len(c.name) for c in clips)
    print(f"AV-Align demo: {len(clips)} synthetic clips (24 fps, 2 s) in {out}\n")
    print(f"{'clip':<{width}}  " + "  ".join(f"{v:>16}" for v in variants))
    by_name = {v: {Path(r.video).stem: r.score for r in scored[v][0]} for v in variants}
    for clip in clips:
        cells = []
        for v in variants:
            score = by_name[v].get(clip.name)
            cells.append(f"{'failed' if score is None else 'undefined' if math.isnan(score) else f'{score:.3f}':>16}")
        print(f"{clip.name:<{width}}  " + "  ".join(cells))
    print(f"{'mean':<{width}}  " + "  ".join(f"{scored[v][1].compute().mean:>16.3f}" for v in variants))
    for error in analysis.failures.values():
        print(f"failed: {error}")
    return 0 if analysis.signals else 1
