"""The `avbench` command line: a dispatcher over the verbs that installed distributions declare in
the `avbench.cli` entry-point group (this package declares its own the same way, and other
packages add theirs there without this module naming them).

A verb is a module defining NAME, HELP, `add_arguments(parser)` and `run(args) -> int`; it
imports heavy libraries inside `run`. Only the verb being run gets its arguments added, so
`avbench --help` and a run of one verb pay for no other verb's `add_arguments` (which may import
what its choices list: presets, weight files).
"""
from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import version
from types import ModuleType
from typing import Collection, Sequence

from avbench.metrics import plugins
from avbench.metrics.errors import AvbenchError

ENTRY_POINT_GROUP = "avbench.cli"


def verb_modules() -> list[ModuleType]:
    """The verb modules of every installed distribution, in declaration order; an entry point that
    cannot be loaded, is no verb module or repeats a verb is reported in one line and left out
    (a broken plug-in never takes the other verbs down)."""
    modules, names = [], set()
    for entry, module in plugins.load_group(ENTRY_POINT_GROUP, "verb"):
        name = getattr(module, "NAME", None)
        if not isinstance(name, str):
            plugins.warn(plugins.failure(entry, "verb", "it has no NAME (a verb module defines NAME, HELP, "
                                                        "add_arguments and run)"))
        elif name in names:
            plugins.warn(f"verb {name!r} is declared twice; {entry.value} is ignored")
        else:
            names.add(name)
            modules.append(module)
    return modules


def build_parser(verbs: Collection[str]) -> argparse.ArgumentParser:
    """The `avbench` parser, every verb listed, with the arguments of the verbs in `verbs` only."""
    parser = argparse.ArgumentParser(
        prog="avbench", description="Evaluation and benchmark suite for audio-to-video generation."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('avbench')}")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in verb_modules():
        verb_parser = sub.add_parser(verb.NAME, help=verb.HELP, description=verb.HELP)
        if verb.NAME in verbs:
            verb.add_arguments(verb_parser)
        verb_parser.set_defaults(run=verb.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `avbench` console script; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # The verb is the first argument: the options before it (--help, --version) exit.
    args = build_parser(argv[:1]).parse_args(argv)
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # inside the try: a reader that has gone (`| head`) fails here, not at exit
        return code
    except BrokenPipeError:
        # The reader closed the pipe: stop as a Unix filter does, with no traceback; stdout goes to
        # /dev/null so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE: what a shell reports for a filter the signal stopped
    except AvbenchError as exc:
        print(f"avbench {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"avbench {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
