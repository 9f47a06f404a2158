"""`avbench score-files GEN [REF]`: any catalogue metric over a folder of generated media (FVD,
FID, KID, FAD against a reference folder or saved reference states), through
`avbench.metrics.score_folders`."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import add_weights_argument, parse_assignments, parse_weights

NAME = "score-files"
HELP = ("Score a folder of generated media with any metric (`avbench ls metrics`): FVD, FID, KID, FAD against a "
        "reference folder or saved reference states; AV-Align, IS, video IS, CLIP scores by content.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("generated", metavar="GEN", help="folder of generated videos and/or audio files")
    parser.add_argument("reference", metavar="REF", nargs="?", help="folder of reference media")
    parser.add_argument("--metrics", default="fvd,fid,kid,fad",
                        help="comma-separated metric names (see `avbench ls metrics`; default %(default)s)")
    parser.add_argument("--preset", action="append", default=[], metavar="NAME",
                        help="preset to use instead of its metric's default, e.g. fvd/videogpt (repeatable; "
                             "two presets of one metric compute both)")
    parser.add_argument("--metric-option", action="append", metavar="METRIC.KEY=VALUE",
                        help="a metric option, e.g. av_align.fps=12 (repeatable)")
    parser.add_argument("--ref-stats", action="append", default=[], metavar="FILE",
                        help="reference state from `avbench stats build` (repeatable; each names its preset)")
    parser.add_argument("--labels", metavar="CSV",
                        help="video stem -> label and/or text (columns stem|sample_id|video, label, text); "
                             "needed by clipsim and clipscore, gives av_semantic its label set")
    parser.add_argument("--template", default="a video of {label}",
                        help="text of a labelled video for the CLIP scores (default %(default)r)")
    parser.add_argument("--clip-model", metavar="ID_OR_DIR",
                        help="CLIP model (Hugging Face id or local directory) instead of the presets'")
    add_weights_argument(parser)
    parser.add_argument("--device", default="cpu", help="torch device (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=16, help="network batch size (default %(default)s)")
    parser.add_argument("--workers", type=int, help="worker processes for AV-Align (default: one per core)")
    parser.add_argument("--offline", action="store_true", help="never download weights")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    parser.add_argument("--json", metavar="OUT", help="write results, errors and failed files as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from avbench.metrics.catalogue import canonical, metric_class, option_names, options_by_metric
    from avbench.metrics.fileio import atomic_write
    from avbench.metrics.scoring import score_folders

    from ..labels import label_set, read_labels

    if args.offline:
        os.environ["AVBENCH_OFFLINE"] = "1"
    metrics = list(dict.fromkeys(canonical(m) for m in args.metrics.split(",") if m.strip()))
    options = options_by_metric(parse_assignments(args.metric_option, "--metric-option"), metrics)
    if args.clip_model:
        for name in metrics:
            if "clip_model" in (option_names(metric_class(name)) or ()):
                options.setdefault(name, {}).setdefault("clip_model", args.clip_model)
    table = read_labels(args.labels) if args.labels else {}
    report = score_folders(
        args.generated, args.reference, metrics, presets=args.preset, options=options, reference_states=args.ref_stats,
        labels={k: v.label for k, v in table.items() if v.label}, texts={k: v.text for k, v in table.items() if v.text},
        label_set=label_set(table), template=args.template, weights=parse_weights(args.weights), device=args.device, batch_size=args.batch_size,
        workers=args.workers, use_cache=not args.no_cache, progress=not args.quiet)
    for result in report.results.values():
        print(result)
    for key, error in report.errors.items():
        print(f"{key} not computed: {error}")
    for key, by_sample in report.warnings.items():
        print(f"{key}: {len(by_sample)} sample(s) scored with warnings:", file=sys.stderr)
        for lines in by_sample.values():
            for line in lines:
                print(f"  [{key}] warning: {line}", file=sys.stderr)
    if report.failures:
        print(f"{len({f.sample_id for f in report.failures})} sample(s) failed:", file=sys.stderr)
        for failure in report.failures:
            print(f"  [{failure.stage}] {failure.error}", file=sys.stderr)
    if args.json:
        with atomic_write(args.json, "w") as fh:
            json.dump(_finite(report.to_dict()), fh, indent=2, allow_nan=False)
    return 1 if report.errors else 0


def _finite(data: Any) -> Any:
    """`data` with every non-finite number (an undefined AV-Align clip's NaN) as None: JSON has no NaN."""
    from .. import run_dir as rd

    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    if isinstance(data, float):
        return rd.finite_or_none(data)
    return data
