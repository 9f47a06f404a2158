"""The `avbench` command line. One module per verb; each defines NAME, HELP,
`add_arguments(parser)` and `run(args) -> int`, and imports heavy libraries inside `run`."""
from __future__ import annotations

import argparse
import sys
from importlib import import_module
from typing import Sequence

from metrics.errors import AvbenchError

# Verb modules, in the order `avbench --help` lists them.
VERB_MODULES = ("ls", "validate", "preflight", "generate", "score", "merge", "report", "run", "score_files", "stats",
                "weights", "av_align", "validity", "demo", "generate_one", "pack", "submit", "reproduce", "leaderboard")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avbench", description="Evaluation and benchmark suite for audio-to-video generation."
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for module_name in VERB_MODULES:
        verb = import_module(f"{__name__}.{module_name}")
        verb_parser = sub.add_parser(verb.NAME, help=verb.HELP, description=verb.HELP)
        verb.add_arguments(verb_parser)
        verb_parser.set_defaults(run=verb.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `avbench` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except AvbenchError as exc:
        print(f"avbench {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"avbench {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
