"""`avbench merge SHARD_DIR... --out RUN_DIR`: combine shard runs into one finished run."""
from __future__ import annotations

import argparse

NAME = "merge"
HELP = "Merge the shard directories of one score run (--shard i/N) into one run directory."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", nargs="+", metavar="SHARD_DIR", help="finished shard run directories (0..N-1)")
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="the merged run directory")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..merge import merge
    from ..report.summary import summary_lines

    results = merge(args.shards, args.out)
    print("\n".join(summary_lines(results, Path(args.out))))
    return 0
