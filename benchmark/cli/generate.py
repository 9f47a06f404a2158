"""`avbench generate`: run a generator over a benchmark into a folder of videos + manifest.csv."""
from __future__ import annotations

import argparse

from .common import add_model_arguments, benchmark_from_args, parse_assignments

NAME = "generate"
HELP = "Generate one video per benchmark item with a model adapter (resumable: existing ids are skipped)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, "folder for the videos and manifest.csv")
    parser.add_argument("--shard", metavar="i/N", help="generate only shard i of N (strided over sorted ids)")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N items (a debug run)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import sys

    from ..generate import generate
    from ..sharding import Shard

    benchmark = benchmark_from_args(args)
    outcome = generate(args.model, benchmark, args.out, options=parse_assignments(args.option, "--option"),
                       shard=Shard.parse(args.shard) if args.shard else None, limit=args.limit,
                       progress=not args.quiet)
    print(f"{args.model} on {benchmark.id}: {len(outcome.generated)} generated, {len(outcome.skipped)} already "
          f"present, {len(outcome.failures)} failed -> {outcome.out_dir}")
    for item_id, error in sorted(outcome.failures.items()):
        print(f"failed: {item_id}: {error}", file=sys.stderr)
    return 0 if outcome.generated or outcome.skipped else 1
