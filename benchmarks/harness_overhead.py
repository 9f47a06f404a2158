"""Harness overhead on a 200-clip synthetic run (a script, not a test).

1. The metric computations alone: AV-Align signals of every clip (the same process pool, no
   cache) and the per-clip scores; FAD's VGGish embeddings of every clip's audio (once) and the
   Fréchet distance — what any evaluation must spend.
2. `avbench score --metrics av_align,fad` on the same clips with an empty cache: the harness
   wall time. Overhead = harness / metrics alone − 1 (target <= 10%).
3. The same command again with everything cached (target >= 20x faster than step 2).

The machine this runs on may be shared, so the cold runs are interleaved and the best of
`--repeats` counts; the harness's own CPU time (work done in this process beyond the bare
loop's) is printed too, as a load-independent figure. VGGish runs on random weights when the
registered weights are absent (`--random-weights` forces it): timing only, never a FAD value.

Run: `python3 benchmarks/harness_overhead.py [--clips 200] [--workers N]`.
Everything is written under a temporary folder (its own AVBENCH_CACHE).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _vggish_weights(folder: Path, force_random: bool) -> str:
    """'registered' when the real VGGish weights are present, else install random ones."""
    from avbench.metrics import weights

    spec = weights.get_spec("vggish")
    if not force_random and weights.default_path(spec).is_file():
        return "registered"
    sys.path.insert(0, str(REPO / "tests"))
    import pytest
    from random_networks import install_random_weights

    install_random_weights(pytest.MonkeyPatch(), folder, ("vggish",))
    return "random (timing only)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--repeats", type=int, default=2, help="cold runs of each kind, interleaved (best counts)")
    parser.add_argument("--random-weights", action="store_true", help="VGGish on random weights even if present")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="avbench-overhead-"))
    os.environ["AVBENCH_CACHE"] = str(tmp / "cache-data")
    from avbench.benchmark.definition import load_benchmark
    from avbench.benchmark.generate import generate
    from avbench.benchmark.scoring.run import score_run
    from avbench.metrics.av_align import get_preset, score_signals
    from avbench.metrics.av_align.runner import measure_clips
    from avbench.metrics.fad import VGGishFeatures
    from avbench.metrics.frechet import GaussianStats, frechet_distance_of_stats
    from avbench.metrics.media import read_audio, read_manifest
    from avbench.metrics.presets import PRESETS

    vggish = _vggish_weights(tmp / "weights", args.random_weights)
    t = time.perf_counter()
    bench = load_benchmark(f"synthetic:{args.clips}")
    generate("real", bench, tmp / "gen", progress=False)
    print(f"{args.clips} synthetic clips (24 fps, 48 frames, 160x120, 2 s) written in {time.perf_counter() - t:.1f} s; "
          f"VGGish weights: {vggish}")

    pairs = read_manifest(tmp / "gen" / "manifest.csv")
    samples = [pair.to_sample() for pair in pairs]
    preset = get_preset("tempotokens-2025")
    fad_preset = PRESETS["fad/google"]

    def metrics_alone() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        run = measure_clips(samples, preset, workers=args.workers, use_cache=False, progress=False)
        scores = [score_signals(run.signals[s.sample_id], preset).score for s in samples]
        assert len(scores) == args.clips and not run.failures
        extractor = VGGishFeatures(fad_preset)
        stats = GaussianStats(dim=extractor.dim, preset=fad_preset.name, version=fad_preset.version,
                              weights_sha256=extractor.weights_sha256)
        for p in pairs:
            stats.update(extractor.audio_features(*read_audio(p.audio)))
        frechet_distance_of_stats(stats, stats, fad_preset.stats.covariance)  # reference = the same clips
        return time.perf_counter() - t, time.process_time() - c

    def harness(cache: Path, out: Path) -> tuple[float, float, dict]:
        os.environ["AVBENCH_CACHE"] = str(cache)
        t, c = time.perf_counter(), time.process_time()
        results = score_run(bench, tmp / "gen", out, metric_names=["av_align", "fad"], reference=tmp / "gen",
                            workers=args.workers, progress=False)
        return time.perf_counter() - t, time.process_time() - c, results

    alone_runs, harness_runs = [], []
    for k in range(args.repeats):
        alone_runs.append(metrics_alone())
        harness_runs.append(harness(tmp / f"cache-{k}", tmp / f"run-{k}"))
    alone, alone_cpu = min(alone_runs)
    harness_wall, harness_cpu, first = min(harness_runs, key=lambda r: r[0])
    cached_wall, _, second = harness(tmp / f"cache-{args.repeats - 1}", tmp / "run-cached")
    assert first["metrics"] == second["metrics"] and first["counts"]["scored"] == args.clips

    # The metric work that runs in this process (VGGish, Fréchet) is in both CPU figures; the
    # AV-Align work runs in the pool in both. The difference is what the harness itself costs.
    own = harness_cpu - alone_cpu
    overhead = harness_wall / alone - 1
    speedup = harness_wall / cached_wall
    print(f"metric computations alone : {alone:7.2f} s wall  (AV-Align + FAD, {args.clips} clips, "
          f"workers={args.workers or os.cpu_count()}; runs: {', '.join(f'{r[0]:.1f}' for r in alone_runs)})")
    print(f"avbench score, cold cache : {harness_wall:7.2f} s wall  overhead {100 * overhead:+.1f}%  "
          f"(runs: {', '.join(f'{r[0]:.1f}' for r in harness_runs)}; target <= +10%)")
    print(f"  harness's own CPU work  : {own:7.2f} s = {100 * own / alone:.1f}% of the metric wall time "
          f"(this process: {harness_cpu:.2f} s CPU vs {alone_cpu:.2f} s for the bare loop)")
    print(f"avbench score, all cached : {cached_wall:7.2f} s wall  {speedup:.0f}x faster than cold  (target >= 20x)")
    print(f"AV-Align mean {first['metrics']['av_align']['value']:.4f} (n={first['metrics']['av_align']['n']}); "
          f"files in {tmp}")
    return 0 if overhead <= 0.10 and speedup >= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
