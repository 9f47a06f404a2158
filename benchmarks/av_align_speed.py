"""AV-Align speed and memory of the `avbench` command as a user runs it, measured in one run.

Every avbench figure times the installed `avbench` command in a fresh process (interpreter and
import start-up, the worker pool's start, unequal clip lengths: all counted), on synthetic clips
with audio events and motion (`avbench.benchmark.synthetic`). Each figure comes from this one
run; the machine (cores, CPU model, load) is printed first, since a shared machine is noisy.

1. Official vs avbench, on `--clips` clips of mixed sizes (128-512 px wide), frame rates
   (8-30 fps) and lengths (24 to `--max-frames` frames), plus one clip 10x longer than the
   longest of the others (counted in `--clips`):
   - the official algorithm: one fresh interpreter running a plain restatement of the official
     `av_align.py` (github guyyariv/TempoTokens) over every clip in turn, as its script's loop
     does: the same imports (librosa.display loads matplotlib), all frames held in memory, both
     frames of every pair converted to gray, the first pair computed twice, librosa onsets;
   - `avbench av-align DIR --quiet --json OUT`, a fresh empty `AVBENCH_CACHE`, default workers;
   - the speed-up (target >= 1.8x on 2 cores, >= 0.9 x cores above that);
   - the per-clip scores of both, compared exactly (avbench reproduces the official algorithm:
     every clip identical). The script exits 1 when a clip is missing or differs.
2. Cached re-run: `avbench av-align DIR --quiet --preset tempotokens-2023` right after (1), on
   the same cache (target < 1 s).
3. `avbench --help`: median wall time of 5 runs (target < 0.5 s).
4. Per-worker overhead, in this process (not the CLI): the bare Farneback calls on pre-decoded
   grayscale frames of every clip (the floor), against what one worker does per clip (hash,
   probe, decode, gray, flow, magnitude, audio onsets; `measure_clip`, warmed, no cache), both
   with one OpenCV thread as a worker has (target <= 15%); and the CLI run of (1) against the
   same floor (its wall time x workers): what start-up, the pool and uneven clips add.
5. One long clip on every core: a `--long-seconds` 720p h264 clip at 12 fps, `avbench av-align
   CLIP --no-cache --quiet` with `--workers 1` and with default workers (one per core): both
   wall times and their ratio (target >= 1.7x on 2 cores: one clip split across workers).
6. Peak RSS of the `--workers 1` run of (5): the largest process of the command (target < 500 MB).

`--official PATH` times the real `av_align.py` instead of the restatement in (1), run as its
README says: `python PATH --input_dir DIR/` (the trailing separator is needed: it globs
`input_dir + '*.mp4'` and reads each clip's audio from the same-stem `.wav` beside it). It
prints only the mean, so the per-clip scores are then taken, untimed, from a second fresh
interpreter that imports its functions (`extract_frames`, `detect_audio_peaks`,
`detect_video_peaks`, `calc_intersection_over_union`) and calls them per clip as its loop does.

Usage: python benchmarks/av_align_speed.py [--clips 20] [--max-frames 120] [--long-seconds 120]
       [--official PATH/TO/av_align.py]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

# The top of this file imports the standard library only: `--score-clips` runs it in a fresh
# interpreter as the official algorithm's process, which must not pay for avbench's imports.

FPS_CHOICES = (8, 10, 12, 15, 24, 25, 30)
LONG_SIZE, LONG_FPS = (320, 240), 24  # the mixed set's long clip
LONG720_FPS = 12


def plain_official_algorithm(video: Path, audio: Path) -> float:
    """AV-Align of one clip as the official code computes it: all frames in memory; flow of
    every pair with gray conversion of both frames; the first pair computed twice; librosa
    onsets; 2025 matching."""
    import cv2
    import librosa

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)

    def flow(a, b):
        f = cv2.calcOpticalFlowFarneback(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), cv2.cvtColor(b, cv2.COLOR_BGR2GRAY),
                                         None, 0.5, 3, 15, 3, 5, 1.2, 0)
        return cv2.mean(cv2.magnitude(f[..., 0], f[..., 1]))[0]

    traj = [flow(frames[0], frames[1])] + [flow(frames[i - 1], frames[i]) for i in range(1, len(frames))]
    video_peaks = [i / fps for i in range(1, len(traj) - 1) if traj[i - 1] < traj[i] > traj[i + 1] and traj[i] >= 0.1]
    y, sr = librosa.load(str(audio))
    env = librosa.onset.onset_strength(y=y, sr=sr)
    audio_peaks = librosa.frames_to_time(librosa.onset.onset_detect(onset_envelope=env, sr=sr), sr=sr)
    used, inter = [False] * len(video_peaks), 0
    for a in audio_peaks:
        for j, v in enumerate(video_peaks):
            if not used[j] and v - 1 / fps < a < v + 1 / fps:
                used[j], inter = True, inter + 1
                break
    return inter / (len(audio_peaks) + len(video_peaks) - inter)


def official_functions(path: str):
    """A per-clip scorer calling the functions of the official `av_align.py` at `path`, as its loop does."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("official_av_align", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def score(video: Path, audio: Path) -> float:
        frames, fps = module.extract_frames(str(video))
        audio_peaks = module.detect_audio_peaks(str(audio))
        _, video_peaks = module.detect_video_peaks(frames, fps)
        return module.calc_intersection_over_union(audio_peaks, video_peaks, fps)

    return score


def score_clips(folder: Path, official: str | None) -> None:
    """`--score-clips`: every `*.mp4` of `folder` with its same-stem `.wav`, one after another in
    this process; prints `{stem: score}` as JSON."""
    if official is None:
        import cv2  # noqa: F401  the official script's imports, loaded up front as it does
        import librosa  # noqa: F401
        import librosa.display  # noqa: F401

        score = plain_official_algorithm
    else:
        score = official_functions(official)
    scores = {video.stem: score(video, video.with_suffix(".wav")) for video in sorted(folder.glob("*.mp4"))}
    print(json.dumps(scores))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `command`; its wall seconds, the peak RSS (MB) of its largest process (itself or a
    descendant it waited for) and its stdout. Fails on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{stdout}{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout


def avbench_command() -> str:
    """The `avbench` command installed beside this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).with_name("avbench")
    found = str(beside) if beside.exists() else shutil.which("avbench")
    if found is None:
        raise SystemExit("no `avbench` command beside this Python or on PATH: install avbench first")
    return found


def machine() -> str:
    cores = os.cpu_count() or 1
    model = "CPU model unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = f", load average {os.getloadavg()[0]:.2f} at start" if hasattr(os, "getloadavg") else ""
    return f"machine: {cores} cores, {model}{load}"


def make_clips(folder: Path, n_clips: int, max_frames: int) -> list:
    """`n_clips - 1` clips spread over 128-512 px wide (4:3 or 16:9), 8-30 fps and 24 to
    `max_frames` frames, and one clip 10x as long as the longest of them; returns their specs."""
    import numpy as np

    from avbench.benchmark.synthetic import SyntheticClip, write_clip

    rng = np.random.default_rng(0)
    n = max(n_clips - 1, 1)
    widths = np.linspace(128, 512, n).round().astype(int) // 2 * 2
    lengths = rng.permutation(np.linspace(24, max(max_frames, 24), n).round().astype(int))
    clips = []
    for k, (width, n_frames) in enumerate(zip(widths, lengths)):
        height = int(width * (3 / 4 if k % 2 else 9 / 16)) // 2 * 2
        fps = FPS_CHOICES[k % len(FPS_CHOICES)]
        clips.append(SyntheticClip(name=f"clip{k:02d}", n_frames=int(n_frames), width=int(width), height=height,
                                   fps=Fraction(fps), event_frames=event_frames(int(n_frames), fps), seed=k))
    long_frames = 10 * int(lengths.max())
    clips.append(SyntheticClip(name="long", n_frames=long_frames, width=LONG_SIZE[0], height=LONG_SIZE[1],
                               fps=Fraction(LONG_FPS), event_frames=event_frames(long_frames, LONG_FPS), seed=n))
    for clip in clips:
        write_clip(clip, folder)
    return clips


def event_frames(n_frames: int, fps: int) -> tuple[int, ...]:
    """Visual (and sound) events about every 0.3 s, at least 4 frames apart."""
    return tuple(range(4, n_frames - 3, max(4, round(0.3 * fps))))


def in_process_overhead(folder: Path) -> tuple[float, float]:
    """Seconds of the bare Farneback calls on every clip's pre-decoded gray frames (the floor),
    and of one worker's `measure_clip` on every clip (warmed, no cache), one OpenCV thread."""
    import cv2

    from avbench.metrics.av_align import get_preset
    from avbench.metrics.av_align.runner import measure_clip
    from avbench.metrics.media import pair_videos

    cv2.setNumThreads(1)  # as in a worker
    floor = 0.0
    for video in sorted(folder.glob("*.mp4")):
        cap = cv2.VideoCapture(str(video))
        grays = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            grays.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        start = time.perf_counter()
        for i in range(1, len(grays)):
            cv2.calcOpticalFlowFarneback(grays[i - 1], grays[i], None, 0.5, 3, 15, 3, 5, 1.2, 0)
        floor += time.perf_counter() - start

    preset = get_preset("tempotokens-2025")
    samples = [pair.to_sample() for pair in pair_videos([folder])]
    measure_clip(samples[0], preset, use_cache=False)  # warm this process
    start = time.perf_counter()
    for sample in samples:
        measure_clip(sample, preset, use_cache=False)
    return floor, time.perf_counter() - start


def long_clip(folder: Path, seconds: int) -> tuple[Path, int]:
    from avbench.benchmark.synthetic import SyntheticClip, write_clip

    n = seconds * LONG720_FPS
    clip = SyntheticClip(name="long720p", n_frames=n, width=1280, height=720, fps=Fraction(LONG720_FPS),
                         event_frames=tuple(range(6, n - 3, 17)), jump_px=2, codec="h264")
    video, _ = write_clip(clip, folder)
    return video, n


def speed_up_target(cores: int) -> str:
    return ">= 1.8x" if cores <= 2 else f">= {0.9 * cores:.1f}x (0.9 x {cores} cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=20, help="clips in the mixed set, the long one included (>= 2)")
    parser.add_argument("--max-frames", type=int, default=120,
                        help="longest clip but the long one, in frames (the shortest has 24)")
    parser.add_argument("--long-seconds", type=int, default=120, help="length of the 720p clip of (5) and (6)")
    parser.add_argument("--official", metavar="PATH", help="the official av_align.py, timed instead of the restatement")
    parser.add_argument("--score-clips", metavar="DIR", help=argparse.SUPPRESS)  # the timed official process
    args = parser.parse_args()
    if args.score_clips:
        score_clips(Path(args.score_clips), args.official)
        return
    if args.clips < 2:
        parser.error("--clips must be at least 2")
    cores = os.cpu_count() or 1
    avbench = avbench_command()
    print(machine())

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "AVBENCH_CACHE": str(tmp / "cache")}
        folder = tmp / "clips"
        clips = make_clips(folder, args.clips, args.max_frames)
        rest, long = clips[:-1], clips[-1]
        print(f"{len(clips)} clips, {sum(c.n_frames for c in clips)} frames: {len(rest)} of "
              f"{min(c.n_frames for c in rest)}-{max(c.n_frames for c in rest)} frames, "
              f"{min(c.width for c in rest)}-{max(c.width for c in rest)} px wide, "
              f"{min(int(c.fps) for c in rest)}-{max(int(c.fps) for c in rest)} fps; "
              f"one of {long.n_frames} frames, {long.width}x{long.height}, {int(long.fps)} fps")

        # (1) official vs avbench
        this = [sys.executable, str(Path(__file__).resolve()), "--score-clips", str(folder)]
        if args.official:
            official_label = "official av_align.py, 1 process"
            t_official, _, _ = timed([sys.executable, args.official, "--input_dir", f"{folder}{os.sep}"], env)
            _, _, out = timed(this + ["--official", args.official], env)  # per-clip scores, untimed
        else:
            official_label = "official restatement, 1 process"
            t_official, _, out = timed(this, env)
        official_scores = json.loads(out.strip().splitlines()[-1])
        record = tmp / "run.json"
        t_cold, _, _ = timed([avbench, "av-align", str(folder), "--quiet", "--json", str(record)], env)
        ours = {Path(c["video"]).stem: c["score"] for c in json.loads(record.read_text())["clips"]}
        compared = [stem for stem in official_scores if stem in ours]
        identical = [stem for stem in compared if ours[stem] == official_scores[stem]]
        print(f"{official_label:<34}: {t_official:8.2f} s")
        print(f"{'avbench av-align, cold cache':<34}: {t_cold:8.2f} s  ({min(cores, len(clips))} workers, default)")
        print(f"{'speed-up vs official':<34}: {t_official / t_cold:8.2f}x  (target {speed_up_target(cores)})")
        print(f"{'per-clip scores':<34}: {len(compared):5d} compared, {len(identical)} identical  "
              f"(target: all {len(clips)} identical)")

        # (2) cached re-run, (3) --help
        t_cached, _, _ = timed([avbench, "av-align", str(folder), "--quiet", "--preset", "tempotokens-2023"], env)
        print(f"{'cached re-run, tempotokens-2023':<34}: {t_cached:8.2f} s  (target < 1 s)")
        t_help = statistics.median(timed([avbench, "--help"], env)[0] for _ in range(5))
        print(f"{'avbench --help':<34}: {t_help:8.2f} s  (median of 5; target < 0.5 s)")

        # (4) in this process: per-worker overhead over the Farneback floor
        floor, worker = in_process_overhead(folder)
        print(f"{'bare Farneback (floor)':<34}: {floor:8.2f} s  (in-process, 1 thread, all clips)")
        print(f"{'per-worker overhead':<34}: {100 * (worker / floor - 1):8.1f}%  (in-process, warmed: "
              f"{worker:.2f} s; target <= 15%)")
        print(f"{'  CLI end to end over the floor':<34}: {100 * (t_cold * min(cores, len(clips)) / floor - 1):8.1f}%  "
              f"(cold run's wall x {min(cores, len(clips))} workers)")

        # (5) one long clip on every core, (6) its peak RSS with one worker
        video, n = long_clip(tmp / "long", args.long_seconds)
        command = [avbench, "av-align", str(video), "--no-cache", "--quiet"]
        t_one, rss, _ = timed(command + ["--workers", "1"], env)
        t_all, _, _ = timed(command, env)
        what = f"{args.long_seconds} s 720p clip ({n} frames)"
        print(f"{'long clip, 1 worker':<34}: {t_one:8.2f} s  ({what})")
        print(f"{'long clip, default workers':<34}: {t_all:8.2f} s  ({cores} cores)")
        print(f"{'long clip speed-up':<34}: {t_one / t_all:8.2f}x  (target >= 1.7x on 2 cores)")
        print(f"{'peak RSS, long clip, 1 worker':<34}: {rss:8.0f} MB  ({what}; target < 500 MB)")

    if len(identical) != len(clips) or len(compared) != len(clips):
        print(f"avbench and the official algorithm disagree: {len(clips)} clips, {len(compared)} scored by both, "
              f"{len(identical)} identical", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
