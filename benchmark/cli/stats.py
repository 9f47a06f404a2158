"""`avbench stats build DIR --metric M --out FILE.npz`: the reference state of a folder."""
from __future__ import annotations

import argparse
import sys

from .common import add_weights_argument, parse_weights

NAME = "stats"
HELP = "Build the reference state of a media folder for a metric that compares two sets (FVD, FID, KID, FAD)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = sub.add_parser("build", help="compute and save the reference state of a folder")
    build.add_argument("folder", metavar="DIR", help="folder of reference videos and/or audio files")
    build.add_argument("--metric", required=True, help="a metric with a reference set: fvd, fid, kid, fad")
    build.add_argument("--preset", help="preset name (default: the metric's default preset)")
    build.add_argument("--out", required=True, metavar="FILE.npz", help="where to write the state")
    add_weights_argument(build)
    build.add_argument("--device", default="cpu", help="torch device (default %(default)s)")
    build.add_argument("--batch-size", type=int, default=16, help="network batch size (default %(default)s)")
    build.add_argument("--offline", action="store_true", help="never download weights")
    build.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    build.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import os

    from avbench.metrics.catalogue import metric_class
    from avbench.metrics.errors import AvbenchError
    from avbench.metrics.keyed_state import KeyedState
    from avbench.metrics.scoring import reference_state

    from ..scoring.reference import state_size

    if args.offline:
        os.environ["AVBENCH_OFFLINE"] = "1"
    if not metric_class(args.metric).needs_reference:
        raise AvbenchError(f"{args.metric} compares no two sets: it has no reference state to build")
    state, failures = reference_state(args.folder, args.metric, args.preset, weights=parse_weights(args.weights),
                                      device=args.device, batch_size=args.batch_size, use_cache=not args.no_cache,
                                      progress=not args.quiet)
    state.save(args.out)
    size = f"{state_size(state)} {'samples' if isinstance(state, KeyedState) else 'feature vectors'}"
    print(f"wrote {args.out}: {args.metric} reference state, preset {state.preset} v{state.version}, "
          f"{size} from {args.folder}")
    if failures:
        print(f"{len(failures)} file(s) failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure.error}", file=sys.stderr)
    return 0
