"""`tats`: TATS audio-to-video (AudioSet-Drums transformer + video VQGAN + STFT VQGAN).

An item is the STFT pickle `<stft_root>/test/<item_id>.pickle` of the AudioSet_Drums archive,
whose video TATS finds by replacing /stft/ with /video/ and .pickle with .mp4. Both are linked
into a fresh work folder (so TATS's `metadata_90.pkl` cache is written there, never stale).
The sample is 16 frames at the SOURCE video's frame rate (not the 6 fps TATS writes), native
size; the wav is the original audio of [start/fps, (start + 16)/fps).
"""
from __future__ import annotations

import math
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avbench.benchmark.adapters.segments import write_audio_segment
from avbench.benchmark.generators import BenchmarkItem, GeneratedSample
from avbench.metrics.media import probe, read_video_frames
from avbench.metrics.errors import AvbenchError, InputError

from .batch import BaselineGenerator, ItemOutcome, read_meta
from .contract import REQUIRED, Option
from .normalise import load_frames, undo_tats_grid, write_sample_video
from .preflight import PreflightReport, run_preflight
from .subprocess_run import run_logged

UPSTREAM_SCRIPT = "scripts/sample_vqgan_transformer_audio_cond.py"
CLIP_FRAMES = 90  # StftDataset.load_vid_len: the window TATS indexes per video
SAMPLE_FRAMES = 16  # the drum transformer's sequence_length
GENERATION = re.compile(r"generation_(\d+)\.avi$")
SOURCE_COPY = re.compile(r"groundtruth_(.+)_(\d+)\.avi$")


def upstream_save_dir(save: Path, top_k: int, top_p: float) -> Path:
    """Where the upstream script writes: `{save}/videos/drum/topp{top_p:.2f}_topk{top_k}`."""
    return save / "videos" / "drum" / f"topp{top_p:.2f}_topk{top_k}"


class TatsGenerator(BaselineGenerator):
    """TATS through the user's checkout and environment (see docs/baselines.md)."""

    name = "tats"
    PACKAGE = "tats"
    # tats/__init__ imports tats.data, which imports torchvision's VideoClips and pytorch_lightning.
    MODULES = ("torch", "tats", "tats.modules.gpt")
    CHECKPOINTS = {"gpt": "TATS-base audio transformer", "vqgan": "video VQGAN", "stft_vqgan": "STFT VQGAN"}
    DRIVER = "tats_driver.py"
    OPTIONS = {
        "stft_root": Option(REQUIRED, "the archive's stft folder (AudioSet_Dataset/stft, beside video/)"),
        "top_k": Option(2048, "top-k of the sampler (upstream default)"),
        "top_p": Option(0.92, "top-p of the sampler (upstream default)"),
        "temperature": Option(1.0, "sampling temperature (upstream: 1)"),
        "clip_start": Option("item", "item: start frame = the item's start x source fps; seeded: drawn from the "
                                     "item's seed in [0, 74] like upstream's random window, but recorded"),
        "resolution": Option(96, "upstream mode only: the VQGAN's frame size, to undo save_video_grid"),
        "dataset": Option("audioset-drums", "the checkpoint's dataset, recorded in manifest.jsonl"),
    }
    output_spec = {"fps": None, "frames": SAMPLE_FRAMES, "width": None, "height": None, "duration": None}

    # -- inputs -------------------------------------------------------------------------
    def stft_path(self, item: BenchmarkItem) -> Path:
        return Path(self.options["stft_root"]).expanduser() / "test" / f"{item.item_id}.pickle"

    @staticmethod
    def video_for(stft: Path) -> Path:
        """The source video TATS pairs with an STFT pickle (its own rule)."""
        return Path(str(stft).replace("/stft/", "/video/").replace(".pickle", ".mp4"))

    def source_fps(self, item: BenchmarkItem) -> Fraction:
        info = probe(self.video_for(self.stft_path(item)))
        if not info.fps_rational:
            raise InputError(info.path, "no frame rate")
        return Fraction(info.fps_rational)

    def start_frame(self, item: BenchmarkItem, fps: Fraction) -> int:
        if self.options["clip_start"] == "seeded":
            return int(np.random.default_rng(item.seed).integers(0, CLIP_FRAMES - SAMPLE_FRAMES + 1))
        return int(round(item.start * fps))

    def _preflight(self, items: Sequence[BenchmarkItem], out_dir: Path) -> PreflightReport:
        extra = []
        if self.options["clip_start"] not in ("item", "seeded"):
            extra.append(f"clip_start must be item or seeded, not {self.options['clip_start']!r}")
        if self.mode == "upstream" and not self.contract.on_gpu:
            extra.append(f"mode=upstream needs a GPU: {UPSTREAM_SCRIPT} calls .cuda()")
        for item in items:
            stft = self.stft_path(item)
            for path, what in ((stft, "STFT pickle"), (self.video_for(stft), "source video")):
                if not path.is_file():
                    extra.append(f"{path}: {what} of item {item.item_id} does not exist")
        modules = self.MODULES if self.mode == "driver" else self.MODULES + ("imageio",)
        return run_preflight(self.contract, self.PACKAGE, modules, items, writable=[out_dir], extra=extra)

    def stage(self, items: Sequence[BenchmarkItem], work: Path) -> Path:
        """Link the items' pickles and videos into `<work>/data/{stft,video}/test/`; returns the
        stft folder to hand TATS as data_path."""
        stft_root = work / "data" / "stft"
        for folder in (stft_root / "test", work / "data" / "video" / "test"):
            folder.mkdir(parents=True, exist_ok=True)
        for item in items:
            stft = self.stft_path(item)
            link = stft_root / "test" / f"{item.item_id}.pickle"
            os.symlink(stft.resolve(), link)
            os.symlink(self.video_for(stft).resolve(), self.video_for(link))
        return stft_root

    # -- runs -----------------------------------------------------------------------------
    def _run_chunk(self, items: list[BenchmarkItem], out_dir: Path, work: Path) -> list[ItemOutcome]:
        data_path = self.stage(items, work)
        return (self._driver_chunk if self.mode == "driver" else self._upstream_chunk)(items, out_dir, work, data_path)

    def _driver_chunk(self, items: list[BenchmarkItem], out_dir: Path, work: Path, data_path: Path) -> list[ItemOutcome]:
        plan = []
        for k, item in enumerate(items):
            fps = self.source_fps(item)
            plan.append({"id": item.item_id, "seed": item.seed, "start_frame": self.start_frame(item, fps),
                         "stft_path": str(data_path / "test" / f"{item.item_id}.pickle"),
                         "frames_path": str(work / f"item{k:05d}.npy"), "meta_path": str(work / f"item{k:05d}.json"),
                         "fps": fps})
        job = {"model": self.name, "device": self.contract.torch_device,
               "checkpoints": {c.role: str(c.path.resolve()) for c in self.contract.checkpoints},
               "settings": {"data_path": str(data_path), "top_k": int(self.options["top_k"]),
                            "top_p": float(self.options["top_p"]), "temperature": float(self.options["temperature"])},
               "items": [{k: v for k, v in p.items() if k != "fps"} for p in plan]}
        run = self.run_driver(job, work)
        outcomes = []
        for item, p in zip(items, plan):
            try:
                meta = read_meta(Path(p["meta_path"]), run)
                fps: Fraction = p["fps"]
                if not math.isclose(float(meta["source_fps"]), float(fps), rel_tol=1e-4):
                    raise AvbenchError(f"TATS read {meta['source_fps']} fps, the file says {fps}")
                frames = load_frames(Path(p["frames_path"]))
                outcomes.append(self._finish(item, out_dir, frames, fps, p["start_frame"] / fps, run.argv, meta["wall_s"],
                                             "exact", item.seed, {"start_frame": p["start_frame"]}))
            except (AvbenchError, OSError, ValueError) as exc:
                outcomes.append(self.failed(item, run.argv, str(exc), item.seed))
        return outcomes

    def upstream_argv(self, data_path: Path, save: Path, n_sample: int) -> list[str]:
        """The README's audio-to-video command, with our save and data folders."""
        c = {ck.role: str(ck.path.resolve()) for ck in self.contract.checkpoints}
        return [str(self.contract.python), UPSTREAM_SCRIPT, "--gpt_ckpt", c["gpt"], "--vqgan_ckpt", c["vqgan"],
                "--stft_vqgan_ckpt", c["stft_vqgan"], "--dataset", "drum", "--n_sample", str(n_sample),
                "--save", str(save), "--data_path", str(data_path),
                "--top_k", str(int(self.options["top_k"])), "--top_p", str(float(self.options["top_p"]))]

    def _upstream_chunk(self, items: list[BenchmarkItem], out_dir: Path, work: Path, data_path: Path) -> list[ItemOutcome]:
        save = work / "results"
        argv = self.upstream_argv(data_path, save, len(items))
        run = run_logged(argv, self.contract, work / "logs", "upstream")
        found = parse_upstream_outputs(upstream_save_dir(save, int(self.options["top_k"]), float(self.options["top_p"])))
        outcomes = []
        for item in items:
            try:
                if item.item_id not in found:
                    raise AvbenchError(f"the upstream script {run.describe()} without a generation for this item")
                fps = self.source_fps(item)
                size = int(self.options["resolution"])
                frames = undo_tats_grid(read_video_frames(found[item.item_id]), size, size)
                # The upstream's start frame is an unlogged random draw: the item's own start is a guess.
                outcomes.append(self._finish(item, out_dir, frames, fps, item.start, argv, run.wall_s, "approximate", None,
                                             {"upstream_file": str(found[item.item_id]), "wall_s_covers": len(items)}))
            except (AvbenchError, OSError, ValueError) as exc:
                outcomes.append(self.failed(item, argv, str(exc)))
        return outcomes

    def _finish(self, item: BenchmarkItem, out_dir: Path, frames: np.ndarray, fps: Fraction, offset: float,
                argv: Sequence[str], wall_s: float, pairing: str, seed: int | None, extra: dict[str, Any]) -> ItemOutcome:
        video, audio = self.outputs(item, out_dir)
        write_sample_video(frames, fps, SAMPLE_FRAMES, video)
        duration = SAMPLE_FRAMES / fps
        write_audio_segment(item.audio_path, float(offset), float(duration), audio)
        record = self.record(item, argv=argv, status="ok", offset=float(offset), duration=float(duration), fps=fps,
                             shape=frames.shape[:3], seed=seed, wall_s=wall_s, pairing=pairing, extra=extra)
        return ItemOutcome(GeneratedSample(item.item_id, video, audio, {"pairing": pairing}), record)


def parse_upstream_outputs(save_dir: Path) -> dict[str, Path]:
    """item id -> `generation_{i}.avi`, paired through `groundtruth_{basename}_{i}.avi` (the
    upstream's byte copy of source `{basename}.mp4`, its only record of which item index i was)."""
    if not save_dir.is_dir():
        return {}
    generations = {int(m.group(1)): p for p in save_dir.iterdir() if (m := GENERATION.match(p.name))}
    out = {}
    for p in save_dir.iterdir():
        m = SOURCE_COPY.match(p.name)
        if m and int(m.group(2)) in generations:
            out[m.group(1)] = generations[int(m.group(2))]
    return out
