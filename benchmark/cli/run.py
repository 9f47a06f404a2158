"""`avbench run CONFIG`: generate, score and report every model of a run config."""
from __future__ import annotations

import argparse

from .common import add_weights_argument, parse_weights

NAME = "run"
HELP = "Generate + score + report from a run config (a YAML path, or `tiny` for the built-in tiny run)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="run config YAML, or a built-in name (tiny)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: the config's `out`, else ./avbench-runs/<name>)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_weights_argument(parser)


def run(args: argparse.Namespace) -> int:
    import sys

    from ..report.summary import summary_lines
    from ..run_config import load_run_config
    from ..runner import run_config

    config = load_run_config(args.config, args.out)
    outcome = run_config(config, progress=not args.quiet, weights=parse_weights(args.weights))
    for label, results in outcome.results.items():
        print("\n".join(summary_lines(results, outcome.runs[label])))
    for label, failures in outcome.generation_failures.items():
        for item_id, error in sorted(failures.items()):
            print(f"{label}: generation failed for {item_id}: {error}", file=sys.stderr)
    report = outcome.out / "report"
    print(f"report: {report} ({', '.join(sorted({p.suffix for p in outcome.report}))})")
    return 0 if all(r["counts"]["scored"] for r in outcome.results.values()) else 1
