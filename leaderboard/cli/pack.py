"""`avbench pack RUN_DIR`: a finished run → a submission bundle (zip)."""
from __future__ import annotations

import argparse

NAME = "pack"
HELP = "Pack a finished run directory into a submission bundle (zip with CHECKSUMS and a model card)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a finished, valid run directory")
    parser.add_argument("--out", metavar="FILE.zip", help="bundle to write (default: RUN_DIR/../<run>.submission.zip)")
    parser.add_argument("--model-card", metavar="YAML", help="model_card.yaml (default: the run's model label only)")
    parser.add_argument("--card-template", metavar="YAML",
                        help="write a model card template pre-filled from the run to YAML, and stop")
    parser.add_argument("--with-media", action="store_true",
                        help="include every sample's video and audio (lets the store re-score them: trust verified)")
    parser.add_argument("--items", metavar="CSV",
                        help="a custom benchmark's items CSV (the one the run scored; default: the one its "
                             "definition names, if unchanged): a store checks the run's "
                             "ids and counts against it")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.benchmark import run_dir as rd
    from avbench.leaderboard.bundle import pack
    from avbench.leaderboard.model_card import template
    from avbench.metrics.errors import AvbenchError
    from avbench.metrics.fileio import atomic_write

    run_dir = Path(args.run_dir)
    if args.card_template:
        if Path(args.card_template).exists():
            raise AvbenchError(f"{args.card_template} exists; not overwritten")
        with atomic_write(args.card_template, "w") as fh:
            fh.write(template(rd.read_results(run_dir)))
        print(f"wrote {args.card_template}: fill it in, then `avbench pack {run_dir} --model-card {args.card_template}`")
        return 0
    out = Path(args.out) if args.out else run_dir.resolve().parent / f"{run_dir.resolve().name}.submission.zip"
    pack(run_dir, out, args.model_card, args.with_media, args.items)
    print(f"wrote {out}{' (with media)' if args.with_media else ''}")
    return 0
