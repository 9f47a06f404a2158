"""TempoTokens' temporal audio-token mapper (upstream `TempEmbedder`), inference only.

Parameter names and shapes equal the released `learned_embeds.pth` (TempoTokens' `TempEmbedder`), which loads
strictly. Dataflow (TempoTokens' inference path), for 2 s of audio and 24 video frames:

BEATs layers `(B, 96, 9216)` → per-token MLP 9216→2304→2304→1024 (GELU) → mean of each run of
96/24 = 4 consecutive tokens `(B, 24, 1024)` → GELU, Linear → the temporal tokens
`(B, 24, 1024)`. From them: local context means over windows w ∈ {1, 2, 4, 8} (frames
[i−w, i+w) clipped to the clip) and one class token `(B, 1024)`, an attention-weighted mean of
the 24 frame tokens whose weights come from a unary and a pairwise-self potential (the
factor-graph attention of Schwartz et al., 2019).

BEATs tokens are time-major (time patch × 8 + frequency patch), so with 4 tokens per frame
frame 2k averages frequency patches 0-3 of time patch k and frame 2k+1 patches 4-7; this is
upstream's grouping, kept because the released weights were trained with it.

Upstream applies dropout (p = 0.5) inside the unary potential at inference too (`F.dropout`
defaults to `training=True`), which makes its class token random. Passing a `torch.Generator` as
`upstream_dropout` reproduces that, with the mask drawn from the generator; the default (None)
leaves it out.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

LOCAL_WINDOWS = (1, 2, 4, 8)
UPSTREAM_DROPOUT_P = 0.5


@dataclass(frozen=True)
class MapperConfig:
    """Widths of the mapper (defaults: the released weights; `input_dim` = 12 × 768)."""

    input_dim: int = 9216
    hidden_dim: int = 2304
    token_dim: int = 1024


@dataclass(frozen=True)
class AudioTokens:
    """The mapper's output for B clips and F frames (all float, `token_dim` wide).

    `temporal (B, F, D)`: one token per frame (`<temp>`); `local (4 × (B, F, D))`: window means
    for w = 1, 2, 4, 8 (`<local1>`…`<local4>`); `clip (B, D)`: the class token (`<class>`).
    """

    temporal: torch.Tensor
    local: tuple[torch.Tensor, ...]
    clip: torch.Tensor

    @property
    def num_frames(self) -> int:
        return self.temporal.shape[1]

    def per_frame(self) -> torch.Tensor:
        """`(B, F, 6, D)`: for each frame, the vectors of the six placeholder tokens in prompt
        order (temporal, local 1-4, class)."""
        clip = self.clip[:, None].expand_as(self.temporal)
        return torch.stack([self.temporal, *self.local, clip], dim=2)


def group_per_frame(tokens: torch.Tensor, num_frames: int) -> torch.Tensor:
    """`(B, T, D)` → `(B, num_frames, D)`: the mean of each run of T / num_frames consecutive tokens."""
    b, t, d = tokens.shape
    if t % num_frames:
        raise ValueError(f"{t} audio tokens cannot be split evenly over {num_frames} frames")
    return tokens.view(b, num_frames, t // num_frames, d).mean(dim=2)


def window_average_matrix(num_frames: int, half_width: int) -> torch.Tensor:
    """`(F, F)` row-stochastic matrix whose row i averages frames [max(i−w, 0), min(i+w, F))."""
    i = torch.arange(num_frames)[:, None]
    j = torch.arange(num_frames)[None, :]
    inside = (j >= i - half_width) & (j < i + half_width)
    return inside.float() / inside.sum(dim=1, keepdim=True)


def local_window_means(frames: torch.Tensor, half_width: int) -> torch.Tensor:
    """`(B, F, D)` → `(B, F, D)`: each frame replaced by the mean over frames [i−w, i+w) (half-open,
    clipped at the clip's ends; for w = 1 the mean of frames i−1 and i)."""
    weights = window_average_matrix(frames.shape[1], half_width).to(frames)
    return weights @ frames


class UnaryPotential(nn.Module):
    """Per-element score: Conv1d(D, D, 1), ReLU, [dropout], Conv1d(D, 1, 1). `(B, F, D)` → `(B, F)`."""

    def __init__(self, dim: int):
        super().__init__()
        self.embed = nn.Conv1d(dim, dim, 1)
        self.feature_reduce = nn.Conv1d(dim, 1, 1)

    def forward(self, x: torch.Tensor, dropout: torch.Generator | None = None) -> torch.Tensor:
        hidden = F.relu(self.embed(x.transpose(1, 2)))
        if dropout is not None:
            keep = torch.empty(hidden.shape, dtype=hidden.dtype).bernoulli_(1 - UPSTREAM_DROPOUT_P, generator=dropout)
            hidden = hidden * keep.to(hidden.device) / (1 - UPSTREAM_DROPOUT_P)
        return self.feature_reduce(hidden).squeeze(1)


class PairwiseSelfPotential(nn.Module):
    """Per-element score from self-interactions: the mean cosine similarity of element i's
    `embed_X` projection with every element's `embed_Y` projection. `(B, F, D)` → `(B, F)`."""

    def __init__(self, dim: int):
        super().__init__()
        self.embed_X = nn.Conv1d(dim, dim, 1)
        self.embed_Y = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels_first = x.transpose(1, 2)
        a = F.normalize(self.embed_X(channels_first), dim=1)
        b = F.normalize(self.embed_Y(channels_first), dim=1)
        return (a.transpose(1, 2) @ b).mean(dim=2)


class AttentivePooling(nn.Module):
    """Class token: softmax over frames of a learned combination (Conv1d(2, 1, 1), no bias) of the
    unary and pairwise potentials, then the weighted sum of the frame tokens. `(B, F, D)` → `(B, D)`.

    Submodule names follow upstream's `Atten(util_e=[D], pairwise_flag=False)` with one utility.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.un_models = nn.ModuleList([UnaryPotential(dim)])
        self.pp_models = nn.ModuleDict({"0": PairwiseSelfPotential(dim)})
        self.reduce_potentials = nn.ModuleList([nn.Conv1d(2, 1, 1, bias=False)])

    def forward(self, x: torch.Tensor, dropout: torch.Generator | None = None) -> torch.Tensor:
        potentials = torch.stack([self.un_models[0](x, dropout), self.pp_models["0"](x)], dim=1)
        weights = torch.softmax(self.reduce_potentials[0](potentials).squeeze(1), dim=1)
        return (weights.unsqueeze(2) * x).sum(dim=1)


class AudioTokenMapper(nn.Module):
    """BEATs layer outputs → TempoTokens' per-frame audio tokens (see the module docstring)."""

    def __init__(self, config: MapperConfig = MapperConfig()):
        super().__init__()
        self.config = config
        self.fc1 = nn.Linear(config.input_dim, config.hidden_dim)
        self.fc2 = nn.Linear(config.hidden_dim, config.hidden_dim)
        self.fc3 = nn.Linear(config.hidden_dim, config.token_dim)
        self.fc4 = nn.Linear(config.token_dim, config.token_dim)
        self.fga = AttentivePooling(config.token_dim)

    def forward(
        self, beats_layers: torch.Tensor, num_frames: int, upstream_dropout: torch.Generator | None = None
    ) -> AudioTokens:
        """`beats_layers (B, T, input_dim)` → tokens for `num_frames` frames.

        With a (CPU) generator as `upstream_dropout`, upstream's inference-time dropout is applied
        in the class-token pooling, its mask drawn from that generator.
        """
        x = self.fc3(F.gelu(self.fc2(F.gelu(self.fc1(beats_layers)))))
        temporal = self.fc4(F.gelu(group_per_frame(x, num_frames)))
        clip = self.fga(temporal, upstream_dropout)
        local = tuple(local_window_means(temporal, w) for w in LOCAL_WINDOWS)
        return AudioTokens(temporal=temporal, local=local, clip=clip)


def strip_module_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys without a leading `module.` (left by a DataParallel/accelerate wrapper)."""
    return {k.removeprefix("module."): v for k, v in state.items()}


def mapper_from_state_dict(state: dict[str, torch.Tensor]) -> AudioTokenMapper:
    """A mapper sized from `state`'s shapes, loaded strictly, in eval mode.

    Raises ValueError when `state` is not a mapper state dict.
    """
    if not isinstance(state, dict):
        raise ValueError("not a TempoTokens mapper state dict (expected a dict of tensors)")
    state = strip_module_prefix(state)
    try:
        hidden_dim, input_dim = state["fc1.weight"].shape
        token_dim = state["fc3.weight"].shape[0]
    except (KeyError, AttributeError, ValueError):
        raise ValueError("not a TempoTokens mapper state dict (no 2-D fc1.weight/fc3.weight)") from None
    mapper = AudioTokenMapper(MapperConfig(input_dim, hidden_dim, token_dim))
    try:
        missing, unexpected = mapper.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # a shape mismatch
        raise ValueError(f"state dict does not fit the mapper: {' '.join(str(exc).split())}") from None
    if missing or unexpected:
        raise ValueError(f"state dict does not fit the mapper: missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    return mapper.eval().requires_grad_(False)
