"""`avbench stats build DIR --metric M --out FILE.npz`: reference statistics of a folder."""
from __future__ import annotations

import argparse
import sys

from .score_files import add_weights_argument

NAME = "stats"
HELP = "Build reference statistics (FVD/FID/FAD Gaussian statistics, KID features) of a media folder."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = sub.add_parser("build", help="compute and save the reference state of a folder")
    build.add_argument("folder", metavar="DIR", help="folder of reference videos and/or audio files")
    build.add_argument("--metric", required=True, choices=("fvd", "fid", "kid", "fad"))
    build.add_argument("--preset", help="preset name (default: the metric's default preset)")
    build.add_argument("--out", required=True, metavar="FILE.npz", help="where to write the statistics")
    add_weights_argument(build)
    build.add_argument("--device", default="cpu", help="torch device (default %(default)s)")
    build.add_argument("--batch-size", type=int, default=16, help="network batch size (default %(default)s)")
    build.add_argument("--offline", action="store_true", help="never download weights")
    build.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import os

    from ..score_files import build_reference_state
    from .score_files import parse_weights

    if args.offline:
        os.environ["AVBENCH_OFFLINE"] = "1"
    weights = parse_weights(args.weights)
    state, failures = build_reference_state(
        args.folder, args.metric, args.preset, weights_paths=weights,
        device=args.device, batch_size=args.batch_size, progress=not args.quiet,
    )
    state.save(args.out)
    print(f"wrote {args.out}: {args.metric} reference state, preset {state.preset} v{state.version}, "
          f"{state.n} feature vectors from {args.folder}")
    if failures:
        print(f"{len(failures)} file(s) failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure.error}", file=sys.stderr)
    return 0
