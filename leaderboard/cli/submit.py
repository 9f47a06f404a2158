"""`avbench submit BUNDLE --store DIR`: verify a bundle and add it to a leaderboard store;
`--to GIT_REMOTE`: to the store of a leaderboard repository, pushed as a branch for a pull request."""
from __future__ import annotations

import argparse

NAME = "submit"
HELP = "Verify a submission bundle (checksums, versions, counts, recomputed aggregates) and add it to a store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="BUNDLE", help="a zip from `avbench pack`")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", metavar="DIR", help="the leaderboard store folder")
    where.add_argument("--to", metavar="GIT_REMOTE",
                       help="a leaderboard repository (`avbench leaderboard init`): clone it, add the entry on "
                            "branch submit/<entry id>, push the branch and print the pull-request link")
    parser.add_argument("--trust", default="self-reported", choices=("self-reported", "verified", "reference"),
                        help="self-reported (default); verified: re-score the bundle's media (needs --with-media "
                             "bundles); reference: our own runs (may be non-reportable)")
    parser.add_argument("--replace", action="store_true", help="replace an entry with the same id")
    parser.add_argument("--benchmark", metavar="B", help="our benchmark to check against (default: the bundle's)")
    parser.add_argument("--data-root", metavar="DIR", help="our copy of the benchmark's dataset (for reference statistics)")
    parser.add_argument("--ref-stats", action="append", metavar="METRIC=FILE",
                        help="our reference statistics of a set metric (repeatable; default: built from the real clips)")
    parser.add_argument("--reference", metavar="RUN", help="generated real clips to build reference statistics from")
    parser.add_argument("--allow-unverified-reference", action="store_true",
                        help="accept when our reference statistics are not available, marking those metrics unverified")
    parser.add_argument("--workers", type=int, default=1, help="processes for re-scoring media (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.leaderboard.verify import SubmitOptions, submit

    from avbench.benchmark.cli.common import parse_assignments

    options = SubmitOptions(
        trust=args.trust, benchmark=args.benchmark, data_root=Path(args.data_root) if args.data_root else None,
        ref_stats={k: Path(v) for k, v in parse_assignments(args.ref_stats, "--ref-stats").items()},
        reference_inputs=Path(args.reference) if args.reference else None,
        allow_unverified_reference=args.allow_unverified_reference, workers=args.workers)
    if args.to:
        from avbench.leaderboard.remote_submit import submit_to

        done = submit_to(args.bundle, args.to, options, replace=args.replace)
        entry, where = done.entry, f"branch {done.branch} of {args.to}"
    else:
        entry, where = submit(args.bundle, args.store, options, replace=args.replace), args.store
    extra = [f"re-scored from media: {', '.join(entry.extra['rescored'])}"] if entry.extra["rescored"] else []
    extra += [f"UNVERIFIED: {', '.join(entry.extra['unverified'])}"] if entry.extra["unverified"] else []
    print(f"added {entry.entry_id} ({entry.trust}) to {where}" + (f"; {'; '.join(extra)}" if extra else ""))
    if args.to:
        print(f"open the pull request: {done.link}" if done.link else
              f"pushed branch {done.branch} to {args.to}: open a pull request (or merge request) into {done.base}")
    return 0
