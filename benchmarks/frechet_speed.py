"""Speed of the Fréchet metrics on CPU, measured within one run (ratios, not absolute times).

1. Fréchet distance at d = 2048 (FID's feature size): the eigh route of `metrics.frechet` vs the
   pytorch-fid/TTUR formula with `scipy.linalg.sqrtm` on the same statistics. Targets: >= 5x
   faster, same value to 1e-6 relative.
2. Feature throughput of the FVD (I3D, 16-frame clips) and FID (Inception-v3) pipelines from
   decoded uint8 frames, at batch sizes 1, 4, 16, vs the bare network forward on ready-made input
   tensors (best of interleaved repeats). Target: pipeline overhead <= 10%. Networks carry PyTorch's default random
   initialisation (throughput does not depend on the weight values), registered under a
   throw-away name for this run only.

Run: `python3 benchmarks/frechet_speed.py [--threads N] [--repeats R]`; `--dim`, `--samples` and
`--batches` shrink the measurements (tests/test_benchmark_scripts.py runs it so).
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg
import torch

from avbench.metrics import weights
from avbench.metrics.fid import FID
from avbench.metrics.frechet import frechet_distance
from avbench.metrics.fvd import FVD
from avbench.metrics.networks import i3d, inception
from avbench.metrics.presets import PRESETS


def sqrtm_frechet(mu1, s1, mu2, s2) -> float:
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def timed(fn, repeats: int) -> tuple[float, object]:
    """Shortest wall time of `repeats` calls (seconds; the least disturbed by other processes)
    and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def frechet_speed(repeats: int, d: int, n: int) -> None:
    rng = np.random.default_rng(0)
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    stats = []
    for shift in (0.0, 0.05):
        x = (rng.standard_normal((n, d)) + shift) @ mix
        stats += [x.mean(axis=0), np.cov(x, rowvar=False)]
    ours_s, ours = timed(lambda: frechet_distance(*stats), repeats)
    scipy_s, ref = timed(lambda: sqrtm_frechet(*stats), 1)
    print(f"Fréchet distance, d={d}, n={n} per set (scipy {scipy.__version__}, torch {torch.__version__}):")
    print(f"  eigh route  {ours:.10f}  {ours_s:7.2f} s (best of {repeats})")
    print(f"  scipy sqrtm {ref:.10f}  {scipy_s:7.2f} s")
    print(f"  relative difference {abs(ours - ref) / abs(ref):.2e}; speed-up {scipy_s / ours_s:.1f}x (target >= 5x)")


def random_weights(tmp: Path, name: str, module: torch.nn.Module) -> dict[str, str]:
    """Register default-initialised weights of `module` under `name` for this process only; the
    metric classes' `weights` argument that points at them."""
    path = tmp / f"{name}.pt"
    torch.save(module.state_dict(), path)
    weights.register(weights.WeightSpec(name=name, filename=path.name, url="(random, speed benchmark)",
                                        sha256=None, license="none", loader="torch"))
    return {name: str(path)}


def throughput(label: str, pipeline, bare, prepare, batch: int, unit: str, repeats: int) -> None:
    """Pipeline (frames → features) vs bare forward (ready input → features), best of interleaved
    repeats; plus the preparation alone (value map, resize, stacking) as a share of the forward,
    which is the pipeline's overhead without the load noise of two long measurements."""
    pipeline()  # warm-up: allocator, oneDNN primitive caches
    pipe_times, bare_times, prep_times = [], [], []
    for _ in range(repeats):  # interleaved, so load changes hit both alike
        pipe_times.append(timed(pipeline, 1)[0])
        bare_times.append(timed(bare, 1)[0])
        prep_times.append(timed(prepare, 3)[0])
    p, b, q = min(pipe_times), min(bare_times), min(prep_times)
    print(f"  {label} batch {batch:2d}: pipeline {batch / p:6.2f} {unit}/s, bare forward {batch / b:6.2f} {unit}/s "
          f"(end-to-end overhead {100 * (p / b - 1):+5.1f}%); preparation alone {1000 * q:6.1f} ms = "
          f"{100 * q / b:4.1f}% of the forward")


def feature_speed(repeats: int, batches: list[int]) -> None:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        fvd_preset = dataclasses.replace(PRESETS["fvd/styleganv"], weights="speed-i3d")
        fid_preset = dataclasses.replace(PRESETS["fid/ttur"], weights="speed-inception")
        fvd = FVD(fvd_preset, weights=random_weights(Path(tmp), "speed-i3d", i3d.I3D()), batch_size=16)
        fid = FID(fid_preset, weights=random_weights(Path(tmp), "speed-inception", inception.InceptionV3TF()),
                  batch_size=16)
        # the networks load on first use: here, while their weight files exist
        videos_net, frames_net = fvd.extractor, fid.extractor
    print("FVD features: 16-frame clips of 256x256 uint8 video -> TF1 bilinear 224 -> I3D logits")
    for batch in batches:
        videos = [rng.integers(0, 256, (16, 256, 256, 3), dtype=np.uint8) for _ in range(batch)]
        ready = torch.stack([videos_net.clip_input(v) for v in videos])
        throughput("I3D", lambda: videos_net.videos_features(videos), lambda: videos_net.forward(ready),
                   lambda: torch.stack([videos_net.clip_input(v) for v in videos]), batch, "clips", repeats)
    print("FID features: 256x256 uint8 frames -> TF1 bilinear 299 -> Inception pool3")
    for batch in batches:
        frames = rng.integers(0, 256, (batch, 256, 256, 3), dtype=np.uint8)
        ready = frames_net.network_input(frames)
        throughput("Inception", lambda: frames_net.frame_features(frames), lambda: frames_net.forward(ready),
                   lambda: frames_net.network_input(frames), batch, "frames", repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per measurement (default 3)")
    parser.add_argument("--dim", type=int, default=2048, help="feature size of the Fréchet distance (default 2048)")
    parser.add_argument("--samples", type=int, default=10_000, help="feature vectors per set (default 10000)")
    parser.add_argument("--batches", default="1,4,16", help="batch sizes of the feature pipelines (default 1,4,16)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")
    frechet_speed(args.repeats, args.dim, args.samples)
    feature_speed(args.repeats, [int(b) for b in args.batches.split(",")])


if __name__ == "__main__":
    main()
