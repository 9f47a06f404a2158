"""`mm-diffusion`: MM-Diffusion zero-shot audio-to-video (Landscape checkpoints: 64x64 base +
256x256 super-resolution), with the flags of ssh_scripts/audio2video_sample_sr.sh.

The conditioning is the item's own segment [start, start + 1.6 s): channel 0 (as upstream takes
from stereo), resampled to 16 kHz, (1, 25600) float32, not normalised. The sample is 16 frames at
10 fps; `<id>.mp4` is the 256x256 SR output (or the 64x64 base with output=base), the other one
goes to `variants/<size>/<id>.mp4`.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import av
import numpy as np

from avbench.benchmark.adapters.segments import write_audio_segment
from avbench.benchmark.generators import BenchmarkItem, GeneratedSample
from avbench.metrics.media import read_video_frames
from avbench.metrics.errors import AvbenchError
from avbench.metrics.fileio import atomic_write

from .batch import BaselineGenerator, ItemOutcome, read_meta
from .contract import Option
from .normalise import load_frames, mono_conditioning, write_sample_video
from .preflight import PreflightReport, run_preflight
from .subprocess_run import run_logged

UPSTREAM_SCRIPT = "py_scripts/audio2video_sample_sr.py"
FPS = Fraction(10)  # video_fps: the models sample 16 frames at 10 fps
FRAMES = 16
AUDIO_RATE = 16000  # audio_fps
AUDIO_SAMPLES = 25600  # audio_size 1,25600: 1.6 s
SIZES = {"base": 64, "sr": 256}
VARIANTS = "variants"

# ssh_scripts/audio2video_sample_sr.sh: MODEL_FLAGS, DIFFUSION_FLAGS (minus --devices, which the
# upstream mode adds), SRMODEL_FLAGS, SR_DIFFUSION_FLAGS.
FLAGS = (
    "--cross_attention_resolutions", "2,4,8", "--cross_attention_windows", "1,4,8", "--cross_attention_shift", "True",
    "--class_cond", "False", "--video_attention_resolutions", "2,4,8", "--audio_attention_resolutions", "-1",
    "--video_size", "16,3,64,64", "--audio_size", "1,25600", "--learn_sigma", "False", "--num_channels", "128",
    "--num_head_channels", "64", "--num_res_blocks", "2", "--resblock_updown", "True", "--use_fp16", "True",
    "--use_scale_shift_norm", "True",
    "--diffusion_steps", "1000", "--noise_schedule", "linear", "--all_save_num", "1", "--save_type", "mp4",
    "--batch_size", "1", "--is_strict", "True", "--sample_fn", "ddpm", "--classifier_scale", "3.0",
    "--sr_attention_resolutions", "8,16,32", "--large_size", "256", "--small_size", "64", "--sr_learn_sigma", "True",
    "--sr_class_cond", "False", "--sr_num_channels", "192", "--sr_num_heads", "4", "--sr_num_res_blocks", "2",
    "--sr_resblock_updown", "True", "--sr_use_scale_shift_norm", "True", "--num_workers", "4",
    "--sr_diffusion_steps", "1000", "--sr_sample_fn", "ddim", "--sr_timestep_respacing", "ddim25",
)


class MMDiffusionGenerator(BaselineGenerator):
    """MM-Diffusion through the user's checkout and environment (see docs/baselines.md)."""

    name = "mm-diffusion"
    PACKAGE = "mm_diffusion"
    # multimodal_script_util -> multimodal_gaussian_diffusion -> dist_util imports mpi4py and blobfile.
    MODULES = ("torch", "mm_diffusion.multimodal_script_util", "mm_diffusion.script_util")
    CHECKPOINTS = {"base": "Landscape.pt base 64x64", "sr": "Landscape_SR.pt super-resolution"}
    DRIVER = "mm_diffusion_driver.py"
    OPTIONS = {
        "output": Option("sr", "which output is <id>.mp4: sr (256x256) or base (64x64); the other goes to variants/"),
        "classifier_scale": Option(3.0, "gradient guidance scale of conditional_p_sample_loop (script: 3.0)"),
        "timestep_respacing": Option("", "NOT the paper setting: respace the 1000 DDPM steps (e.g. 250) to go faster"),
        "allow_mono": Option(False, "condition on the only channel of mono audio (upstream crashes on mono)"),
        "dataset": Option("landscape", "the checkpoint's dataset, recorded in manifest.jsonl"),
    }

    def __init__(self, **options: Any):
        super().__init__(**options)
        if self.options["output"] not in SIZES:
            raise AvbenchError(f"model `{self.name}`: output must be sr or base, not {self.options['output']!r}")
        size = SIZES[self.options["output"]]
        self.output_spec = {"fps": float(FPS), "frames": FRAMES, "width": size, "height": size,
                            "duration": FRAMES / float(FPS)}

    def flags(self) -> list[str]:
        """The script's flags with this run's classifier scale (and respacing, if any)."""
        flags = list(FLAGS)
        flags[flags.index("--classifier_scale") + 1] = str(float(self.options["classifier_scale"]))
        if self.options["timestep_respacing"] not in ("", None):
            flags += ["--timestep_respacing", str(self.options["timestep_respacing"])]
        return flags

    @property
    def paper_setting(self) -> bool:
        return self.options["timestep_respacing"] in ("", None) and float(self.options["classifier_scale"]) == 3.0

    def _preflight(self, items: Sequence[BenchmarkItem], out_dir: Path) -> PreflightReport:
        extra = []
        if self.mode == "upstream" and not self.contract.on_gpu:
            extra.append(f"mode=upstream needs a GPU: {UPSTREAM_SCRIPT} sets up NCCL through MPI")
        modules = self.MODULES if self.mode == "driver" else self.MODULES + ("moviepy.editor", "torchvision")
        return run_preflight(self.contract, self.PACKAGE, modules, items, writable=[out_dir],
                             stereo_required=not self.options["allow_mono"], extra=extra)

    def _run_chunk(self, items: list[BenchmarkItem], out_dir: Path, work: Path) -> list[ItemOutcome]:
        conds, outcomes = {}, {}
        for k, item in enumerate(items):
            try:
                cond = mono_conditioning(item.audio_path, item.start, AUDIO_SAMPLES, AUDIO_RATE)
            except AvbenchError as exc:  # this item fails alone, before any model runs
                outcomes[item.item_id] = self.failed(item, [], str(exc), item.seed)
                continue
            conds[item.item_id] = work / f"item{k:05d}.audio.npy"
            np.save(conds[item.item_id], cond, allow_pickle=False)
        ready = [item for item in items if item.item_id in conds]
        if self.mode == "driver" and ready:
            outcomes.update(zip((item.item_id for item in ready), self._driver_chunk(ready, out_dir, work, conds)))
        elif self.mode == "upstream":
            outcomes.update((item.item_id, self._upstream_item(item, out_dir, work / f"item{k:05d}", conds[item.item_id]))
                            for k, item in enumerate(items) if item.item_id in conds)
        return [outcomes[item.item_id] for item in items]

    def _driver_chunk(self, items: list[BenchmarkItem], out_dir: Path, work: Path, conds: dict[str, Path]) -> list[ItemOutcome]:
        plan = [{"id": item.item_id, "seed": item.seed, "audio_path": str(conds[item.item_id]),
                 "base_path": str(work / f"item{k:05d}.base.npy"), "sr_path": str(work / f"item{k:05d}.sr.npy"),
                 "meta_path": str(work / f"item{k:05d}.json")} for k, item in enumerate(items)]
        job = {"model": self.name, "device": self.contract.torch_device, "flags": self.flags(),
               "checkpoints": {c.role: str(c.path.resolve()) for c in self.contract.checkpoints}, "items": plan}
        run = self.run_driver(job, work)
        outcomes = []
        for item, p in zip(items, plan):
            try:
                meta = read_meta(Path(p["meta_path"]), run)
                frames = {kind: load_frames(Path(p[f"{kind}_path"])) for kind in SIZES}
                outcomes.append(self._finish(item, out_dir, frames, run.argv, meta["wall_s"], item.seed))
            except (AvbenchError, OSError, ValueError) as exc:
                outcomes.append(self.failed(item, run.argv, str(exc), item.seed))
        return outcomes

    def upstream_argv(self, ref_path: Path, output_dir: Path) -> list[str]:
        """The script with the .sh flags, one item per run, the physical GPU through --devices."""
        c = {ck.role: str(ck.path.resolve()) for ck in self.contract.checkpoints}
        return [str(self.contract.python), UPSTREAM_SCRIPT, *self.flags(), "--devices", self.contract.device,
                "--multimodal_model_path", c["base"], "--sr_model_path", c["sr"],
                "--ref_path", str(ref_path), "--output_dir", str(output_dir)]

    def _upstream_item(self, item: BenchmarkItem, out_dir: Path, work: Path, cond: Path) -> ItemOutcome:
        ref, results = work / "ref", work / "results"
        ref.mkdir(parents=True)
        write_staged_clip(np.load(cond, allow_pickle=False), ref / "clip.avi")
        argv = self.upstream_argv(ref, results)
        run = run_logged(argv, self.contract, work / "logs", "upstream")
        try:
            model_name = self.contract.checkpoints[0].path.name
            files = {kind: results / model_name / folder / "ddpm_samples_0_0_0.mp4"
                     for kind, folder in (("base", "reconstruct"), ("sr", "sr"))}
            missing = [str(f) for f in files.values() if not f.is_file()]
            if missing:
                raise AvbenchError(f"the upstream script {run.describe()} without writing {', '.join(missing)}")
            frames = {kind: read_video_frames(f) for kind, f in files.items()}
            return self._finish(item, out_dir, frames, argv, run.wall_s, None)
        except (AvbenchError, OSError, ValueError) as exc:
            return self.failed(item, argv, str(exc))

    def _finish(self, item: BenchmarkItem, out_dir: Path, frames: dict[str, np.ndarray], argv: Sequence[str],
                wall_s: float, seed: int | None) -> ItemOutcome:
        video, audio = self.outputs(item, out_dir)
        chosen = self.options["output"]

        def variant_path(kind: str) -> Path:
            return out_dir / VARIANTS / f"{SIZES[kind]}x{SIZES[kind]}" / video.relative_to(out_dir)

        for kind, array in frames.items():
            size = SIZES[kind]
            if array.shape[1:3] != (size, size):
                raise AvbenchError(f"{kind} output is {array.shape[2]}x{array.shape[1]}, expected {size}x{size}")
            path = video if kind == chosen else variant_path(kind)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_sample_video(array, FPS, FRAMES, path)
        duration = AUDIO_SAMPLES / AUDIO_RATE
        write_audio_segment(item.audio_path, item.start, duration, audio)
        extra = {"sample_output": f"{chosen} ({SIZES[chosen]}x{SIZES[chosen]})",
                 "variant": str(variant_path(next(k for k in SIZES if k != chosen))),
                 "paper_setting": self.paper_setting, "flags": self.flags()}
        record = self.record(item, argv=argv, status="ok", offset=item.start, duration=duration, fps=FPS,
                             shape=frames[chosen].shape[:3], seed=seed, wall_s=wall_s,
                             pairing="exact", extra=extra)
        return ItemOutcome(GeneratedSample(item.item_id, video, audio, {"pairing": "exact"}), record)


def write_staged_clip(cond: np.ndarray, path: Path) -> None:
    """The one clip of an upstream-mode ref folder: 16 grey frames at 10 fps and the conditioning
    (1, 25600) duplicated to a stereo 16 kHz PCM track of exactly 1.6 s, so the upstream dataset
    has exactly one 16-frame window, no zero tail, and takes channel 0 = our conditioning."""
    pcm = np.clip(np.round(np.repeat(cond, 2, axis=0) * 32767), -32768, 32767).astype(np.int16)
    with atomic_write(path) as fh, av.open(fh, "w", format="avi") as container:
        vstream = container.add_stream("mjpeg", rate=FPS)
        vstream.width = vstream.height = 64
        vstream.pix_fmt = "yuvj420p"
        astream = container.add_stream("pcm_s16le", rate=AUDIO_RATE, layout="stereo")
        grey = np.full((64, 64, 3), 128, np.uint8)
        for _ in range(FRAMES):
            container.mux(vstream.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")))
        container.mux(vstream.encode())
        frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1).copy(), format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        container.mux(astream.encode(frame))
        container.mux(astream.encode())
