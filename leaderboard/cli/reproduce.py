"""`avbench reproduce TABLE --runs ...`: our runs beside a paper table's reported numbers."""
from __future__ import annotations

import argparse

NAME = "reproduce"
HELP = ("Compare runs with a paper table (tempotokens-table1/2/3): reported | ours | Δ | protocol differences.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", metavar="TABLE", help="tempotokens-table1, tempotokens-table2 or tempotokens-table3")
    parser.add_argument("--runs", nargs="*", default=[], metavar="[ROW=]RUN_DIR",
                        help="run directories; ROW= names the table row (e.g. vggsound/ours=runs/tt), else "
                             "matched by benchmark and generator adapter")
    parser.add_argument("--format", default="md", choices=("md", "csv", "json"), help="output format (default md)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")


def run(args: argparse.Namespace) -> int:
    from avbench.leaderboard.reproduce import compare, parse_runs, render
    from avbench.metrics.fileio import atomic_write

    text = render(compare(args.table, parse_runs(args.runs)), args.format)
    if args.out:
        with atomic_write(args.out, "w") as fh:
            fh.write(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0
