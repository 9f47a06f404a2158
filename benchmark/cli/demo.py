"""`avbench demo`: score a generated set of clips with known events with every AV-Align preset."""
from __future__ import annotations

import argparse
import math

NAME = "demo"
HELP = "Generate synthetic clips with known audio/visual events and score them with every AV-Align preset."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="folder for the clips (default: <cache>/demo/v<N>)")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.metrics.av_align import PRESETS
    from avbench.metrics.fileio import cache_root
    from avbench.metrics.scoring import score_folders

    from ..synthetic import DEMO_VERSION, demo_clips, write_clip

    out = Path(args.out) if args.out else cache_root() / "demo" / f"v{DEMO_VERSION}"
    clips = demo_clips()
    for clip in clips:
        if not (out / f"{clip.name}.mp4").is_file() or not (out / f"{clip.name}.wav").is_file():
            write_clip(clip, out)
    presets = list(PRESETS)
    report = score_folders(out, metrics=["av_align"], presets=presets, workers=args.workers, progress=False)
    keys = {preset: f"av_align[{preset}]" for preset in presets}
    width = max(len(c.name) for c in clips)
    print(f"AV-Align demo: {len(clips)} synthetic clips (24 fps, 2 s) in {out}\n")
    print(f"{'clip':<{width}}  " + "  ".join(f"{p:>16}" for p in presets))
    for clip in clips:
        cells = []
        for preset in presets:
            score = report.samples.get(keys[preset], {}).get(clip.name)
            cells.append(f"{'failed' if score is None else 'undefined' if math.isnan(score) else f'{score:.3f}':>16}")
        print(f"{clip.name:<{width}}  " + "  ".join(cells))
    means = [report.results[keys[p]].value if keys[p] in report.results else math.nan for p in presets]
    print(f"{'mean':<{width}}  " + "  ".join(f"{m:>16.3f}" for m in means))
    # a clip's warnings are the same under every preset: each line once
    for line in dict.fromkeys(line for by_sample in report.warnings.values() for lines in by_sample.values()
                              for line in lines):
        print(f"warning: {line}")
    for error in dict.fromkeys(f.error for f in report.failures):
        print(f"failed: {error}")
    return 0 if report.results else 1
