"""BEATs audio encoder (Chen et al., 2022) in plain torch, inference only, as TempoTokens uses it.

The module and parameter names equal the keys of the released checkpoint
`BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt` (its `model` dict), which loads strictly; only
the AudioSet classifier head (`predictor.*`) is dropped, as upstream sets `beats.predictor = None`.

Dataflow (TempoTokens' inference path), for a 2 s clip at 16 kHz:
waveform `(B, 32000)` → normalised Kaldi fbank `(B, 198, 128)` → 16×16 patches, time-major
`(B, 96, 512)` → LayerNorm, Linear → `(B, 96, 768)` → convolutional position embedding,
LayerNorm → 12 post-LN deep-norm layers with a bucketed relative position bias and GRU gating.
TempoTokens' modification: the output of every layer is kept and concatenated on channels,
`(B, 96, 12 × 768 = 9216)`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from .fbank import BeatsFrontEnd

# Number of GRU gate logits per head in BEATs' gated relative position bias (2 gates × 4).
_GATE_LOGITS = 8


@dataclass(frozen=True)
class BEATsConfig:
    """The architecture fields of a BEATs checkpoint's `cfg` (defaults: the AS2M cpt2 model)."""

    input_patch_size: int = 16
    embed_dim: int = 512
    conv_bias: bool = False
    encoder_layers: int = 12
    encoder_embed_dim: int = 768
    encoder_ffn_embed_dim: int = 3072
    encoder_attention_heads: int = 12
    activation_fn: str = "gelu"
    layer_norm_first: bool = False
    deep_norm: bool = True
    conv_pos: int = 128
    conv_pos_groups: int = 16
    relative_position_embedding: bool = True
    num_buckets: int = 320
    max_distance: int = 800
    gru_rel_pos: bool = True

    @classmethod
    def from_checkpoint_cfg(cls, cfg: Mapping[str, Any]) -> "BEATsConfig":
        """The architecture fields of a checkpoint's `cfg` dict; training-only fields are ignored.

        Raises ValueError for configurations this inference port does not implement.
        """
        known = {f.name for f in fields(cls)}
        config = cls(**{k: v for k, v in cfg.items() if k in known})
        if config.layer_norm_first:
            raise ValueError("pre-LN BEATs (layer_norm_first=True) is not implemented; TempoTokens' checkpoint is post-LN")
        if config.activation_fn != "gelu":
            raise ValueError(f"activation {config.activation_fn!r} is not implemented (only gelu)")
        return config

    @property
    def head_dim(self) -> int:
        return self.encoder_embed_dim // self.encoder_attention_heads

    @property
    def residual_scale(self) -> float:
        """DeepNet's α = (2 × layers)^(1/4) on the residual branch, 1 without deep norm."""
        return math.pow(2 * self.encoder_layers, 0.25) if self.deep_norm else 1.0


class WeightNormConv1d(nn.Module):
    """`Conv1d` whose weight is `g · v / ‖v‖`, the norm taken over all dims but the last
    (torch's legacy `weight_norm(dim=2)`); parameter names `weight_g`, `weight_v`, `bias`."""

    def __init__(self, channels: int, kernel_size: int, groups: int):
        super().__init__()
        self.padding = kernel_size // 2
        self.groups = groups
        self.weight_g = nn.Parameter(torch.ones(1, 1, kernel_size))
        self.weight_v = nn.Parameter(torch.empty(channels, channels // groups, kernel_size))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.weight_v.norm(dim=(0, 1), keepdim=True)
        weight = self.weight_g * self.weight_v / norm
        return F.conv1d(x, weight, self.bias, padding=self.padding, groups=self.groups)


class DropLastStep(nn.Module):
    """Drops the last time step: an even-kernel convolution padded by k/2 is one step too long."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :-1]


def relative_position_buckets(length: int, num_buckets: int, max_distance: int) -> torch.Tensor:
    """`(length, length) int64` bucket of key position j relative to query position i.

    Bidirectional T5-style bucketing: half the buckets for j > i; within each half, distances
    below a quarter of `num_buckets` have their own bucket and larger ones share logarithmically
    spaced buckets up to `max_distance`. Float32 log and truncation, as in BEATs.
    """
    position = torch.arange(length)
    relative = position[None, :] - position[:, None]
    half = num_buckets // 2
    buckets = (relative > 0).long() * half
    distance = relative.abs()
    exact = half // 2
    far = exact + (
        torch.log(distance.clamp(min=1).float() / exact) / math.log(max_distance / exact) * (half - exact)
    ).long()
    far = far.clamp(max=half - 1)
    return buckets + torch.where(distance < exact, distance, far)


class SelfAttention(nn.Module):
    """Multi-head self-attention with BEATs' gated relative position bias.

    The bias (one scalar per head and query/key pair, looked up from shared buckets) is scaled
    per query by a GRU-style gate computed from the unscaled query: `a · (b · grep_a − 1) + 2`,
    with `a`, `b` sigmoid gates.
    """

    def __init__(self, config: BEATsConfig, relative_attention_bias: nn.Embedding | None):
        super().__init__()
        dim, self.heads = config.encoder_embed_dim, config.encoder_attention_heads
        self.head_dim = config.head_dim
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        if relative_attention_bias is not None:
            # One embedding shared by all layers; registered in each so every layer's
            # checkpoint key exists, as upstream does.
            self.relative_attention_bias = relative_attention_bias
        self.gated = config.gru_rel_pos
        if self.gated:
            self.grep_linear = nn.Linear(self.head_dim, _GATE_LOGITS)
            self.grep_a = nn.Parameter(torch.ones(1, self.heads, 1, 1))

    def forward(self, x: torch.Tensor, position_bias: torch.Tensor | None) -> torch.Tensor:
        """`x (B, T, D)`, `position_bias (heads, T, T)` or None → `(B, T, D)`."""
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_dim).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = (q * self.head_dim**-0.5) @ k.transpose(-1, -2)
        if position_bias is not None:
            bias = position_bias[None]
            if self.gated:
                logits = self.grep_linear(q).view(b, self.heads, t, 2, _GATE_LOGITS // 2).sum(-1)
                gate_a, gate_b = torch.sigmoid(logits).chunk(2, dim=-1)
                bias = (gate_a * (gate_b * self.grep_a - 1.0) + 2.0) * bias
            scores = scores + bias
        attn = torch.softmax(scores, dim=-1) @ v
        return self.out_proj(attn.transpose(1, 2).reshape(b, t, d))


class EncoderLayer(nn.Module):
    """Post-LN transformer layer with DeepNet residual scaling α."""

    def __init__(self, config: BEATsConfig, relative_attention_bias: nn.Embedding | None):
        super().__init__()
        dim = config.encoder_embed_dim
        self.alpha = config.residual_scale
        self.self_attn = SelfAttention(config, relative_attention_bias)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, config.encoder_ffn_embed_dim)
        self.fc2 = nn.Linear(config.encoder_ffn_embed_dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, position_bias: torch.Tensor | None) -> torch.Tensor:
        x = self.self_attn_layer_norm(x * self.alpha + self.self_attn(x, position_bias))
        return self.final_layer_norm(x * self.alpha + self.fc2(F.gelu(self.fc1(x))))


class Encoder(nn.Module):
    """Convolutional position embedding, LayerNorm, then the layers; returns every layer's output."""

    def __init__(self, config: BEATsConfig):
        super().__init__()
        dim = config.encoder_embed_dim
        self.config = config
        self.pos_conv = nn.Sequential(
            WeightNormConv1d(dim, config.conv_pos, config.conv_pos_groups),
            DropLastStep() if config.conv_pos % 2 == 0 else nn.Identity(),
            nn.GELU(),
        )
        self.layer_norm = nn.LayerNorm(dim)
        shared_bias = (
            nn.Embedding(config.num_buckets, config.encoder_attention_heads)
            if config.relative_position_embedding
            else None
        )
        self.layers = nn.ModuleList(EncoderLayer(config, shared_bias) for _ in range(config.encoder_layers))

    def position_bias(self, length: int) -> torch.Tensor | None:
        """`(heads, T, T)` relative position bias, or None without relative positions."""
        if not self.config.relative_position_embedding:
            return None
        table = self.layers[0].self_attn.relative_attention_bias
        buckets = relative_position_buckets(length, self.config.num_buckets, self.config.max_distance)
        return table(buckets.to(table.weight.device)).permute(2, 0, 1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """`(B, T, D)` → the `(B, T, D)` output of each layer, first to last."""
        x = x + self.pos_conv(x.transpose(1, 2)).transpose(1, 2)
        x = self.layer_norm(x)
        bias = self.position_bias(x.shape[1])
        outputs = []
        for layer in self.layers:
            x = layer(x, bias)
            outputs.append(x)
        return outputs


class BEATs(nn.Module):
    """BEATs feature extractor returning all layer outputs concatenated (TempoTokens' variant)."""

    def __init__(self, config: BEATsConfig = BEATsConfig()):
        super().__init__()
        self.config = config
        self.front_end = BeatsFrontEnd()
        self.patch_embedding = nn.Conv2d(
            1, config.embed_dim, kernel_size=config.input_patch_size, stride=config.input_patch_size, bias=config.conv_bias
        )
        self.layer_norm = nn.LayerNorm(config.embed_dim)
        if config.embed_dim != config.encoder_embed_dim:
            self.post_extract_proj = nn.Linear(config.embed_dim, config.encoder_embed_dim)
        else:
            self.post_extract_proj = None
        self.encoder = Encoder(config)

    @property
    def output_dim(self) -> int:
        """Channels of the concatenated output: layers × encoder width (12 × 768 = 9216)."""
        return self.config.encoder_layers * self.config.encoder_embed_dim

    def patch_tokens(self, fbank: torch.Tensor) -> torch.Tensor:
        """Normalised fbank `(B, frames, 128)` → `(B, T, encoder_embed_dim)` patch tokens.

        Tokens are in time-major order (index = time patch × 8 + frequency patch); trailing
        frames that do not fill a 16-frame patch are dropped.
        """
        patches = self.patch_embedding(fbank.unsqueeze(1))
        tokens = self.layer_norm(patches.flatten(2).transpose(1, 2))
        return tokens if self.post_extract_proj is None else self.post_extract_proj(tokens)

    def layer_outputs(self, waveforms: torch.Tensor) -> list[torch.Tensor]:
        """`(B, samples)` float32 16 kHz waveforms in [-1, 1] → each layer's `(B, T, 768)` output."""
        return self.encoder(self.patch_tokens(self.front_end(waveforms)))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        """`(B, samples)` float32 16 kHz waveforms in [-1, 1] → `(B, T, layers × 768)`,
        the layer outputs concatenated on channels (T = 96 for 2 s)."""
        return torch.cat(self.layer_outputs(waveforms), dim=2)


# Checkpoint keys of the AudioSet classifier head, which TempoTokens discards.
PREDICTOR_PREFIX = "predictor."


def beats_from_checkpoint(checkpoint: Mapping[str, Any]) -> BEATs:
    """A BEATs model built from a checkpoint dict (`{"cfg": ..., "model": state_dict}`), loaded
    strictly except for the classifier head, in eval mode.

    Raises ValueError when the dict lacks `cfg`/`model` or the state dict does not fit.
    """
    if not isinstance(checkpoint, Mapping) or "cfg" not in checkpoint or "model" not in checkpoint:
        raise ValueError("not a BEATs checkpoint: expected a dict with 'cfg' and 'model'")
    model = BEATs(BEATsConfig.from_checkpoint_cfg(checkpoint["cfg"]))
    state = {k: v for k, v in checkpoint["model"].items() if not k.startswith(PREDICTOR_PREFIX)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"state dict does not fit BEATs: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}")
    return model.eval().requires_grad_(False)
