"""`avbench score`: per-sample and set metrics of a generated run, into a run directory."""
from __future__ import annotations

import argparse

from .common import (add_backend_arguments, add_benchmark_arguments, add_run_arguments, backend_from_args,
                     benchmark_from_args, parse_assignments, parse_weights)

NAME = "score"
HELP = "Score generated videos against a benchmark (resumable, shardable) into a run directory."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", metavar="DIR",
                        help="a folder of videos named <item_id>.mp4 (audio beside them as <item_id>.wav, else the "
                        "item's own), or a generated run folder (it holds generate.json or manifest.csv)")
    add_benchmark_arguments(parser)
    parser.add_argument("--inputs", metavar="RUN|CSV", help="a generated run folder or a manifest CSV (instead of DIR)")
    parser.add_argument("--name", help="the model's name in results.json, reports and `avbench pack` (default: "
                        "--model, else for DIR the folder's name)")
    parser.add_argument("--out", metavar="RUN_DIR", help="the run directory to write (default: runs/<name>)")
    parser.add_argument("--metrics", help="comma-separated metric names (default: the benchmark's list)")
    parser.add_argument("--metric-option", action="append", metavar="METRIC.KEY=VALUE",
                        help="override a metric option, e.g. fvd.preset=fvd/videogpt (repeatable)")
    parser.add_argument("--model", help="the same as --name")
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


def _inputs(args: argparse.Namespace):
    """(inputs path, model name, folder of plain videos or None) from DIR / --inputs / --name / --model."""
    from pathlib import Path

    from avbench.metrics.errors import AvbenchError

    from ..scoring.folder import is_run_folder

    if (args.folder is None) == (args.inputs is None):
        raise AvbenchError("give the videos to score: a folder DIR, or --inputs RUN|CSV (one of them)")
    if args.name and args.model and args.name != args.model:
        raise AvbenchError(f"--name {args.name} and --model {args.model} name the model twice; give one")
    inputs = Path(args.inputs if args.inputs is not None else args.folder)
    plain = args.inputs is None and not is_run_folder(inputs)
    name = args.name or args.model or (inputs.resolve().name if plain else None)
    return inputs, name, inputs if plain else None


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from ..scoring.run import score_run

    benchmark = benchmark_from_args(args)
    inputs, name, folder = _inputs(args)
    default = inputs.resolve() if inputs.is_dir() else inputs.resolve().parent  # a CSV: its run folder
    out = Path(args.out) if args.out else Path("runs") / (name or default.name)
    output = parse_assignments(args.output_spec, "--output-spec")
    notes: list[str] = []
    if folder is not None:
        from ..scoring.folder import folder_notes, link_folder

        linked = link_folder(benchmark, folder, out, output=output, progress=not args.quiet)
        inputs, notes = linked.inputs, folder_notes(linked, folder)
    metric_names = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    results = score_run(
        benchmark=benchmark, inputs=inputs, out=out, metric_names=metric_names,
        metric_options=parse_assignments(args.metric_option, "--metric-option"), model_name=name,
        output=output, reference=Path(args.reference) if args.reference else None,
        ref_stats={k: Path(v) for k, v in parse_assignments(args.ref_stats, "--ref-stats").items()},
        shard=args.shard, limit=args.limit, workers=args.workers, device=args.device, use_cache=not args.no_cache,
        progress=not args.quiet, weights=parse_weights(args.weights), backend=backend_from_args(args))
    from ..report.summary import summary_lines
    from ..report.terminal import print_table, run_table

    print("\n".join(summary_lines(results, out)))
    print_table(run_table(results, out))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0 if results["counts"]["scored"] else 1
