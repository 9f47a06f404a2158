"""`avbench leaderboard build --store DIR --out SITE`: the static leaderboard site and its exports;
`init DIR`: a leaderboard repository to submit to (git + GitHub Actions + Pages); `verify-pr`: what
that repository's workflow runs on a pull request."""
from __future__ import annotations

import argparse

NAME = "leaderboard"
HELP = ("Build the leaderboard (static site, CSV/JSON/LaTeX, plots, per-sample browser) from a store; "
        "create a leaderboard repository (init); verify a submission's pull request (verify-pr).")


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
    init = actions.add_parser("init", help="create a leaderboard git repository (store, GitHub workflow, docs)",
                              description="Create DIR (absent or empty) as a git repository holding an empty store, "
                                          "a GitHub Actions workflow that verifies pull requests and publishes the "
                                          "site on GitHub Pages, its scripts, a README and a CONTRIBUTING page.")
    init.add_argument("dir", metavar="DIR", help="the repository folder to create")
    init.add_argument("--avbench", metavar="SPEC",
                      help="what the workflow installs with pip (default: this avbench's version, avbench==X.Y.Z)")
    check = actions.add_parser("verify-pr", help="verify a submission's pull request (the workflow's check)",
                               description="In a checkout of a pull request to a leaderboard repository: refuse any "
                                           "change but submissions/<id>.zip and store/entries/<id>/, verify each zip "
                                           "again and compare with the pull request's entry.")
    check.add_argument("--repo", default=".", metavar="DIR", help="the checkout (default: the current folder)")
    check.add_argument("--base", required=True, metavar="REF",
                       help="the branch the pull request goes into, e.g. origin/main")


def run(args: argparse.Namespace) -> int:
    if args.action == "init":
        from avbench.leaderboard.repo_init import init_repository

        committed = init_repository(args.dir, args.avbench)
        if not committed:
            print(f"note: git has no identity here: the files of {args.dir} are staged, not committed "
                  f"(set git config user.name and user.email, then `git -C {args.dir} commit`)")
        print(f"created leaderboard repository {args.dir}: push it to GitHub, set Settings → Pages → Source to "
              "GitHub Actions, and see its CONTRIBUTING.md")
        return 0
    if args.action == "verify-pr":
        from avbench.leaderboard.pr_check import verify_pull_request

        entries = verify_pull_request(args.repo, args.base)
        print(f"verified {len(entries)} submission(s): {', '.join(e.entry_id for e in entries)}")
        return 0
    from avbench.leaderboard.site import build_site

    summary = build_site(args.store, args.out, include_reported=not args.no_reported,
                         max_peak_plots=args.max_peak_plots, workers=args.workers)
    for note in summary.notes:
        print(f"note: {note}")
    print(f"leaderboard: {summary.n_entries} entries, benchmarks {', '.join(summary.benchmarks) or 'none'}, "
          f"per-sample browser for {len(summary.samples)} entries -> {summary.out}/index.html")
    return 0
