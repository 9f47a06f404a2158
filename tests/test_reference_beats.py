"""BEATs port: checkpoint layout (microsoft/unilm BEATs), loading, relative position buckets, one
encoder layer against a plain per-head loop, token order and the layer concatenation."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from avbench.metrics.errors import WeightsError
from avbench.reference_model.beats import BEATs, BEATsConfig, EncoderLayer, beats_from_checkpoint, relative_position_buckets
from avbench.reference_model.checkpoints import load_beats
from reference_tiny import TINY_BEATS, beats_checkpoint


def documented_checkpoint_layout() -> dict[str, tuple[int, ...]]:
    """The 252 keys of BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt's `model`, as documented."""
    layout = {
        "patch_embedding.weight": (512, 1, 16, 16),
        "layer_norm.weight": (512,), "layer_norm.bias": (512,),
        "post_extract_proj.weight": (768, 512), "post_extract_proj.bias": (768,),
        "encoder.pos_conv.0.bias": (768,), "encoder.pos_conv.0.weight_g": (1, 1, 128),
        "encoder.pos_conv.0.weight_v": (768, 48, 128),
        "encoder.layer_norm.weight": (768,), "encoder.layer_norm.bias": (768,),
        "predictor.weight": (527, 768), "predictor.bias": (527,),
    }
    for n in range(12):
        p = f"encoder.layers.{n}."
        for proj in "qkv":
            layout[f"{p}self_attn.{proj}_proj.weight"] = (768, 768)
            layout[f"{p}self_attn.{proj}_proj.bias"] = (768,)
        layout[f"{p}self_attn.out_proj.weight"] = (768, 768)
        layout[f"{p}self_attn.out_proj.bias"] = (768,)
        layout[f"{p}self_attn.relative_attention_bias.weight"] = (320, 12)
        layout[f"{p}self_attn.grep_linear.weight"] = (8, 64)
        layout[f"{p}self_attn.grep_linear.bias"] = (8,)
        layout[f"{p}self_attn.grep_a"] = (1, 12, 1, 1)
        for norm in ("self_attn_layer_norm", "final_layer_norm"):
            layout[f"{p}{norm}.weight"] = layout[f"{p}{norm}.bias"] = (768,)
        layout[f"{p}fc1.weight"], layout[f"{p}fc1.bias"] = (3072, 768), (3072,)
        layout[f"{p}fc2.weight"], layout[f"{p}fc2.bias"] = (768, 3072), (768,)
    return layout


def test_state_dict_matches_documented_checkpoint_layout():
    with torch.device("meta"):
        model = BEATs(BEATsConfig())
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = documented_checkpoint_layout()
    assert len(expected) == 252
    assert ours == {k: v for k, v in expected.items() if not k.startswith("predictor.")}
    # 90.7 M parameters with the (dropped) 527-class head, the shared position bias counted once
    head = 527 * 768 + 527
    assert sum(p.numel() for p in model.parameters()) + head == 90_717_055
    assert model.output_dim == 9216


def test_loads_checkpoint_dropping_only_the_head(tmp_path):
    checkpoint = beats_checkpoint()
    model = beats_from_checkpoint(checkpoint)
    assert not model.training
    state = model.state_dict()
    for key, value in checkpoint["model"].items():
        if key.startswith("predictor."):
            assert key not in state
        else:
            assert torch.equal(state[key], value), key
    # the file goes through the registry's safe loader (weights_only) and keeps its cfg
    path = tmp_path / "beats.pt"
    torch.save(checkpoint, path)
    assert load_beats(path).config == TINY_BEATS


def test_rejects_checkpoints_that_do_not_fit(tmp_path):
    checkpoint = beats_checkpoint()
    del checkpoint["model"]["encoder.layers.1.fc2.bias"]
    with pytest.raises(ValueError, match="missing .*encoder.layers.1.fc2.bias"):
        beats_from_checkpoint(checkpoint)
    with pytest.raises(ValueError, match="expected a dict with 'cfg' and 'model'"):
        beats_from_checkpoint({"model": {}})
    with pytest.raises(ValueError, match="pre-LN"):
        beats_from_checkpoint(beats_checkpoint() | {"cfg": {"layer_norm_first": True}})
    path = tmp_path / "not-weights.pt"
    path.write_bytes(b"garbage")
    with pytest.raises(WeightsError, match="cannot be read"):
        load_beats(path)


def test_relative_position_buckets_by_hand():
    buckets = relative_position_buckets(801, num_buckets=320, max_distance=800)

    def bucket(i, j):
        return buckets[i, j].item()

    assert bucket(5, 5) == 0
    assert bucket(5, 6) == 161 and bucket(6, 5) == 1  # keys after the query use the upper half
    assert bucket(0, 79) == 160 + 79 and bucket(79, 0) == 79  # exact below 320 / 4
    assert bucket(0, 80) == 160 + 80 and bucket(80, 0) == 80
    # 80 + floor(ln(95/80) / ln(800/80) * 80) = 80 + floor(5.97)
    assert bucket(0, 95) == 160 + 85 and bucket(95, 0) == 85
    assert bucket(0, 800) == 160 + 159 and bucket(800, 0) == 159  # clipped to the last bucket


def plain_layer(layer: EncoderLayer, x: np.ndarray, bias: np.ndarray, heads: int) -> np.ndarray:
    """One post-LN deep-norm layer in float64 numpy, head by head and query by query."""
    p = {k: v.detach().double().numpy() for k, v in layer.state_dict().items()}

    def linear(name, v):
        return v @ p[f"{name}.weight"].T + p[f"{name}.bias"]

    def layer_norm(name, v):
        mu, var = v.mean(-1, keepdims=True), v.var(-1, keepdims=True)
        return (v - mu) / np.sqrt(var + 1e-5) * p[f"{name}.weight"] + p[f"{name}.bias"]

    t, d = x.shape
    hd = d // heads
    q, k, v = (linear(f"self_attn.{n}_proj", x) for n in "qkv")
    attn = np.zeros_like(x)
    for h in range(heads):
        cols = slice(h * hd, (h + 1) * hd)
        for i in range(t):
            logits = linear("self_attn.grep_linear", q[i, cols])
            a = 1 / (1 + math.exp(-logits[:4].sum()))
            b = 1 / (1 + math.exp(-logits[4:].sum()))
            gate = a * (b * p["self_attn.grep_a"][0, h, 0, 0] - 1) + 2
            scores = k[:, cols] @ q[i, cols] / math.sqrt(hd) + gate * bias[h, i]
            w = np.exp(scores - scores.max())
            attn[i, cols] = (w / w.sum()) @ v[:, cols]
    alpha = layer.alpha
    x = layer_norm("self_attn_layer_norm", x * alpha + linear("self_attn.out_proj", attn))
    hidden = linear("fc1", x)
    hidden = 0.5 * hidden * (1 + np.vectorize(math.erf)(hidden / math.sqrt(2)))
    return layer_norm("final_layer_norm", x * alpha + linear("fc2", hidden))


def test_encoder_layer_equals_plain_per_head_loop():
    model = beats_from_checkpoint(beats_checkpoint())
    layer = model.encoder.layers[1]
    x = torch.randn(1, 20, TINY_BEATS.encoder_embed_dim, generator=torch.Generator().manual_seed(0))
    bias = model.encoder.position_bias(20)
    with torch.no_grad():
        ours = layer(x, bias)[0].double().numpy()
    ref = plain_layer(layer, x[0].double().numpy(), bias.detach().double().numpy(), TINY_BEATS.encoder_attention_heads)
    assert layer.alpha == pytest.approx((2 * TINY_BEATS.encoder_layers) ** 0.25)
    np.testing.assert_allclose(ours, ref, atol=2e-5)


def test_tokens_are_time_major_patches():
    model = BEATs(TINY_BEATS)
    model.layer_norm, model.post_extract_proj = nn.Identity(), nn.Identity()
    with torch.no_grad():
        model.patch_embedding.weight.fill_(1 / 256)  # each output channel = the patch mean
    fbank = torch.zeros(1, 50, 128)  # 3 time patches; the last 2 frames are dropped
    for t in range(3):
        for f in range(8):
            fbank[0, 16 * t:16 * (t + 1), 16 * f:16 * (f + 1)] = 10 * t + f
    fbank[0, 48:] = 1e6
    tokens = model.patch_tokens(fbank)
    assert tokens.shape == (1, 24, TINY_BEATS.embed_dim)
    expected = torch.tensor([10 * t + f for t in range(3) for f in range(8)], dtype=torch.float32)
    torch.testing.assert_close(tokens[0, :, 0], expected)


def test_output_concatenates_every_layer_in_order():
    checkpoint = beats_checkpoint()
    model = beats_from_checkpoint(checkpoint)
    wave = torch.randn(2, 32000, generator=torch.Generator().manual_seed(1)) * 0.1
    with torch.no_grad():
        out = model(wave)
    dim = TINY_BEATS.encoder_embed_dim
    assert out.shape == (2, 96, TINY_BEATS.encoder_layers * dim)
    # the first block equals a one-layer model holding layer 0's weights
    one_layer = {k: v for k, v in checkpoint["model"].items() if ".layers.1." not in k}
    cfg = checkpoint["cfg"] | {"encoder_layers": 1}
    shallow = beats_from_checkpoint({"cfg": cfg, "model": one_layer})
    # deep-norm α depends on the layer count, so give the shallow copy the deep model's α
    shallow.encoder.layers[0].alpha = model.encoder.layers[0].alpha
    with torch.no_grad():
        torch.testing.assert_close(shallow(wave), out[..., :dim])
    assert not torch.allclose(out[..., :dim], out[..., dim:])
