"""How TempoTokens conditions a stock text-to-video model on audio, without patching library code.

Upstream edits two library classes; the same effect with stock classes:

* Text encoder: six placeholder tokens are added to the CLIP tokenizer, and a forward hook on the
  token-embedding layer overwrites their embeddings, row by row, with the audio tokens. Each of
  the F prompt rows is frame f's prompt: its own temporal and local-window tokens plus the shared
  class token.
* UNet: stock `UNet3DConditionModel` repeats one prompt embedding over all frames. The spatial
  cross-attention layers instead get a processor that attends to the per-frame embeddings
  `(2·F, 77, D)` (unconditional rows first, then conditional, frame-major within each, i.e. the
  `(b f)` order of the UNet's frame batch). The temporal attention layers are untouched.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
from torch import nn

# In prompt order; upstream adds them to the tokenizer in this order (ids 49408…49413 for CLIP).
PLACEHOLDER_TOKENS = ("<temp>", "<local1>", "<local2>", "<local3>", "<local4>", "<class>")
AUDIO_TOKENS_PROMPT = " ".join(PLACEHOLDER_TOKENS)


def add_placeholder_tokens(tokenizer, text_encoder) -> tuple[int, ...]:
    """Add the six placeholder tokens to `tokenizer` and rows for them to `text_encoder`'s
    embedding table; returns their ids in `PLACEHOLDER_TOKENS` order.

    The new rows' values never matter: the injector overwrites every placeholder position.
    """
    added = tokenizer.add_tokens(list(PLACEHOLDER_TOKENS))
    if added != len(PLACEHOLDER_TOKENS):
        raise ValueError(f"the tokenizer already holds some of {PLACEHOLDER_TOKENS}")
    ids = tuple(tokenizer.convert_tokens_to_ids(list(PLACEHOLDER_TOKENS)))
    text_encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    return ids


class PlaceholderInjector:
    """Forward hook on a text encoder's token embedding that writes per-row vectors at the
    placeholder positions while `inject(values)` is active (and leaves other calls alone)."""

    def __init__(self, embedding: nn.Embedding, token_ids: Sequence[int]):
        self.token_ids = tuple(token_ids)
        self._values: torch.Tensor | None = None
        self._handle = embedding.register_forward_hook(self._hook)

    @contextmanager
    def inject(self, values: torch.Tensor) -> Iterator[None]:
        """`values (R, len(token_ids), D)`: row r's vector for each placeholder, for a batch of
        R token-id rows."""
        self._values = values
        try:
            yield
        finally:
            self._values = None

    def _hook(self, module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor | None:
        if self._values is None:
            return None
        ids = args[0]
        if self._values.shape[:2] != (ids.shape[0], len(self.token_ids)):
            raise ValueError(f"audio tokens {tuple(self._values.shape)} do not fit {ids.shape[0]} prompt rows")
        output = output.clone()
        values = self._values.to(device=output.device, dtype=output.dtype)
        for slot, token_id in enumerate(self.token_ids):
            rows, cols = (ids == token_id).nonzero(as_tuple=True)
            output[rows, cols] = values[rows, slot]
        return output

    def remove(self) -> None:
        self._handle.remove()


class FrameConditioning:
    """The per-frame text embeddings that the patched cross-attention layers read during one
    UNet call: `(B·F, 77, D)` in the UNet's frame-batch order."""

    def __init__(self) -> None:
        self.embeds: torch.Tensor | None = None

    @contextmanager
    def use(self, embeds: torch.Tensor) -> Iterator[None]:
        self.embeds = embeds
        try:
            yield
        finally:
            self.embeds = None


def per_frame_cross_attention_processor(conditioning: FrameConditioning):
    """A diffusers attention processor (SDPA) whose keys and values come from `conditioning`
    instead of the UNet's frame-repeated `encoder_hidden_states`."""
    from diffusers.models.attention_processor import AttnProcessor2_0

    class PerFrameCrossAttnProcessor(AttnProcessor2_0):
        def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
            embeds = conditioning.embeds
            if embeds is None:
                raise RuntimeError("per-frame conditioning is not set for this UNet call")
            if embeds.shape[0] != hidden_states.shape[0]:
                raise RuntimeError(f"{embeds.shape[0]} per-frame embeddings for {hidden_states.shape[0]} frames")
            return super().__call__(attn, hidden_states, embeds, attention_mask, temb)

    return PerFrameCrossAttnProcessor()


def cross_attention_layers(unet) -> dict[str, nn.Module]:
    """The attention layers of `unet` that attend to `encoder_hidden_states`, by name.

    In a `UNet3DConditionModel` these are the spatial `attn2` of the down, mid and up blocks;
    the temporal transformers' and `transformer_in`'s `attn2` are self-attention.
    """
    from diffusers.models.attention_processor import Attention

    return {name: m for name, m in unet.named_modules() if isinstance(m, Attention) and m.is_cross_attention}


def install_per_frame_conditioning(unet) -> FrameConditioning:
    """Give every cross-attention layer of a `UNet3DConditionModel` the per-frame processor;
    returns the holder to fill before each call. Other layers keep their processors."""
    layers = cross_attention_layers(unet)
    if not layers:
        raise ValueError("the UNet has no cross-attention layers to condition")
    conditioning = FrameConditioning()
    processor = per_frame_cross_attention_processor(conditioning)
    for layer in layers.values():
        layer.set_processor(processor)
    return conditioning
