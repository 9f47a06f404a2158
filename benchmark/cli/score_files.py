"""`avbench score-files GEN [REF]`: FVD, FID, KID and FAD of a folder of generated media, and its
content metrics (IS, video IS, CLIPSIM, CLIPScore, audio-visual CLIP score; benchmark.content_scores)."""
from __future__ import annotations

import argparse
import sys

NAME = "score-files"
HELP = ("Score a folder of generated media against a reference folder or saved statistics (FVD, FID, KID, FAD) "
        "and by content (is, isv, clipsim, clipscore, av-semantic).")


def add_weights_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", action="append", default=[], metavar="NAME=PATH",
                        help="use this file for registered weights NAME (repeatable; see `avbench weights list`)")


def parse_weights(items: list[str]) -> dict[str, str]:
    from avbench.metrics.errors import AvbenchError

    paths = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise AvbenchError(f"--weights expects NAME=PATH, got {item!r}")
        paths[name] = path
    return paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("generated", metavar="GEN", help="folder of generated videos and/or audio files")
    parser.add_argument("reference", metavar="REF", nargs="?", help="folder of reference media")
    parser.add_argument("--metrics", default="fvd,fid,kid,fad",
                        help="comma-separated: fvd, fid, kid, fad, is, isv, clipsim, clipscore, av-semantic "
                             "(default %(default)s)")
    parser.add_argument("--preset", action="append", default=[], metavar="NAME",
                        help="preset to use instead of the metric's default, e.g. fvd/videogpt (repeatable)")
    parser.add_argument("--ref-stats", action="append", default=[], metavar="FILE",
                        help="reference statistics from `avbench stats build` (repeatable; each names its preset)")
    parser.add_argument("--labels", metavar="CSV",
                        help="video stem -> label and/or text (columns stem|sample_id|video, label, text); "
                             "needed by clipsim and clipscore, gives av-semantic its label set")
    parser.add_argument("--template", default="a video of {label}",
                        help="text of a labelled video for the CLIP scores (default %(default)r)")
    parser.add_argument("--clip-model", metavar="ID_OR_DIR",
                        help="CLIP model (Hugging Face id or local directory) instead of the preset's")
    add_weights_argument(parser)
    parser.add_argument("--device", default="cpu", help="torch device (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=16, help="network batch size (default %(default)s)")
    parser.add_argument("--offline", action="store_true", help="never download weights")
    parser.add_argument("--json", metavar="OUT", help="write results, errors and failed files as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from avbench.metrics.fileio import atomic_write

    from ..score_files import score_files

    if args.offline:
        os.environ["AVBENCH_OFFLINE"] = "1"
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    outcomes = _score(args, metrics)
    for outcome in outcomes:
        for result in outcome.results:
            print(result)
    errors = {k: v for outcome in outcomes for k, v in outcome.errors.items()}
    for metric, error in errors.items():
        print(f"{metric.upper()} not computed: {error}")
    failures = [f for outcome in outcomes for f in outcome.failures]
    if failures:
        print(f"{len(failures)} file(s) failed:", file=sys.stderr)
        for failure in failures:
            print(f"  [{failure.metric}] {failure.error}", file=sys.stderr)
    if args.json:
        merged = {"results": [], "errors": {}, "failures": []}
        for outcome in outcomes:
            part = outcome.to_dict()
            merged["results"] += part["results"]
            merged["errors"].update(part["errors"])
            merged["failures"] += part["failures"]
        with atomic_write(args.json, "w") as fh:
            json.dump(merged, fh, indent=2)
    return 1 if errors else 0


def _score(args: argparse.Namespace, metrics: list[str]) -> list:
    """Set metrics through `benchmark.score_files`, content metrics through `benchmark.content_scores`."""
    from avbench.metrics.errors import InputError

    from ..content_scores import CONTENT_METRICS, ContentOptions, score_content
    from ..labels import read_labels
    from ..score_files import METRICS as SET_METRICS
    from ..score_files import score_files

    known = (*SET_METRICS, *CONTENT_METRICS)
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise InputError(None, f"unknown metric {unknown[0]!r}; known: {', '.join(known)}")
    content_presets = {p for row in CONTENT_METRICS.values() for p in row.presets}
    weights_paths = parse_weights(args.weights)
    outcomes = []
    set_metrics = [m for m in metrics if m in SET_METRICS]
    if set_metrics:
        outcomes.append(score_files(
            args.generated, args.reference, set_metrics,
            preset_names=[p for p in args.preset if p not in content_presets], ref_stats=args.ref_stats,
            weights_paths=weights_paths, device=args.device, batch_size=args.batch_size, progress=not args.quiet,
        ))
    content = [m for m in metrics if m in CONTENT_METRICS]
    if content:
        options = ContentOptions(
            labels=read_labels(args.labels) if args.labels else {}, template=args.template,
            weights_paths=weights_paths, clip_model=args.clip_model, device=args.device,
            batch_size=args.batch_size, offline=True if args.offline else None,
        )
        outcomes.append(score_content(args.generated, content, [p for p in args.preset if p in content_presets],
                                      options, progress=not args.quiet))
    return outcomes
