"""The Ray backend against the local backend on the same run (a script, not a test).

A custom benchmark of `--clips` synthetic clips (`--seconds` s at `--size`, 25 fps, audio events
in sync) is generated once; `avbench score --metrics av_align --no-cache` then scores it:
1. local backend, one worker process per core (`--workers`);
2. `--backend ray --address HOST:PORT` on a Ray cluster already running on this machine with as
   many CPUs (how a cluster is used: it outlives the runs); overhead = Ray / local − 1
   (target <= 15%);
3. the same with a cluster started by the run itself (`--backend ray`, no address: Ray's start-up
   included);
4. throughput (clips/s) on clusters of 1 and 2 worker CPUs, and the scaling between them.
Every run's `samples.parquet` is compared byte for byte with the local run's.

The machine may be shared, so runs are interleaved and the best of `--repeats` counts.
Run: `python3 benchmarks/ray_backend.py [--clips 24] [--seconds 10] [--size 480x270]` (needs
`pip install -e ".[ray]"`). Everything is written under a temporary folder (its own cache).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FPS = 25


def _write_set(folder: Path, clips: int, seconds: float, width: int, height: int) -> None:
    import numpy as np

    from avbench.benchmark.synthetic import SyntheticClip, write_clip

    n_frames = int(round(seconds * FPS))
    rng = np.random.default_rng(0)
    for i in range(clips):
        events = tuple(int(f) for f in np.sort(rng.choice(np.arange(3, n_frames - 3, 6), size=max(2, n_frames // 25),
                                                          replace=False)))
        write_clip(SyntheticClip(name=f"clip{i:03d}", fps=Fraction(FPS), n_frames=n_frames, width=width,
                                 height=height, event_frames=events, seed=i), folder)


def _score(args: list[str], out: Path, env: dict[str, str]) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(["avbench", *args, "--out", str(out)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"avbench {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="480x270", help="WIDTHxHEIGHT (default %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="CPUs of each backend (default: the cores)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    sys.path.insert(0, str(REPO / "tests"))
    from ray_support import RAY_ENV, ray_cluster

    tmp = Path(tempfile.mkdtemp(prefix="avbench-ray-bench-"))
    env = {**os.environ, "AVBENCH_CACHE": str(tmp / "cache"), **RAY_ENV}
    os.environ.update(env)
    clips = tmp / "clips"
    _write_set(clips, args.clips, args.seconds, width, height)
    bench = ["--benchmark", "custom", "--items", str(clips)]
    generated = subprocess.run(["avbench", "generate", "--model", "real", *bench, "--out", str(tmp / "gen"), "--quiet"],
                               env=env, capture_output=True, text=True)
    if generated.returncode != 0:
        raise RuntimeError(generated.stderr)
    score = ["score", *bench, "--inputs", str(tmp / "gen"), "--metrics", "av_align", "--no-cache", "--quiet"]
    print(f"{args.clips} clips, {args.seconds:g} s at {width}x{height}, {FPS} fps; {args.workers} CPUs per backend; "
          f"{os.cpu_count()} cores here; best of {args.repeats}")

    times: dict[str, list[float]] = {}
    outs: dict[str, Path] = {}

    def timed(name: str, extra: list[str]) -> None:
        outs[name] = tmp / "runs" / name.replace(" ", "-")
        times.setdefault(name, []).append(_score([*score, *extra], outs[name], env))

    with ray_cluster(args.workers, env) as cluster, ray_cluster(1, env) as cluster_1:
        for _ in range(args.repeats):
            timed("local", ["--workers", str(args.workers)])
            timed("ray cluster", ["--backend", "ray", "--address", cluster.address])
            timed("ray cluster 1 CPU", ["--backend", "ray", "--address", cluster_1.address])
        # Started by the run: Ray looks for a cluster on this machine (RAY_ADDRESS, then the one
        # `ray start` started last) before starting its own, so this runs with no cluster up.
    # Its session folder under a short path: Ray's socket paths must stay under 108 bytes ($TMPDIR may be long).
    env["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="avbench-ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
    for _ in range(args.repeats):
        timed("ray started by the run", ["--backend", "ray", "--workers", str(args.workers)])
    shutil.rmtree(env["RAY_TMPDIR"], ignore_errors=True)

    best = {name: min(t) for name, t in times.items()}
    reference = (outs["local"] / "samples.parquet").read_bytes()
    for name, t in best.items():
        same = (outs[name] / "samples.parquet").read_bytes() == reference
        print(f"  {name:<24} {t:7.2f} s  {args.clips / t:6.2f} clips/s  "
              f"samples.parquet {'identical to local' if same else 'DIFFERS from local'}  (runs: "
              f"{', '.join(f'{v:.2f}' for v in times[name])})")
    for name, target in (("ray cluster", "; target <= +15%"), ("ray started by the run", "")):
        print(f"overhead, {name.replace('ray', 'Ray')} vs local: {best[name] / best['local'] - 1:+.1%} "
              f"({best[name] - best['local']:+.2f} s{target})")
    print(f"scaling, Ray {args.workers} CPUs vs 1 CPU: {best['ray cluster 1 CPU'] / best['ray cluster']:.2f}x")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
