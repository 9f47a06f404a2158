"""Torch Farneback (`avbench.metrics.av_align.torch_flow`, non-canonical) against OpenCV's, measured
in one run.

1. Speed: 720p grayscale frame pairs per second: `cv2.calcOpticalFlowFarneback` pair by pair in
   this process, torch on CPU in batches of `--batch`, and their ratio; where CUDA is available
   also torch on the GPU in batches of `--gpu-batch` (target >= 1000 pairs/s) with its peak
   memory. Frames: a smooth random texture moved by a few pixels.
2. Agreement, per canonical preset (default Farneback parameters): every clip's canonical signals
   (`measure_clip`, OpenCV decoding and flow, no cache) are scored beside its signals with
   `flow="torch"` on the CPU (what `avbench av-align --flow torch` measures: PyAV prefetch decoder
   + torch flow, same audio). Printed: the per-frame error of
   the mean flow magnitude (absolute in pixels, relative to OpenCV's; mean and max over frames)
   and the share of clips whose score is identical. On `--clips` synthetic clips and on the real
   clips with audio in tests/data/media (clips over `--max-megapixels` frames x pixels are left
   out, with a printed reason, as are clips without audio). Relative errors are over frames whose
   OpenCV mean magnitude is >= 1e-3 px (static frames sit at float noise, ~1e-8 px).

Usage: python benchmarks/torch_flow.py [--pairs 8] [--batch 4] [--gpu-batch 32] [--clips 10]
                                       [--max-megapixels 100]
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import torch

from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align import CANONICAL_PRESETS, get_preset, score_signals
from avbench.metrics.av_align.clip import ClipSignals
from avbench.metrics.av_align.presets import FarnebackParams
from avbench.metrics.av_align.runner import measure_clip
from avbench.metrics.av_align.torch_flow import mean_magnitudes
from avbench.metrics.errors import AvbenchError
from avbench.metrics.media import frame_timestamps, pair_videos

MEDIA = Path(__file__).resolve().parents[1] / "tests" / "data" / "media"
SIZE = (720, 1280)  # (H, W)
MOVING = 1e-3  # px: mean flow magnitude above which a frame's relative error is reported


def moving_texture(n_frames: int, seed: int = 0) -> np.ndarray:
    """`(n_frames, 720, 1280)` uint8: a smooth random texture shifted 1-3 px per frame."""
    rng = np.random.default_rng(seed)
    h, w = SIZE
    margin = 3 * n_frames + 8
    coarse = rng.random(((h + 2 * margin) // 8, (w + 2 * margin) // 8)).astype(np.float32)
    texture = cv2.resize(coarse, (w + 2 * margin, h + 2 * margin), interpolation=cv2.INTER_CUBIC)
    texture = np.clip(texture * 255, 0, 255).astype(np.uint8)
    offsets = np.cumsum(rng.integers(1, 4, size=(n_frames, 2)), axis=0)
    return np.stack([texture[y:y + h, x:x + w] for y, x in offsets])


def pairs_per_second(frames: np.ndarray, params: FarnebackParams, batch: int, device: torch.device) -> float:
    """Torch pairs/s over the consecutive pairs of `frames`, after one warm-up batch."""
    stack = torch.from_numpy(frames).to(device)
    n = len(frames) - 1
    mean_magnitudes(stack[:1], stack[1:2], params)  # warm-up: kernels, allocator

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    sync()
    start = time.perf_counter()
    for i in range(0, n, batch):
        j = min(i + batch, n)
        mean_magnitudes(stack[i:j], stack[i + 1:j + 1], params)
    sync()
    return n / (time.perf_counter() - start)


def speed(args: argparse.Namespace) -> None:
    params = FarnebackParams()
    frames = moving_texture(args.pairs + 1)
    start = time.perf_counter()
    for i in range(args.pairs):
        cv2.calcOpticalFlowFarneback(frames[i], frames[i + 1], None, *params.as_args())
    opencv = args.pairs / (time.perf_counter() - start)
    cpu = pairs_per_second(frames, params, args.batch, torch.device("cpu"))
    print(f"720p pairs, OpenCV Farneback (CPU) : {opencv:.3f} pairs/s ({args.pairs} pairs, "
          f"{cv2.getNumThreads()} OpenCV threads)")
    print(f"720p pairs, torch (CPU)            : {cpu:.3f} pairs/s (batch {args.batch}, "
          f"{torch.get_num_threads()} torch threads)")
    print(f"torch CPU / OpenCV                 : {cpu / opencv:.4f}x")
    if not torch.cuda.is_available():
        print("no GPU was available: torch CUDA speed and memory not measured")
        return
    gpu_frames = moving_texture(max(args.pairs, 4 * args.gpu_batch) + 1, seed=1)
    torch.cuda.reset_peak_memory_stats()
    gpu = pairs_per_second(gpu_frames, params, args.gpu_batch, torch.device("cuda"))
    peak = torch.cuda.max_memory_allocated() / 2**20
    print(f"720p pairs, torch (CUDA)           : {gpu:.1f} pairs/s (batch {args.gpu_batch}, target >= 1000); "
          f"peak GPU memory {peak:.0f} MiB ({torch.cuda.get_device_name()})")


def synthetic_clips(folder: Path, n_clips: int) -> list:
    """`n_clips` synthetic clips of varied size, motion and distraction, as samples."""
    kinds = [dict(), dict(distractor="sway", distractor_amount=3.0), dict(distractor="shake", distractor_amount=1.5),
             dict(distractor="flicker", distractor_amount=6.0), dict(video="flicker"), dict(jump_px=2),
             dict(video="static")]
    sizes = [(160, 120), (192, 144), (256, 192), (320, 240), (97, 73)]
    for k in range(n_clips):
        w, h = sizes[k % len(sizes)]
        n = 48
        clip = SyntheticClip(name=f"synthetic{k:02d}", n_frames=n, width=w, height=h, fps=Fraction(24), seed=k,
                             event_frames=(6 + k % 3, 17, 29 + k % 4, 40), codec="h264" if k % 2 == 0 else "mp4v",
                             **kinds[k % len(kinds)])
        write_clip(clip, folder)
    return [pair.to_sample() for pair in pair_videos([folder])]


def media_clips(max_megapixels: float) -> list:
    """The real clips with audio (in the container or a same-stem wav), up to the size cap."""
    samples = []
    for pair in pair_videos([MEDIA]):
        cap = cv2.VideoCapture(str(pair.video))
        pixels = cap.get(cv2.CAP_PROP_FRAME_WIDTH) * cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
        cap.release()
        frames = frame_timestamps(pair.video).size  # packets, demuxed: webm headers may give no count
        if frames * pixels / 1e6 > max_megapixels:
            print(f"  skipped {pair.video.name}: {frames} frames x {pixels / 1e6:.2f} Mpx over "
                  f"--max-megapixels {max_megapixels:g}")
            continue
        samples.append(pair.to_sample())
    return samples


def agreement(label: str, samples: list) -> None:
    """Score every sample under each canonical preset as `avbench av-align` measures it by default
    and with `--flow torch --flow-device cpu`."""
    presets = [get_preset(name) for name in CANONICAL_PRESETS]
    # The canonical presets share decoding, flow and onsets: one measurement serves them all.
    assert len({(p.farneback, p.onset, p.video_decoder) for p in presets}) == 1
    measured: list[tuple[ClipSignals, ClipSignals]] = []
    for sample in samples:
        try:
            canonical = measure_clip(sample, presets[0], use_cache=False)
            torch_signals = measure_clip(sample, presets[0], use_cache=False, flow="torch", flow_device="cpu")
        except AvbenchError as exc:
            print(f"  skipped: {exc}")
            continue
        if torch_signals.n_frames != canonical.n_frames:
            print(f"  {Path(sample.video).name}: PyAV decoded {torch_signals.n_frames} frames, OpenCV "
                  f"{canonical.n_frames}; counted as differing")
            torch_signals = replace(canonical, trajectory=np.full(canonical.trajectory.shape, np.nan))
        measured.append((canonical, torch_signals))
    if not measured:
        print(f"{label}: no clip measured")
        return
    ref = np.concatenate([c.trajectory for c, _ in measured])
    got = np.concatenate([t.trajectory for _, t in measured])
    err = np.abs(got - ref)
    # Relative error only where OpenCV's flow is above its own rounding noise (static frames
    # give ~1e-8 px, where a relative error says nothing).
    moving = ref >= MOVING
    rel = err[moving] / ref[moving]
    print(f"{label}: {len(measured)} clips, {len(ref)} frames")
    print(f"  flow magnitude abs error : mean {err.mean():.3e} px, max {err.max():.3e} px")
    print(f"  flow magnitude rel error : mean {rel.mean() if rel.size else 0:.3e}, max {rel.max() if rel.size else 0:.3e} "
          f"({rel.size} frames with OpenCV flow >= {MOVING:g} px)")
    for preset in presets:
        same = 0
        for canonical, torch_signals in measured:
            a, b = score_signals(canonical, preset).score, score_signals(torch_signals, preset).score
            same += a == b or (math.isnan(a) and math.isnan(b))
        print(f"  identical scores, {preset.name:<16} : {same}/{len(measured)} clips = "
              f"{100 * same / len(measured):.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=8, help="720p pairs timed per implementation")
    parser.add_argument("--batch", type=int, default=4, help="pairs per torch call on CPU (speed)")
    parser.add_argument("--gpu-batch", type=int, default=32, help="pairs per torch call on CUDA")
    parser.add_argument("--clips", type=int, default=10, help="synthetic clips")
    parser.add_argument("--max-megapixels", type=float, default=100.0,
                        help="leave out real clips whose frames x pixels exceed this (millions)")
    args = parser.parse_args()
    speed(args)
    with tempfile.TemporaryDirectory() as tmp:
        agreement("synthetic clips", synthetic_clips(Path(tmp), args.clips))
    agreement("real clips (tests/data/media)", media_clips(args.max_megapixels))


if __name__ == "__main__":
    main()
