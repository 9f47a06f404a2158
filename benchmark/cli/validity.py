"""`avbench validity [CLIPS...] --out DIR`: how well each AV-Align preset tells synced from unsynced pairs."""
from __future__ import annotations

import argparse
import math

from .common import add_backend_arguments, backend_from_args

NAME = "validity"
HELP = ("Measure how well each AV-Align preset separates synced audio-video pairs from shifted and "
        "mismatched ones (AUROC with CIs, accuracy, per shift size and fps; tables and plots).")


def _numbers(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if any(not (v > 0 and math.isfinite(v)) for v in values):
        raise argparse.ArgumentTypeError(f"shifts must be positive numbers, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="CLIP",
                        help="videos with audio, or folders (searched recursively); none = the built-in synthetic set")
    parser.add_argument("--out", required=True, help="folder for report.md, CSV/JSON tables and PNG plots")
    parser.add_argument("--audio-dir", help="folder of audio files paired to videos by stem")
    parser.add_argument("--manifest", help="CSV: sample_id,video_path,audio_path[,text,label]")
    parser.add_argument("--fps", type=float, help="frame rate for the time axis instead of the container's")
    parser.add_argument("--segment-frames", type=int, metavar="N",
                        help="cut every video into consecutive N-frame clips (no re-encoding), e.g. 17 for the "
                        "MM-Diffusion sample sheets")
    parser.add_argument("--segment-audio", choices=("time", "stretch"), default="time",
                        help="cut a segment's audio by its time span (default), or at the same fractions of the "
                        "audio track's length (sample sheets whose per-sample audio is shorter than the video, "
                        "like MM-Diffusion's)")
    parser.add_argument("--presets", help="comma-separated presets (default: all)")
    parser.add_argument("--shift-frames", type=_numbers, default=(1.0, 2.0, 4.0), metavar="K,...",
                        help="audio shifts in frames, each applied both ways (default 1,2,4)")
    parser.add_argument("--shift-seconds", type=_numbers, default=(0.5,), metavar="S,...",
                        help="audio shifts in seconds, each applied both ways (default 0.5)")
    parser.add_argument("--ablation", action="store_true",
                        help="also score the calibrated preset's ablation configs (dev / held-out split)")
    parser.add_argument("--synthetic-n", type=int, default=96, help="clips in the built-in synthetic set (default %(default)s)")
    parser.add_argument("--synthetic-seed", type=int, default=0, help="seed of the synthetic set (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the partner audio and the bootstrap (default %(default)s)")
    parser.add_argument("--n-resamples", type=int, default=2000, help="bootstrap resamples (default %(default)s)")
    parser.add_argument("--title", help="title of the report (default: the inputs)")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the flow cache")
    parser.add_argument("--no-plots", action="store_true", help="tables only")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_backend_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from avbench.metrics.errors import AvbenchError
    from avbench.metrics.media import pair_videos

    from ..validity.clips import synthetic_samples
    from ..validity.run import run_validity
    from ..validity.study import StudySettings

    if args.fps is not None and not (args.fps > 0 and math.isfinite(args.fps)):
        raise AvbenchError(f"--fps must be a positive number, got {args.fps}")
    if args.paths or args.manifest:
        pairs = pair_videos(args.paths, audio_dir=args.audio_dir, manifest=args.manifest)
        samples = [pair.to_sample() for pair in pairs]
        title = args.title or ", ".join(Path(p).name for p in (args.paths or [args.manifest]))
    else:
        if args.synthetic_n < 2:
            raise AvbenchError("--synthetic-n must be at least 2")
        samples = synthetic_samples(args.synthetic_n, args.synthetic_seed)
        title = args.title or f"built-in synthetic set ({args.synthetic_n} clips, seed {args.synthetic_seed})"
    if not samples:
        raise AvbenchError("no video files found")
    settings = StudySettings(shift_frames=args.shift_frames, shift_seconds=args.shift_seconds, seed=args.seed,
                             n_resamples=args.n_resamples)
    presets = [v.strip() for v in args.presets.split(",")] if args.presets else None
    outcome = run_validity(samples, args.out, title, presets, settings, ablation=args.ablation, fps=args.fps,
                           segment_frames=args.segment_frames, segment_audio=args.segment_audio,
                           workers=args.workers or os.cpu_count() or 1, use_cache=not args.no_cache,
                           progress=not args.quiet, plots=not args.no_plots, backend=backend_from_args(args))
    for error in outcome.failures.values():
        print(f"skipped: {error}", file=sys.stderr)
    overall = outcome.summary[outcome.summary["facet"] == "all"]
    n_presets = max(len(overall), 1)
    print(f"AV-Align validity: {title}: {outcome.n_clips} clips, {len(outcome.scores) // n_presets} pairs per preset")
    for _, r in overall.iterrows():
        ci = f"[{r['ci95_low']:.3f}, {r['ci95_high']:.3f}]" if math.isfinite(r["ci95_low"]) else ""
        print(f"  {r['preset']:<18} AUROC {r['auroc']:.3f} {ci}  balanced acc. {r['balanced_accuracy']:.3f}")
    print(f"wrote {len(outcome.written)} files to {args.out} (report.md)")
    return 0
