"""Tiny random-weight stand-ins for the reference model's files, for CPU tests.

A diffusers-format base model folder (CLIP tokenizer over the 256 byte symbols, 2-layer CLIP text
encoder, 2-level UNet3DConditionModel, 2-level VAE, DDPM scheduler config), a BEATs checkpoint
(`{"cfg", "model"}` with a classifier head, as the real file) and a mapper state dict sized for
them. Everything is written with the libraries' own `save_pretrained`/`torch.save`, so the real
loading code runs.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from avbench.reference_model.beats import BEATs, BEATsConfig
from avbench.reference_model.mapper import AudioTokenMapper, MapperConfig

TEXT_DIM = 32  # CLIP width = UNet cross-attention width = audio-token width
TINY_BEATS = BEATsConfig(
    embed_dim=16, encoder_layers=2, encoder_embed_dim=24, encoder_ffn_embed_dim=48, encoder_attention_heads=4,
    conv_pos=8, conv_pos_groups=4, num_buckets=32, max_distance=64,
)
TINY_MAPPER = MapperConfig(input_dim=TINY_BEATS.encoder_layers * TINY_BEATS.encoder_embed_dim, hidden_dim=40, token_dim=TEXT_DIM)
TINY_SIZE = 8  # pixels; the tiny VAE halves it once


def _byte_symbols() -> list[str]:
    """GPT-2/CLIP's printable stand-ins for the 256 byte values."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(extra))]


def write_tokenizer(folder: Path) -> None:
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    symbols = _byte_symbols()
    vocab = {s: i for i, s in enumerate(symbols)}
    vocab.update({s + "</w>": len(symbols) + i for i, s in enumerate(symbols)})
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = len(vocab), len(vocab) + 1
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77).save_pretrained(folder)


def tiny_text_encoder():
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        vocab_size=514, hidden_size=TEXT_DIM, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=77, bos_token_id=512, eos_token_id=513, pad_token_id=513,
    )
    return CLIPTextModel(config)


def tiny_unet():
    from diffusers import UNet3DConditionModel

    return UNet3DConditionModel(
        sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"), up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        block_out_channels=(32, 32), layers_per_block=1, cross_attention_dim=TEXT_DIM, attention_head_dim=8,
        norm_num_groups=32,
    )


def write_base_model(folder: Path, seed: int = 0) -> Path:
    """A complete tiny diffusers-format text-to-video model folder."""
    from diffusers import AutoencoderKL, DDPMScheduler

    torch.manual_seed(seed)
    write_tokenizer(folder / "tokenizer")
    tiny_text_encoder().save_pretrained(folder / "text_encoder")
    unet = tiny_unet()
    with torch.no_grad():  # diffusers zero-initialises some output layers; make every path matter
        for p in unet.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    unet.save_pretrained(folder / "unet")
    AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2, norm_num_groups=4,
    ).save_pretrained(folder / "vae")
    DDPMScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False
    ).save_pretrained(folder / "scheduler")
    return folder


def beats_checkpoint(seed: int = 0) -> dict:
    """A BEATs checkpoint dict in the released layout: `cfg` (with training-only fields) and a
    `model` state dict that includes the classifier head."""
    torch.manual_seed(seed)
    model = BEATs(TINY_BEATS)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    state = model.state_dict()
    state["predictor.weight"] = torch.randn(527, TINY_BEATS.encoder_embed_dim)
    state["predictor.bias"] = torch.randn(527)
    cfg = asdict(TINY_BEATS) | {"finetuned_model": True, "predictor_class": 527, "dropout": 0.1}
    return {"cfg": cfg, "model": state}


def mapper_state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    mapper = AudioTokenMapper(TINY_MAPPER)
    with torch.no_grad():
        for p in mapper.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    return mapper.state_dict()


def write_weights(folder: Path) -> tuple[Path, Path]:
    """Tiny BEATs checkpoint and mapper files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    beats_path, mapper_path = folder / "beats.pt", folder / "learned_embeds.pth"
    torch.save(beats_checkpoint(), beats_path)
    torch.save(mapper_state(), mapper_path)
    return beats_path, mapper_path
