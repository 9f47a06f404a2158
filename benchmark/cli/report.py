"""`avbench report RUN_DIR...`: one table over runs, and plots."""
from __future__ import annotations

import argparse

NAME = "report"
HELP = "Tables (md, csv, latex, html) and plots (PNG + SVG) over finished run directories."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="finished run directories")
    parser.add_argument("--format", default="md,csv,latex,html", help="comma-separated formats (default %(default)s)")
    parser.add_argument("--out", default="report", help="folder for the report (default %(default)s)")
    parser.add_argument("--no-plots", action="store_true", help="tables only")


def run(args: argparse.Namespace) -> int:
    from ..report.write import write_report

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    written = write_report(args.runs, args.out, formats, plots=not args.no_plots)
    md = [p for p in written if p.suffix == ".md"]
    if md:
        print(md[0].read_text(encoding="utf-8"))
    print(f"report: {len(written)} files in {args.out}")
    return 0
