"""Temporal audio-token mapper: `learned_embeds.pth` layout (TempoTokens' `TempEmbedder` state dict), per-frame grouping
and local windows on hand-built inputs, the class-token pooling against its formula, dropout."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from avbench.metrics.errors import WeightsError
from avbench.reference_model.checkpoints import load_mapper
from avbench.reference_model.mapper import (
    LOCAL_WINDOWS,
    AttentivePooling,
    AudioTokenMapper,
    UnaryPotential,
    group_per_frame,
    local_window_means,
    mapper_from_state_dict,
)
from reference_tiny import TINY_MAPPER, mapper_state

DOCUMENTED_LAYOUT = {
    "fc1.weight": (2304, 9216), "fc1.bias": (2304,),
    "fc2.weight": (2304, 2304), "fc2.bias": (2304,),
    "fc3.weight": (1024, 2304), "fc3.bias": (1024,),
    "fc4.weight": (1024, 1024), "fc4.bias": (1024,),
    "fga.un_models.0.embed.weight": (1024, 1024, 1), "fga.un_models.0.embed.bias": (1024,),
    "fga.un_models.0.feature_reduce.weight": (1, 1024, 1), "fga.un_models.0.feature_reduce.bias": (1,),
    "fga.pp_models.0.embed_X.weight": (1024, 1024, 1), "fga.pp_models.0.embed_X.bias": (1024,),
    "fga.pp_models.0.embed_Y.weight": (1024, 1024, 1), "fga.pp_models.0.embed_Y.bias": (1024,),
    "fga.reduce_potentials.0.weight": (1, 2, 1),
}


def test_state_dict_matches_learned_embeds_layout():
    with torch.device("meta"):
        mapper = AudioTokenMapper()
    assert {k: tuple(v.shape) for k, v in mapper.state_dict().items()} == DOCUMENTED_LAYOUT
    assert sum(p.numel() for p in mapper.parameters()) == 33_106_435


def test_loads_strictly_and_strips_module_prefix(tmp_path):
    state = mapper_state()
    mapper = mapper_from_state_dict({f"module.{k}": v for k, v in state.items()})
    assert mapper.config == TINY_MAPPER and not mapper.training
    assert all(torch.equal(mapper.state_dict()[k], v) for k, v in state.items())
    path = tmp_path / "learned_embeds.pth"
    torch.save(state, path)
    assert load_mapper("landscape", path).config == TINY_MAPPER
    broken = dict(state)
    broken.pop("fga.reduce_potentials.0.weight")
    with pytest.raises(ValueError, match="missing .*reduce_potentials"):
        mapper_from_state_dict(broken)
    with pytest.raises(ValueError, match="does not fit"):
        mapper_from_state_dict(state | {"fc4.weight": torch.zeros(3, 3)})
    torch.save([1, 2], path)
    with pytest.raises(WeightsError, match="expected a dict"):
        load_mapper("landscape", path)


def test_group_per_frame_averages_consecutive_tokens():
    tokens = torch.arange(16, dtype=torch.float32).view(1, 8, 2)  # token i = (2i, 2i+1)
    frames = group_per_frame(tokens, 4)
    torch.testing.assert_close(frames, torch.tensor([[[1.0, 2.0], [5.0, 6.0], [9.0, 10.0], [13.0, 14.0]]]))
    with pytest.raises(ValueError, match="cannot be split evenly"):
        group_per_frame(torch.zeros(1, 90, 2), 24)


def test_local_windows_by_hand():
    frames = torch.tensor([0.0, 1.0, 2.0, 3.0]).view(1, 4, 1)
    # w=1: mean of frames [i-1, i+1) → frames i-1 and i
    torch.testing.assert_close(local_window_means(frames, 1).flatten(), torch.tensor([0.0, 0.5, 1.5, 2.5]))
    # w=2: [0,2) [0,3) [0,4) [1,4)
    torch.testing.assert_close(local_window_means(frames, 2).flatten(), torch.tensor([0.5, 1.0, 1.5, 2.0]))


@pytest.mark.parametrize("w", LOCAL_WINDOWS)
def test_local_windows_equal_the_slice_definition(w):
    frames = torch.randn(2, 24, 5, generator=torch.Generator().manual_seed(w))
    expected = torch.stack([frames[:, max(i - w, 0):min(i + w, 24)].mean(dim=1) for i in range(24)], dim=1)
    torch.testing.assert_close(local_window_means(frames, w), expected)


def test_class_token_pooling_equals_its_formula():
    torch.manual_seed(0)
    pool = AttentivePooling(6)
    x = torch.randn(2, 5, 6)
    p = {k: v.detach().double().numpy() for k, v in pool.state_dict().items()}
    xs = x.double().numpy()
    for b in range(2):
        hidden = np.maximum(xs[b] @ p["un_models.0.embed.weight"][:, :, 0].T + p["un_models.0.embed.bias"], 0)
        unary = hidden @ p["un_models.0.feature_reduce.weight"][0, :, 0] + p["un_models.0.feature_reduce.bias"][0]
        ex = xs[b] @ p["pp_models.0.embed_X.weight"][:, :, 0].T + p["pp_models.0.embed_X.bias"]
        ey = xs[b] @ p["pp_models.0.embed_Y.weight"][:, :, 0].T + p["pp_models.0.embed_Y.bias"]
        ex /= np.linalg.norm(ex, axis=1, keepdims=True)
        ey /= np.linalg.norm(ey, axis=1, keepdims=True)
        pairwise = (ex @ ey.T).mean(axis=1)
        w0, w1 = p["reduce_potentials.0.weight"][0, :, 0]
        score = w0 * unary + w1 * pairwise
        weights = np.exp(score - score.max())
        weights /= weights.sum()
        np.testing.assert_allclose(pool(x)[b].detach().double().numpy(), weights @ xs[b], atol=1e-6)


def test_mapper_composes_mlp_grouping_and_heads():
    mapper = mapper_from_state_dict(mapper_state())
    x = torch.randn(1, 96, TINY_MAPPER.input_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = mapper(x, num_frames=24)
        hidden = mapper.fc3(F.gelu(mapper.fc2(F.gelu(mapper.fc1(x)))))
        temporal = mapper.fc4(F.gelu(hidden.view(1, 24, 4, -1).mean(dim=2)))
        torch.testing.assert_close(out.temporal, temporal)
        torch.testing.assert_close(out.clip, mapper.fga(temporal))
    for w, local in zip(LOCAL_WINDOWS, out.local):
        torch.testing.assert_close(local, local_window_means(temporal, w))
    per_frame = out.per_frame()
    assert per_frame.shape == (1, 24, 6, TINY_MAPPER.token_dim)
    torch.testing.assert_close(per_frame[0, 7, 0], out.temporal[0, 7])
    torch.testing.assert_close(per_frame[0, 7, 4], out.local[3][0, 7])
    torch.testing.assert_close(per_frame[0, 7, 5], out.clip[0])


def test_upstream_dropout_is_opt_in_and_seeded():
    mapper = mapper_from_state_dict(mapper_state())
    x = torch.randn(1, 96, TINY_MAPPER.input_dim, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        a, b = mapper(x, 24), mapper(x, 24)
        c1 = mapper(x, 24, torch.Generator().manual_seed(1))
        c2 = mapper(x, 24, torch.Generator().manual_seed(1))
        c3 = mapper(x, 24, torch.Generator().manual_seed(2))
    torch.testing.assert_close(a.clip, b.clip)
    torch.testing.assert_close(c1.clip, c2.clip)
    assert not torch.allclose(c1.clip, c3.clip) and not torch.allclose(c1.clip, a.clip)
    torch.testing.assert_close(c1.temporal, a.temporal)  # only the class token is affected


def test_dropout_is_unbiased_p_half():
    # the unary score is linear after the dropout, so its mean over masks is the dropout-free score
    torch.manual_seed(0)
    unary = UnaryPotential(8)
    x = torch.randn(1, 6, 8)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        clean = unary(x)
        draws = torch.stack([unary(x, g) for _ in range(4000)])
        hidden = F.relu(unary.embed(x.transpose(1, 2)))
    spread = draws.std(dim=0) / 4000**0.5
    assert ((draws.mean(dim=0) - clean).abs() < 5 * spread).all()
    # keep-or-zero with p = 1/2 and survivors doubled: Var = Σ_c (w_c h_c)² · 2² · p(1-p)
    weight = unary.feature_reduce.weight[0, :, 0]
    expected_var = ((weight[:, None] * hidden[0]) ** 2).sum(dim=0)
    torch.testing.assert_close(draws.var(dim=0)[0], expected_var, rtol=0.1, atol=0)
