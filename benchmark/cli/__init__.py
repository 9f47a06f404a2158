"""The `avbench` command line: a dispatcher over the verbs that installed distributions declare in
the `avbench.cli` entry-point group (avbench's own packages declare theirs the same way, so the
leaderboard and the models add their verbs without this layer naming them).

A verb is a module defining NAME, HELP, `add_arguments(parser)` and `run(args) -> int`; it
imports heavy libraries inside `run`.
"""
from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points, version
from types import ModuleType
from typing import Sequence

from avbench.metrics.errors import AvbenchError

ENTRY_POINT_GROUP = "avbench.cli"


def verb_modules() -> tuple[list[ModuleType], list[str]]:
    """The verb modules of every installed distribution, in declaration order, and one warning per
    entry point that could not be loaded (a broken plug-in never takes the other verbs down)."""
    modules, warnings, names = [], [], set()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = entry.load()
            name = module.NAME
        except Exception as exc:  # any failure of a third-party plug-in: report it, keep the rest
            warnings.append(f"avbench: verb {entry.name!r} ({entry.value}) cannot be loaded: {exc}")
            continue
        if name in names:
            warnings.append(f"avbench: verb {name!r} is declared twice; {entry.value} is ignored")
            continue
        names.add(name)
        modules.append(module)
    return modules, warnings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avbench", description="Evaluation and benchmark suite for audio-to-video generation."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('avbench')}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    modules, warnings = verb_modules()
    for line in warnings:
        print(line, file=sys.stderr)
    for verb in modules:
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
