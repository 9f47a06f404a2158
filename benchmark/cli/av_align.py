"""`avbench av-align PATH...`: AV-Align of videos against their paired audio."""
from __future__ import annotations

import argparse
import math
import sys

NAME = "av-align"
HELP = "Score videos with AV-Align (audio onset peaks vs optical-flow peaks)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from avbench.metrics.av_align.presets import DEFAULT_PRESET, PRESETS

    parser.add_argument("paths", nargs="*", metavar="PATH", help="video files or folders (searched recursively)")
    parser.add_argument("--audio-dir", help="folder of audio files paired to videos by stem")
    parser.add_argument("--manifest", help="CSV: sample_id,video_path,audio_path[,text,label]")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help="AV-Align preset (default %(default)s)")
    parser.add_argument("--fps", type=float, help="frame rate for the time axis instead of the container's")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    parser.add_argument("--json", metavar="OUT", help="write the run record as JSON")
    parser.add_argument("--csv", metavar="OUT", help="write one row per clip as CSV")
    parser.add_argument("--plot", metavar="DIR", help="write one PNG per clip: flow and onset envelope with peaks")
    parser.add_argument("--estimate-offset", action="store_true",
                        help="also sweep audio offsets and report per clip the offset with the best score and "
                        "its confidence (z-score of that score among the sweep)")
    parser.add_argument("--max-offset", type=float, default=1.0, metavar="S",
                        help="offset sweep range in seconds, each way (default %(default)s)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the signal cache")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def format_summary(result, n_failed: int) -> str:
    if math.isnan(result.value):
        mean = "undefined"
    else:
        lo, hi = result.ci95
        mean = f"{result.value:.4f}  (95% CI {lo:.4f}-{hi:.4f})"
    return (f"AV-Align [{result.preset}]: {mean}\n"
            f"clips scored: {result.n}, undefined (no peaks): {result.details['n_undefined']}, failed: {n_failed}")


def format_offsets(results, offsets) -> str:
    """One line per clip: the estimated audio offset (positive = audio late) and its confidence."""
    from pathlib import Path

    width = max(len(Path(r.video).name) for r in results)
    lines = [f"{'clip':<{width}}  {'offset (s)':>10}  {'frames':>7}  {'score':>6}  {'confidence':>10}"]
    for r in results:
        e = offsets[r.video]
        if math.isnan(e.offset):
            lines.append(f"{Path(r.video).name:<{width}}  {'undefined (no peaks)':>37}")
            continue
        lines.append(f"{Path(r.video).name:<{width}}  {e.offset:>+10.3f}  {e.offset_frames:>+7.2f}  {e.score:>6.3f}  "
                     f"{e.confidence:>10.2f}")
    return "audio offset (positive = audio later than video; confidence = z-score of the best score in the sweep)\n" + "\n".join(lines)


def samples_of(pairs) -> tuple[list, dict[str, str]]:
    """One sample per pair, named by its manifest id or its video path; a name listed again fails."""
    from avbench.metrics.metric import Sample

    samples, failures, seen = [], {}, set()
    for pair in pairs:
        name = pair.sample_id if pair.source == "manifest" else str(pair.video)
        if name in seen:
            failures[name] = f"{pair.video}: listed twice; scored once"
            continue
        seen.add(name)
        samples.append(Sample(name, pair.video, pair.audio, pair.label, pair.text))
    return samples, failures


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.metrics.av_align.metric import AVAlign
    from avbench.metrics.av_align.report import run_record, write_csv, write_json
    from avbench.metrics.errors import AvbenchError
    from avbench.metrics.media import pair_videos
    from avbench.metrics.metric import MapContext

    if not args.paths and not args.manifest:
        raise AvbenchError("give video files or folders, or --manifest")
    if args.fps is not None and not (args.fps > 0 and math.isfinite(args.fps)):
        raise AvbenchError(f"--fps must be a positive number, got {args.fps}")
    if not (args.max_offset > 0 and math.isfinite(args.max_offset)):
        raise AvbenchError(f"--max-offset must be a positive number of seconds, got {args.max_offset}")
    pairs = pair_videos(args.paths, audio_dir=args.audio_dir, manifest=args.manifest)
    if not pairs:
        raise AvbenchError("no video files found")
    samples, failures = samples_of(pairs)
    metric = AVAlign(args.preset, fps=args.fps, seed=args.seed)
    mapped = metric.map(samples, MapContext(workers=args.workers, use_cache=not args.no_cache, progress=not args.quiet))
    results = []
    for sample in samples:
        if sample.sample_id in mapped.features:
            features = mapped.features[sample.sample_id]
            metric.update_features(sample.sample_id, features)
            results.append(metric.clip_result(features, str(sample.video), "" if sample.audio is None else str(sample.audio)))
    failures.update(mapped.failures)
    summary = metric.compute()
    offsets = None
    if args.estimate_offset:
        from avbench.metrics.av_align.lags import estimate_offset

        offsets = {r.video: estimate_offset(r.audio_peaks, r.video_peaks, r.fps, metric.preset, args.max_offset)
                   for r in results}

    if args.json:
        write_json(run_record(summary, metric.describe(), results, failures, offsets, args.max_offset), args.json)
    if args.csv:
        write_csv(results, failures, metric.preset.name, args.csv, offsets)
    if args.plot:
        from avbench.metrics.av_align.plot import plot_clip

        out = Path(args.plot)
        for result in results:
            plot_clip(result, out / f"{Path(result.video).stem}.png")

    print(format_summary(summary, len(failures)))
    if offsets is not None:
        print(format_offsets(results, offsets))
    for error in failures.values():
        print(f"failed: {error}", file=sys.stderr)
    if not results:
        print(f"avbench av-align: no clip could be scored ({len(failures)} failed)", file=sys.stderr)
        return 1
    return 0
