"""`avbench av-align PATH...`: AV-Align of videos against their paired audio."""
from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Mapping, Sequence

from .common import add_backend_arguments, backend_from_args

if TYPE_CHECKING:  # imported where used: `avbench --help` stays fast
    from avbench.metrics.av_align.clip import ClipResult
    from avbench.benchmark.report.terminal import MetricLine
    from avbench.metrics.av_align.lags import OffsetEstimate
    from avbench.metrics.av_align.metric import AVAlign
    from avbench.metrics.av_align.report import ClipFailure
    from avbench.metrics.metric import MapResult, MetricResult, Sample

NAME = "av-align"
HELP = "Score videos with AV-Align (audio onset peaks vs optical-flow peaks)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from avbench.metrics.av_align.presets import DEFAULT_PRESET, FLOW_METHODS, PRESETS, TIME_AXES

    parser.add_argument("paths", nargs="*", metavar="PATH", help="video files or folders (searched recursively)")
    parser.add_argument("--audio-dir", help="folder of audio files paired to videos by stem")
    parser.add_argument("--manifest", help="CSV: sample_id,video_path,audio_path[,text,label]")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help="AV-Align preset (default %(default)s)")
    parser.add_argument("--fps", type=float, help="frame rate for the time axis instead of the container's")
    parser.add_argument("--time-axis", choices=TIME_AXES, default="frames",
                        help="where a video frame lies in time: frames = frame index / fps, as the official code and "
                        "every preset (default); timestamps = the frame's presentation timestamp, for "
                        "variable-frame-rate clips (not canonical: recorded in the parameters)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse clips that would be scored with a warning (frames that do not decode, variable "
                        "frame rate, audio length, cut-off or silent audio) instead of scoring them")
    parser.add_argument("--flow", choices=FLOW_METHODS, default="opencv",
                        help="optical flow: opencv = cv2's Farneback as the official code (default); torch = the same "
                        "algorithm written in torch, frame pairs batched on --flow-device, decoded by PyAV in a "
                        "background thread (not canonical: agrees with OpenCV to float rounding; recorded in the "
                        "parameters)")
    parser.add_argument("--flow-device", default="auto", metavar="DEVICE",
                        help="torch device for --flow torch: auto (a GPU where there is one, else the CPU), cpu, cuda, "
                        "cuda:N (default %(default)s)")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    parser.add_argument("--json", metavar="OUT", help="write the run record as JSON")
    parser.add_argument("--csv", metavar="OUT", help="write one row per clip as CSV")
    parser.add_argument("--plot", metavar="DIR", help="write one PNG per clip, named by its sample id "
                        "(percent-encoded): flow and onset envelope with peaks")
    parser.add_argument("--estimate-offset", action="store_true",
                        help="also sweep audio offsets and report per clip the offset with the best score and "
                        "its confidence (z-score of that score among the sweep)")
    parser.add_argument("--max-offset", type=float, default=1.0, metavar="S",
                        help="offset sweep range in seconds, each way (default %(default)s)")
    parser.add_argument("--segment-frames", type=int, metavar="N",
                        help="score every video as consecutive N-frame samples (a sample sheet, e.g. 17 for "
                        "MM-Diffusion's), each named <sample id>#000, #001, ... with the audio of its time span; "
                        "a remainder shorter than N frames is dropped (as `avbench validity --segment-frames`)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the signal cache")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_arguments(parser)


def format_summary(result, n_failed: int, time_axis: str = "frames", flow: str = "opencv") -> str:
    if math.isnan(result.value):
        mean = "undefined"
    else:
        lo, hi = result.ci95
        mean = f"{result.value:.4f}  (95% CI {lo:.4f}-{hi:.4f})"
    axis = "" if time_axis == "frames" else f", time axis {time_axis}: not canonical"
    axis += "" if flow == "opencv" else f", flow {flow}: not canonical"
    return (f"AV-Align [{result.preset}{axis}]: {mean}\n"
            f"clips scored: {result.n}, undefined (no peaks): {result.details['n_undefined']}, "
            f"with warnings: {result.details['n_warned']}, failed: {n_failed}")


def format_offsets(results: Mapping[str, ClipResult], offsets: Mapping[str, OffsetEstimate]) -> str:
    """One line per clip (by sample id): the estimated audio offset (positive = audio late) and its confidence."""
    width = max(len(sample_id) for sample_id in results)
    lines = [f"{'clip':<{width}}  {'offset (s)':>10}  {'frames':>7}  {'score':>6}  {'confidence':>10}"]
    for sample_id in results:
        e = offsets[sample_id]
        if math.isnan(e.offset):
            lines.append(f"{sample_id:<{width}}  {'undefined (no peaks)':>37}")
            continue
        lines.append(f"{sample_id:<{width}}  {e.offset:>+10.3f}  {e.offset_frames:>+7.2f}  {e.score:>6.3f}  "
                     f"{e.confidence:>10.2f}")
    return "audio offset (positive = audio later than video; confidence = z-score of the best score in the sweep)\n" + "\n".join(lines)


def summary_line(summary: MetricResult, results: Mapping[str, ClipResult], n_failed: int) -> MetricLine:
    """The terminal table's line of a run: the summary's score, failures, lowest and highest clips."""
    from avbench.benchmark.report.summary import metric_label
    from avbench.benchmark.report.table import Score
    from avbench.benchmark.report.terminal import MetricLine, extremes

    score = Score(None if math.isnan(summary.value) else summary.value, summary.higher_is_better, summary.ci95,
                  summary.n, summary.preset, summary.version, summary.title)
    ends = extremes({sample_id: r.score for sample_id, r in results.items()})
    return MetricLine(metric_label(vars(summary)), score, n_failed, *(ends or (None, None)))


def plot_file(sample_id: str) -> str:
    """The PNG name of a sample's plot: its id percent-encoded, so an id holding `/` stays one
    file and two ids never share a name."""
    from urllib.parse import quote

    return f"{quote(sample_id, safe='')}.png"


def score_mapped(metric: AVAlign, samples: Sequence[Sample],
                 mapped: MapResult) -> tuple[dict[str, ClipResult], list[ClipFailure]]:
    """Every listed sample in order: scored once from its signals and added to `metric` under its
    id, or recorded with the reason the runner gave. The runner keeps the first listing of a
    repeated id and refuses the others, so those are recorded as failed."""
    from avbench.metrics.av_align.report import ClipFailure

    results: dict[str, ClipResult] = {}
    failures: list[ClipFailure] = []
    for sample in samples:
        audio = "" if sample.audio is None else str(sample.audio)
        features = mapped.features.get(sample.sample_id)
        if features is not None and sample.sample_id not in results:
            # Not `scoring.add_samples`: the records need each clip's peaks, and adding the scored
            # clip stores the payload `update_features` would, without scoring it a second time.
            result = metric.clip_result(features, str(sample.video), audio)
            metric.update(result, sample.sample_id)
            results[sample.sample_id] = result
        else:
            failures.append(ClipFailure(sample.sample_id, str(sample.video), audio, mapped.failures[sample.sample_id]))
    return results, failures


def score_segments(metric: AVAlign, samples: Sequence[Sample], mapped: MapResult,
                   frames: int) -> tuple[dict[str, ClipResult], list[ClipFailure]]:
    """`score_mapped` for sample sheets: every listed sample cut into consecutive `frames`-frame
    segments (`validity.clips.segment`: the trajectory as if each segment were its own file, the
    audio of its time span), each scored and added to `metric` as sample `<id>#<k:03d>`. A
    segment whose audio AV-Align refuses (silent, too short) fails on its own."""
    from avbench.benchmark.validity.clips import StudyClip, segment
    from avbench.metrics.av_align.clip import ClipSignals
    from avbench.metrics.av_align.clip_checks import check_envelope, check_waveform
    from avbench.metrics.av_align.onsets import onset_envelope
    from avbench.metrics.av_align.report import ClipFailure
    from avbench.metrics.av_align.runner import audio_source, clip_waveform
    from avbench.metrics.errors import InputError

    import numpy as np

    results: dict[str, ClipResult] = {}
    failures: list[ClipFailure] = []
    onset = metric.preset.onset
    cut: set[str] = set()
    for sample in samples:
        audio = "" if sample.audio is None else str(sample.audio)
        features = mapped.features.get(sample.sample_id)
        if features is None or sample.sample_id in cut:  # a repeated id: the runner refused the later listings
            failures.append(ClipFailure(sample.sample_id, str(sample.video), audio, mapped.failures[sample.sample_id]))
            continue
        cut.add(sample.sample_id)
        whole = ClipSignals.from_features(features)
        try:
            waveform = clip_waveform(sample, metric.preset)
        except InputError as exc:
            failures.append(ClipFailure(sample.sample_id, str(sample.video), audio, str(exc)))
            continue
        clip = StudyClip(sample.sample_id, str(sample.video), whole.trajectory, whole.fps, waveform)
        for piece in segment(clip, frames, onset.sample_rate):
            try:
                check_waveform(f"{audio_source(sample)} ({piece.name})", piece.waveform, onset)
                with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
                    envelope = onset_envelope(piece.waveform, onset)
                check_envelope(audio_source(sample), envelope, float(np.max(np.abs(piece.waveform))))
            except InputError as exc:
                failures.append(ClipFailure(piece.name, str(sample.video), audio, str(exc)))
                continue
            signals = ClipSignals(piece.trajectory, envelope, whole.fps, piece.n_frames, whole.envelope_rate,
                                  whole.decoder, None, whole.warnings)
            result = metric.clip_result(signals.to_features(), str(sample.video), audio)
            metric.update(result, piece.name)
            results[piece.name] = result
    return results, failures


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.metrics.av_align.metric import AVAlign
    from avbench.benchmark.report.terminal import print_table
    from avbench.metrics.av_align.report import ClipFailure, run_record, write_csv, write_json
    from avbench.metrics.errors import AvbenchError
    from avbench.metrics.media import pair_videos
    from avbench.metrics.metric import MapContext
    from avbench.metrics.scoring import map_features

    if not args.paths and not args.manifest:
        raise AvbenchError("give video files or folders, or --manifest")
    if args.fps is not None and not (args.fps > 0 and math.isfinite(args.fps)):
        raise AvbenchError(f"--fps must be a positive number, got {args.fps}")
    if args.segment_frames is not None and args.time_axis != "frames":
        raise AvbenchError("--segment-frames cuts by frame index: it takes the frames time axis only")
    if not (args.max_offset > 0 and math.isfinite(args.max_offset)):
        raise AvbenchError(f"--max-offset must be a positive number of seconds, got {args.max_offset}")
    pairs = pair_videos(args.paths, audio_dir=args.audio_dir, manifest=args.manifest)
    if not pairs:
        raise AvbenchError("no video files found")
    unusable = [ClipFailure(p.sample_id, str(p.video), "" if p.audio is None else str(p.audio), p.problem)
                for p in pairs if p.problem is not None]
    samples = [pair.to_sample() for pair in pairs if pair.problem is None]
    metric = AVAlign(args.preset, fps=args.fps, time_axis=args.time_axis, strict=args.strict, flow=args.flow,
                     flow_device=args.flow_device, seed=args.seed)
    context = MapContext(workers=args.workers, use_cache=not args.no_cache, progress=not args.quiet,
                         backend=backend_from_args(args))
    mapped = map_features(metric, samples, context)
    if args.segment_frames is None:
        results, failures = score_mapped(metric, samples, mapped)
    else:
        results, failures = score_segments(metric, samples, mapped, args.segment_frames)
    failures = unusable + failures
    summary = metric.compute()
    offsets = None
    if args.estimate_offset:
        from avbench.metrics.av_align.lags import estimate_offset

        offsets = {sample_id: estimate_offset(r.audio_peaks, r.video_peaks, r.fps, metric.preset, args.max_offset)
                   for sample_id, r in results.items()}

    if args.json:
        write_json(run_record(summary, metric.describe(), results, failures, offsets, args.max_offset), args.json)
    if args.csv:
        write_csv(results, failures, metric.preset.name, args.csv, offsets)
    if args.plot:
        from avbench.metrics.av_align.plot import plot_clip

        for sample_id, result in results.items():
            plot_clip(result, Path(args.plot) / plot_file(sample_id), sample_id, metric.preset)

    print(format_summary(summary, len(failures), args.time_axis, args.flow))
    if offsets:
        print(format_offsets(results, offsets))
    print_table([summary_line(summary, results, len(failures))])
    for sample_id, result in results.items():
        for warning in result.warnings:
            print(f"warning: {sample_id}: {warning}", file=sys.stderr)
    if not results and len(failures) == 1:  # a lone clip refused: one line, its reason
        print(f"avbench av-align: no clip could be scored: {failures[0].error}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"failed: {failure.error}", file=sys.stderr)
    if not results:
        print(f"avbench av-align: no clip could be scored ({len(failures)} failed)", file=sys.stderr)
        return 1
    return 0
