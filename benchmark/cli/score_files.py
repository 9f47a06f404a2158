"""`avbench score-files GEN [REF]`: FVD, FID, KID and FAD of a folder of generated media."""
from __future__ import annotations

import argparse
import sys

NAME = "score-files"
HELP = "Score a folder of generated media against a reference folder or saved statistics (FVD, FID, KID, FAD)."


def add_weights_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", action="append", default=[], metavar="NAME=PATH",
                        help="use this file for registered weights NAME (repeatable; see `avbench weights list`)")


def parse_weights(items: list[str]) -> dict[str, str]:
    from metrics.errors import AvbenchError

    paths = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise AvbenchError(f"--weights expects NAME=PATH, got {item!r}")
        paths[name] = path
    return paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("generated", metavar="GEN", help="folder of generated videos and/or audio files")
    parser.add_argument("reference", metavar="REF", nargs="?", help="folder of reference media")
    parser.add_argument("--metrics", default="fvd,fid,kid,fad", help="comma-separated (default %(default)s)")
    parser.add_argument("--preset", action="append", default=[], metavar="NAME",
                        help="preset to use instead of the metric's default, e.g. fvd/videogpt (repeatable)")
    parser.add_argument("--ref-stats", action="append", default=[], metavar="FILE",
                        help="reference statistics from `avbench stats build` (repeatable; each names its preset)")
    add_weights_argument(parser)
    parser.add_argument("--device", default="cpu", help="torch device (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=16, help="network batch size (default %(default)s)")
    parser.add_argument("--offline", action="store_true", help="never download weights")
    parser.add_argument("--json", metavar="OUT", help="write results, errors and failed files as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from metrics.fileio import atomic_write

    from ..score_files import score_files

    if args.offline:
        os.environ["AVBENCH_OFFLINE"] = "1"
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    outcome = score_files(
        args.generated, args.reference, metrics,
        preset_names=args.preset, ref_stats=args.ref_stats, weights_paths=parse_weights(args.weights),
        device=args.device, batch_size=args.batch_size, progress=not args.quiet,
    )
    for result in outcome.results:
        print(result)
    for metric, error in outcome.errors.items():
        print(f"{metric.upper()} not computed: {error}")
    if outcome.failures:
        print(f"{len(outcome.failures)} file(s) failed:", file=sys.stderr)
        for failure in outcome.failures:
            print(f"  [{failure.metric}] {failure.error}", file=sys.stderr)
    if args.json:
        with atomic_write(args.json, "w") as fh:
            json.dump(outcome.to_dict(), fh, indent=2)
    return 1 if outcome.errors else 0
