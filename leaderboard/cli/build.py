"""`avbench leaderboard build --store DIR --out SITE`: the static leaderboard site and its exports."""
from __future__ import annotations

import argparse

NAME = "leaderboard"
HELP = "Build the leaderboard (static site, CSV/JSON/LaTeX, plots, per-sample browser) from a store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="static site + leaderboard.{csv,json,tex} + plots from a store",
                               description="Build SITE from the store (into a temporary folder, then renamed over SITE).")
    build.add_argument("--store", required=True, metavar="DIR", help="leaderboard store folder")
    build.add_argument("--out", required=True, metavar="SITE", help="site folder (a previous build is replaced)")
    build.add_argument("--no-reported", action="store_true", help="leave out the paper's reported rows")
    build.add_argument("--max-peak-plots", type=int, default=100, metavar="N",
                       help="per entry, AV-Align peak plots for at most N samples (default %(default)s)")
    build.add_argument("--workers", type=int, default=1, help="processes for recomputing AV-Align (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    from avbench.leaderboard.site import build_site

    summary = build_site(args.store, args.out, include_reported=not args.no_reported,
                         max_peak_plots=args.max_peak_plots, workers=args.workers)
    for note in summary.notes:
        print(f"note: {note}")
    print(f"leaderboard: {summary.n_entries} entries, benchmarks {', '.join(summary.benchmarks) or 'none'}, "
          f"per-sample browser for {len(summary.samples)} entries -> {summary.out}/index.html")
    return 0
