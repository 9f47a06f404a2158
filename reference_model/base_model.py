"""The frozen text-to-video model the mapper was trained against, from stock library classes.

A diffusers-format model (hub id or local folder) with the subfolders `tokenizer`,
`text_encoder` (transformers `CLIPTokenizer`/`CLIPTextModel`), `unet`
(`UNet3DConditionModel`), `vae` (`AutoencoderKL`) and `scheduler` (a DDPM config, turned into
DPM-Solver++ as upstream does): the components of diffusers' `TextToVideoSDPipeline`, loaded one
by one because that pipeline class is deprecated.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from avbench.metrics.errors import AvbenchError, WeightsError
from avbench.metrics.weights import is_offline

from .conditioning import FrameConditioning, PlaceholderInjector, add_placeholder_tokens, install_per_frame_conditioning
from .presets import DEFAULT_BASE_MODEL


@dataclass
class BaseModel:
    """Loaded, audio-ready components: placeholder tokens added, per-frame UNet conditioning
    installed. `dtype` is the precision of text encoder, UNet and VAE."""

    source: str
    tokenizer: Any
    text_encoder: Any
    unet: Any
    vae: Any
    scheduler_config: dict
    injector: PlaceholderInjector
    frame_conditioning: FrameConditioning
    device: torch.device
    dtype: torch.dtype

    @property
    def vae_scale_factor(self) -> int:
        """Pixels per latent cell along each axis (8 for zeroscope)."""
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    def new_scheduler(self):
        """A fresh DPM-Solver++ (diffusers defaults) on the model's noise schedule."""
        from diffusers import DPMSolverMultistepScheduler

        return DPMSolverMultistepScheduler.from_config(self.scheduler_config)


def missing_base_model_message(source: str, part: str, reason: str) -> str:
    """The one line a user needs when the base model cannot be loaded."""
    get = (
        f"put a copy of the model folder at {source}"
        if Path(source).exists() or source.startswith((".", "/", "~"))
        else f"download it once with `hf download {source}` (needs internet; stored in the Hugging Face cache, "
        f"$HF_HOME) or pass --base-model /path/to/a/local/copy"
    )
    return f"base model {source!r}: cannot load its {part} ({reason}); {get}"


def check_base_model(source: str | Path, offline: bool | None = None) -> None:
    """Raise WeightsError (one line) if loading `source` offline cannot work: a missing folder, or
    a hub id absent from the local Hugging Face cache. Online, a hub id is downloaded on load."""
    source = str(source)
    if Path(source).is_dir():
        return
    if Path(source).exists() or source.startswith((".", "/", "~")):
        raise WeightsError(missing_base_model_message(source, "folder", "no such directory"))
    if not is_offline(offline):
        return
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(source, local_files_only=True)
    except Exception:  # the hub client raises several types for "not cached"
        raise WeightsError(missing_base_model_message(source, "files", "offline, and not in the local Hugging Face cache")) from None


def _load(source: str, part: str, loader, offline: bool, **kwargs):
    try:
        return loader(source, subfolder=part, local_files_only=offline, **kwargs)
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise WeightsError(missing_base_model_message(source, part, reason)) from None


def load_base_model(
    source: str | Path = DEFAULT_BASE_MODEL,
    device: str | torch.device = "cpu",
    offline: bool | None = None,
) -> BaseModel:
    """Load the base model from a hub id or folder; fp16 on CUDA, fp32 elsewhere.

    Offline (`offline=True` or `AVBENCH_OFFLINE=1`) only the local Hugging Face cache or folder
    is used. Any missing part raises `WeightsError` with one line saying how to get it.
    """
    try:
        from diffusers import AutoencoderKL, DDPMScheduler, UNet3DConditionModel
        from transformers import CLIPTextModel, CLIPTokenizer
    except ImportError as exc:
        raise AvbenchError(f"the reference model needs diffusers and transformers ({exc}): pip install 'avbench[reference]'") from None

    source, device = str(source), torch.device(device)
    offline = is_offline(offline)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    tokenizer = _load(source, "tokenizer", CLIPTokenizer.from_pretrained, offline)
    text_encoder = _load(source, "text_encoder", CLIPTextModel.from_pretrained, offline)
    unet = _load(source, "unet", UNet3DConditionModel.from_pretrained, offline, torch_dtype=dtype)
    vae = _load(source, "vae", AutoencoderKL.from_pretrained, offline, torch_dtype=dtype)
    scheduler = _load(source, "scheduler", DDPMScheduler.from_pretrained, offline)

    token_ids = add_placeholder_tokens(tokenizer, text_encoder)
    injector = PlaceholderInjector(text_encoder.get_input_embeddings(), token_ids)
    frame_conditioning = install_per_frame_conditioning(unet)
    for module in (text_encoder, unet, vae):
        module.to(device=device, dtype=dtype).eval().requires_grad_(False)
    return BaseModel(
        source=source,
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        unet=unet,
        vae=vae,
        scheduler_config=dict(scheduler.config),
        injector=injector,
        frame_conditioning=frame_conditioning,
        device=device,
        dtype=dtype,
    )
