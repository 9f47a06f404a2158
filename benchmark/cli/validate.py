"""`avbench validate`: a dataset copy, inputs before scoring, or a finished run directory."""
from __future__ import annotations

import argparse

from .common import add_benchmark_arguments

NAME = "validate"
HELP = ("Check a run directory (RUN_DIR), inputs (--benchmark B --inputs RUN), or your dataset copy "
        "(--benchmark B [--data-root D]).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", nargs="?", metavar="RUN_DIR", help="a finished run directory to check")
    add_benchmark_arguments(parser, required=False)
    parser.add_argument("--inputs", metavar="RUN|CSV", help="generated run folder or manifest CSV to check")
    parser.add_argument("--output-spec", action="append", metavar="KEY=VALUE",
                        help="expected output (fps, frames, width, height, duration) instead of the protocol's")
    parser.add_argument("--quick", action="store_true", help="probe only; do not decode every frame")
    parser.add_argument("--json", metavar="OUT", help="write the findings as JSON (validation.json)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _print_items(report, what: str) -> None:
    for problem in report.problems:
        print(f"  {problem.sample_id or '-'}: {problem.error}")
    print(f"{what}: {report.checked} items checked, {report.ok} ok, {report.checked - report.ok} with problems")


def run(args: argparse.Namespace) -> int:
    import json

    from avbench.metrics.errors import AvbenchError
    from avbench.metrics.fileio import atomic_write

    from ..validate import validate_dataset, validate_inputs, validate_run
    from .common import benchmark_from_args, parse_assignments

    if args.run_dir:
        problems = validate_run(args.run_dir)
        findings: dict = {"run_dir": args.run_dir, "valid": not problems, "problems": problems}
        for problem in problems:
            print(f"  {problem}")
        print(f"{args.run_dir}: {'valid' if not problems else f'{len(problems)} problem(s)'}")
        ok = not problems
    elif args.benchmark:
        benchmark = benchmark_from_args(args)
        if args.inputs:
            from ..scoring.pipeline import model_record
            from ..scoring.run import read_generation

            model = model_record({}, benchmark, read_generation(args.inputs),
                                 parse_assignments(args.output_spec, "--output-spec"))
            from ..definition import OutputSpec

            report = validate_inputs(benchmark, args.inputs, OutputSpec(**model["output_spec"]), decode=not args.quick)
            _print_items(report, f"inputs {args.inputs} for {benchmark.id}")
        else:
            report = validate_dataset(benchmark, decode=not args.quick, progress=not args.quiet)
            _print_items(report, f"dataset {benchmark.id} at {benchmark.data_root}")
        findings = {"benchmark": benchmark.id, **report.to_dict()}
        ok = not report.problems
    else:
        raise AvbenchError("give a RUN_DIR, or --benchmark B (with --inputs RUN to check inputs)")
    if args.json:
        with atomic_write(args.json, "w") as fh:
            json.dump(findings, fh, indent=2)
    return 0 if ok else 1
