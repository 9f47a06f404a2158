"""`avbench score`: per-sample and set metrics of a generated run, into a run directory."""
from __future__ import annotations

import argparse

from .common import (add_backend_arguments, add_benchmark_arguments, add_run_arguments, backend_from_args,
                     benchmark_from_args, parse_assignments, parse_weights)

NAME = "score"
HELP = "Score generated videos against a benchmark (resumable, shardable) into a run directory."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_benchmark_arguments(parser)
    parser.add_argument("--inputs", required=True, metavar="RUN|CSV", help="a generated run folder or a manifest CSV")
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="the run directory to write")
    parser.add_argument("--metrics", help="comma-separated metric names (default: the benchmark's list)")
    parser.add_argument("--metric-option", action="append", metavar="METRIC.KEY=VALUE",
                        help="override a metric option, e.g. fvd.preset=fvd/videogpt (repeatable)")
    parser.add_argument("--model", help="model name to record when the inputs have no generate.json")
    parser.add_argument("--output-spec", action="append", metavar="KEY=VALUE",
                        help="expected output (fps, frames, width, height, duration) instead of the protocol's")
    parser.add_argument("--reference", metavar="RUN", help="generated real clips for the set metrics' reference "
                                                           "(default: the `real` control, generated into the cache)")
    parser.add_argument("--ref-stats", action="append", metavar="METRIC=FILE",
                        help="reference statistics from `avbench stats build` (repeatable)")
    parser.add_argument("--shard", metavar="i/N", help="score only shard i of N; combine shards with `avbench merge`")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N items (marks the run non-reportable)")
    add_run_arguments(parser)
    add_backend_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..scoring.run import score_run

    metric_names = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    results = score_run(
        benchmark=benchmark_from_args(args), inputs=Path(args.inputs), out=Path(args.out), metric_names=metric_names,
        metric_options=parse_assignments(args.metric_option, "--metric-option"), model_name=args.model,
        output=parse_assignments(args.output_spec, "--output-spec"),
        reference=Path(args.reference) if args.reference else None,
        ref_stats={k: Path(v) for k, v in parse_assignments(args.ref_stats, "--ref-stats").items()},
        shard=args.shard, limit=args.limit, workers=args.workers, device=args.device, use_cache=not args.no_cache,
        progress=not args.quiet, weights=parse_weights(args.weights), backend=backend_from_args(args))
    from ..report.summary import summary_lines

    print("\n".join(summary_lines(results, Path(args.out))))
    return 0 if results["counts"]["scored"] else 1
