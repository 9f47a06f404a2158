"""TempoTokens inference: 16 kHz audio (+ optional text) → 24 video frames.

Steps: BEATs and the mapper turn the audio into per-frame tokens (CPU, fp32,
as upstream); the tokens are injected into F copies of the prompt; the UNet denoises with
per-frame cross-attention under DPM-Solver++ and classifier-free guidance against the empty
prompt; the VAE decodes the latents frame by frame.

Randomness: the initial latents (and the mapper's dropout mask, if `upstream_dropout`) come from
a CPU `torch.Generator` seeded with the item's seed, so a seed fixes the output on a given
device and precision. (Upstream seeds nothing.)
"""
from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import torch

from avbench.metrics.errors import AvbenchError

from .base_model import BaseModel
from .beats import BEATs
from .mapper import AudioTokenMapper, AudioTokens
from .presets import ReferencePreset


def _autocast(device: torch.device, dtype: torch.dtype):
    """fp16 autocast on CUDA, as upstream runs its fp16 models; nothing elsewhere."""
    if device.type == "cuda" and dtype == torch.float16:
        return torch.autocast("cuda", dtype=torch.float16)
    return nullcontext()


class ReferencePipeline:
    """BEATs + mapper + base model, with the generation settings of `preset`."""

    def __init__(self, base: BaseModel, beats: BEATs, mapper: AudioTokenMapper, preset: ReferencePreset):
        self.base = base
        self.beats = beats.to("cpu", torch.float32).eval()
        self.mapper = mapper.to("cpu", torch.float32).eval()
        self.preset = preset
        scale = base.vae_scale_factor
        if preset.width % scale or preset.height % scale:
            raise AvbenchError(f"frame size {preset.width}x{preset.height} must be a multiple of {scale} (the VAE's factor)")

    @torch.inference_mode()
    def audio_tokens(self, waveform: np.ndarray, generator: torch.Generator | None = None) -> AudioTokens:
        """`(samples,)` float32 mono 16 kHz audio of `preset.audio_seconds` → the mapper's tokens
        for `preset.num_frames` frames (CPU, fp32). `generator` draws the dropout mask when the
        preset keeps upstream's dropout (and must then be given)."""
        if self.preset.upstream_dropout and generator is None:
            raise ValueError("upstream_dropout needs a torch.Generator for its mask")
        wave = torch.as_tensor(np.ascontiguousarray(waveform), dtype=torch.float32)[None]
        dropout = generator if self.preset.upstream_dropout else None
        return self.mapper(self.beats(wave), self.preset.num_frames, dropout)

    def _encode(self, prompts: list[str], audio_values: torch.Tensor | None) -> torch.Tensor:
        base = self.base
        ids = base.tokenizer(
            prompts, padding="max_length", max_length=base.tokenizer.model_max_length, truncation=True, return_tensors="pt"
        ).input_ids.to(base.device)
        inject = base.injector.inject(audio_values) if audio_values is not None else nullcontext()
        with inject, _autocast(base.device, base.dtype):
            return base.text_encoder(ids).last_hidden_state.to(base.dtype)

    @torch.inference_mode()
    def prompt_embeddings(self, tokens: AudioTokens, prompt: str) -> torch.Tensor:
        """`(2·F, 77, D)` per-frame embeddings, F copies of the empty (negative) prompt then F
        copies of `prompt` with frame f's audio tokens injected into row f."""
        frames = tokens.num_frames
        values = tokens.per_frame()[0]  # (F, 6, D): B = 1
        conditional = self._encode([prompt] * frames, values)
        unconditional = self._encode([self.preset.negative_prompt], None).expand(frames, -1, -1)
        return torch.cat([unconditional, conditional])

    def initial_noise(self, generator: torch.Generator) -> torch.Tensor:
        """`(1, 4, F, H/8, W/8)` float32 standard normal latents drawn on the CPU."""
        p, scale = self.preset, self.base.vae_scale_factor
        channels = self.base.unet.config.in_channels
        return torch.randn((1, channels, p.num_frames, p.height // scale, p.width // scale), generator=generator)

    @torch.inference_mode()
    def denoise(self, embeddings: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Run the sampler from `noise` `(1, 4, F, h, w)`; returns the final latents (same shape)."""
        base, p = self.base, self.preset
        scheduler = base.new_scheduler()
        scheduler.set_timesteps(p.num_inference_steps, device=base.device)
        guided = p.guidance_scale > 1.0
        frames = noise.shape[2]
        if not guided:
            embeddings = embeddings[frames:]
        # The UNet repeats this over frames for its cross-attention, which the per-frame
        # processors ignore; it only has to have the right batch size.
        placeholder = embeddings[::frames]
        latents = noise.to(base.device, base.dtype) * scheduler.init_noise_sigma
        with base.frame_conditioning.use(embeddings), _autocast(base.device, base.dtype):
            for t in scheduler.timesteps:
                model_input = torch.cat([latents] * 2) if guided else latents
                model_input = scheduler.scale_model_input(model_input, t)
                noise_pred = base.unet(model_input, t, encoder_hidden_states=placeholder).sample
                if guided:
                    uncond, cond = noise_pred.chunk(2)
                    noise_pred = uncond + p.guidance_scale * (cond - uncond)
                latents = scheduler.step(noise_pred, t, latents).prev_sample
        return latents

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents `(1, 4, F, h, w)` → frames `(F, H, W, 3) uint8` RGB.

        `[-1, 1]` maps to `[0, 255]` by truncation (upstream's `.byte()`), not rounding.
        """
        base = self.base
        frames = latents[0].transpose(0, 1) / base.vae.config.scaling_factor  # (F, 4, h, w)
        chunks = []
        with _autocast(base.device, base.dtype):
            for start in range(0, frames.shape[0], self.preset.vae_batch_frames):
                chunk = frames[start:start + self.preset.vae_batch_frames].to(base.dtype)
                chunks.append(base.vae.decode(chunk).sample.float().cpu())
        pixels = torch.cat(chunks).clamp(-1, 1).add(1).mul(127.5).to(torch.uint8)
        return pixels.permute(0, 2, 3, 1).contiguous().numpy()

    def generate(self, waveform: np.ndarray, prompt: str, seed: int) -> np.ndarray:
        """16 kHz mono audio, a prompt holding the placeholder tokens, a seed → `(F, H, W, 3) uint8`."""
        generator = torch.Generator().manual_seed(seed)
        noise = self.initial_noise(generator)
        tokens = self.audio_tokens(waveform, generator)
        embeddings = self.prompt_embeddings(tokens, prompt).to(self.base.device)
        return self.decode(self.denoise(embeddings, noise))
