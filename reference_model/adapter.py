"""The `reference` generator: TempoTokens behind avbench's generator protocol.

For a benchmark item it writes `<out_dir>/<item_id>.mp4` (24 frames, H.264, exactly 12 fps) and
`<out_dir>/<item_id>.wav` (the exact audio segment it was conditioned on, at the file's own
rate), and returns them with what a result must record (prompt, seed, weights, settings).
Models load once, on the first item.
"""
from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

from avbench.benchmark.generators import BenchmarkItem, GeneratedSample
from avbench.metrics.media.edit import write_mp4
from avbench.metrics.errors import AvbenchError, InputError, WeightsError
from avbench.metrics.fileio import sha256_file

from .audio import cut_conditioning_audio
from .checkpoints import load_beats, load_mapper, resolve_weights
from .weight_files import BEATS_WEIGHTS, mapper_weights_name
from .presets import BEATS_SAMPLE_RATE, DEFAULT_PRESET, PRESETS, ReferencePreset

CONDITIONING_MODES = ("audio", "text+audio")


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


class ReferenceGenerator:
    """TempoTokens (BEATs + temporal audio-token mapper + zeroscope_v2_576w).

    `dataset` picks the mapper weights (vggsound, landscape, audioset-drum). `conditioning`:
    "audio" uses the audio tokens alone (the paper's Table 1); "text+audio" builds
    "a video of <audio tokens> {text}" from the item's text, else its label (Table 2). Weight
    paths default to the registry; `base_model` is a hub id or a local folder. Preset fields
    (`num_inference_steps`, `guidance_scale`, `width`, `height`, `upstream_dropout`, ...) can be
    overridden by keyword.
    """

    name = "reference"

    def __init__(
        self,
        dataset: str = "vggsound",
        conditioning: str = "audio",
        preset: str = DEFAULT_PRESET,
        base_model: str | None = None,
        beats_weights: str | Path | None = None,
        mapper_weights: str | Path | None = None,
        device: str | None = None,
        offline: bool | None = None,
        **preset_overrides: Any,
    ):
        if conditioning not in CONDITIONING_MODES:
            raise AvbenchError(f"conditioning must be one of {CONDITIONING_MODES}, not {conditioning!r}")
        if preset not in PRESETS:
            raise AvbenchError(f"unknown reference preset {preset!r}; known: {', '.join(PRESETS)}")
        mapper_weights_name(dataset)  # fail early on an unknown dataset
        unknown = set(preset_overrides) - set(PRESETS[preset].to_dict())
        if unknown:
            raise AvbenchError(f"unknown reference-model options: {', '.join(sorted(unknown))}")
        self.dataset = dataset
        self.conditioning = conditioning
        self.preset: ReferencePreset = PRESETS[preset].with_overrides(base_model=base_model, **preset_overrides)
        self.beats_weights = beats_weights
        self.mapper_weights = mapper_weights
        self.device = device or default_device()
        self.offline = offline
        self._pipeline = None
        self._weights_meta: dict[str, Any] = {}

    def _load(self):
        if self._pipeline is None:
            from .base_model import check_base_model, load_base_model
            from .pipeline import ReferencePipeline

            problems = []
            try:
                beats_path, mapper_path = resolve_weights(self.dataset, self.beats_weights, self.mapper_weights, self.offline)
            except WeightsError as exc:
                problems.append(str(exc))
            try:
                check_base_model(self.preset.base_model, self.offline)
            except WeightsError as exc:
                problems.append(str(exc))
            if problems:
                raise WeightsError(" | ".join(problems))
            base = load_base_model(self.preset.base_model, self.device, self.offline)
            self._pipeline = ReferencePipeline(base, load_beats(beats_path), load_mapper(self.dataset, mapper_path), self.preset)
            self._weights_meta = {
                BEATS_WEIGHTS: sha256_file(beats_path),
                mapper_weights_name(self.dataset): sha256_file(mapper_path),
            }
        return self._pipeline

    @property
    def output_spec(self) -> dict[str, Any]:
        """What every video this generator writes is (frames per second, frames, pixels, seconds)."""
        p = self.preset
        return {"fps": p.fps, "frames": p.num_frames, "width": p.width, "height": p.height, "duration": p.audio_seconds}

    def prompt_for(self, item: BenchmarkItem) -> str:
        """The prompt this generator uses for `item`."""
        if self.conditioning == "audio":
            return self.preset.prompt(None)
        text = item.text or item.label
        if not text:
            raise AvbenchError(f"item {item.item_id}: text+audio conditioning needs a text or a label")
        return self.preset.prompt(text)

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        preset = self.preset
        if abs(item.duration - preset.audio_seconds) > 1e-6:
            raise AvbenchError(
                f"item {item.item_id}: the reference model generates {preset.audio_seconds:g} s videos, "
                f"the item asks for {item.duration:g} s"
            )
        prompt = self.prompt_for(item)
        video_path, audio_path = Path(out_dir) / f"{item.item_id}.mp4", Path(out_dir) / f"{item.item_id}.wav"
        if Path(item.audio_path).resolve() in (video_path.resolve(), audio_path.resolve()):
            raise InputError(item.audio_path, "is where the generated files would be written; choose another output folder or name")
        audio = cut_conditioning_audio(item.audio_path, item.start, preset.audio_seconds, max_pad=1 / preset.fps)
        pipeline = self._load()
        frames = pipeline.generate(audio.mono(BEATS_SAMPLE_RATE, preset.resampler), prompt, item.seed)
        write_mp4(frames, video_path, preset.fps)
        audio.write_wav(audio_path)
        meta = {
            "model": self.name,
            "dataset": self.dataset,
            "conditioning": self.conditioning,
            "prompt": prompt,
            "seed": item.seed,
            "audio_start": item.start,
            "audio_padded_samples": audio.padded_samples,
            "device": str(pipeline.base.device),
            "dtype": str(pipeline.base.dtype).removeprefix("torch."),
            "preset": preset.to_dict(),
            "weights_sha256": dict(self._weights_meta),
            "versions": {
                pkg: _package_version(pkg) for pkg in ("torch", "diffusers", "transformers", "librosa", "scipy")
            }
            | {"python": platform.python_version()},
        }
        return GeneratedSample(item_id=item.item_id, video_path=video_path, audio_path=audio_path, meta=meta)
