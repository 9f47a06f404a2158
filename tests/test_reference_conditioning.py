"""Audio conditioning through stock classes: placeholder tokens injected by a hook on the CLIP
token embedding, and per-frame cross-attention in a stock UNet3DConditionModel."""
from __future__ import annotations

import copy

import pytest
import torch
from diffusers.models.attention_processor import AttnProcessor2_0
from transformers import CLIPTokenizer

from avbench.reference_model.conditioning import (
    PLACEHOLDER_TOKENS,
    PlaceholderInjector,
    add_placeholder_tokens,
    cross_attention_layers,
    install_per_frame_conditioning,
)
from reference_tiny import TEXT_DIM, tiny_text_encoder, tiny_unet, write_tokenizer

FRAMES = 4


@pytest.fixture(scope="module")
def text_parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tokenizer")
    write_tokenizer(folder)
    torch.manual_seed(0)
    tokenizer, encoder = CLIPTokenizer.from_pretrained(folder), tiny_text_encoder().eval()
    ids = add_placeholder_tokens(tokenizer, encoder)
    return tokenizer, encoder, ids


def encode(tokenizer, encoder, prompts):
    ids = tokenizer(prompts, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
    with torch.no_grad():
        return encoder(ids).last_hidden_state


def test_placeholder_tokens_get_consecutive_new_ids(text_parts):
    tokenizer, encoder, ids = text_parts
    assert ids == tuple(range(514, 520))  # after the base vocabulary, in prompt order
    assert tokenizer.convert_ids_to_tokens(list(ids)) == list(PLACEHOLDER_TOKENS)
    assert encoder.get_input_embeddings().num_embeddings == 520
    with pytest.raises(ValueError, match="already holds"):
        add_placeholder_tokens(tokenizer, encoder)


def test_injection_equals_encoding_the_injected_tokens(text_parts):
    # Injecting the embedding of a real token must give exactly the encoding of a prompt that
    # holds that token: the hook replaces the lookup and nothing else.
    tokenizer, encoder, ids = text_parts
    table = encoder.get_input_embeddings().weight.detach()
    words = ["x", "y", "z"]
    word_ids = [tokenizer.convert_tokens_to_ids(w + "</w>") for w in words]
    values = torch.zeros(3, len(ids), TEXT_DIM)
    values[:, 0] = table[word_ids]  # <temp>, one word per row
    values[:, 5] = table[tokenizer.convert_tokens_to_ids("q</w>")]  # <class>, the same in every row
    injector = PlaceholderInjector(encoder.get_input_embeddings(), ids)
    try:
        with injector.inject(values):
            ours = encode(tokenizer, encoder, ["a <temp> b <class>"] * 3)
        expected = encode(tokenizer, encoder, [f"a {w} b q" for w in words])
        torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)
        # outside inject() the hook changes nothing
        torch.testing.assert_close(encode(tokenizer, encoder, ["a x b q"]), expected[:1])
        with injector.inject(values[:2]), pytest.raises(ValueError, match="do not fit 3 prompt rows"):
            encode(tokenizer, encoder, ["a <temp> b <class>"] * 3)
    finally:
        injector.remove()


@pytest.fixture(scope="module")
def unets():
    torch.manual_seed(0)
    stock = tiny_unet().eval()
    with torch.no_grad():
        for p in stock.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    patched = copy.deepcopy(stock)
    conditioning = install_per_frame_conditioning(patched)
    return stock, patched, conditioning


def unet_inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    latents = torch.randn(2, 4, FRAMES, 4, 4, generator=g)
    per_frame = torch.randn(2 * FRAMES, 77, TEXT_DIM, generator=g)  # (b f) order
    return latents, per_frame


def test_only_cross_attention_layers_are_patched(unets):
    _, patched, _ = unets
    names = set(cross_attention_layers(patched))
    assert names == {
        "down_blocks.0.attentions.0.transformer_blocks.0.attn2",
        "mid_block.attentions.0.transformer_blocks.0.attn2",
        "up_blocks.1.attentions.0.transformer_blocks.0.attn2",
        "up_blocks.1.attentions.1.transformer_blocks.0.attn2",
    }
    for name, proc in patched.attn_processors.items():
        assert (type(proc).__name__ == "PerFrameCrossAttnProcessor") == (name.removesuffix(".processor") in names)


def test_no_layer_reads_the_repeated_prompt(unets):
    # the UNet's own frame-repeated encoder_hidden_states must reach no layer: a NaN placeholder
    # leaves the output finite
    _, patched, conditioning = unets
    latents, per_frame = unet_inputs()
    with torch.no_grad(), conditioning.use(per_frame):
        out = patched(latents, 10, encoder_hidden_states=torch.full((2, 77, TEXT_DIM), float("nan"))).sample
    assert torch.isfinite(out).all()


def test_same_prompt_for_every_frame_equals_stock_unet(unets):
    stock, patched, conditioning = unets
    latents, per_frame = unet_inputs(1)
    prompts = per_frame[[0, FRAMES]]  # one prompt per batch element
    with torch.no_grad():
        expected = stock(latents, 500, encoder_hidden_states=prompts).sample
        with conditioning.use(prompts.repeat_interleave(FRAMES, dim=0)):
            ours = patched(latents, 500, encoder_hidden_states=prompts).sample
    torch.testing.assert_close(ours, expected, atol=0, rtol=0)


def test_each_frame_attends_to_its_own_prompt(unets):
    _, patched, conditioning = unets
    latents, per_frame = unet_inputs(2)
    layer = cross_attention_layers(patched)["down_blocks.0.attentions.0.transformer_blocks.0.attn2"]
    seen = {}
    handle = layer.register_forward_hook(lambda m, args, out: seen.update(x=args[0], out=out))
    try:
        with torch.no_grad(), conditioning.use(per_frame):
            patched(latents, 500, encoder_hidden_states=per_frame[::FRAMES])
    finally:
        handle.remove()
    stock_attention = AttnProcessor2_0()
    with torch.no_grad():
        for row in range(2 * FRAMES):
            alone = stock_attention(layer, seen["x"][row:row + 1], per_frame[row:row + 1])
            torch.testing.assert_close(seen["out"][row:row + 1], alone, atol=1e-6, rtol=1e-5)


def test_unet_call_without_conditioning_fails_clearly(unets):
    _, patched, conditioning = unets
    latents, per_frame = unet_inputs()
    with torch.no_grad(), pytest.raises(RuntimeError, match="per-frame conditioning is not set"):
        patched(latents, 10, encoder_hidden_states=per_frame[::FRAMES])
    with torch.no_grad(), conditioning.use(per_frame[:3]), pytest.raises(RuntimeError, match="3 per-frame embeddings"):
        patched(latents, 10, encoder_hidden_states=per_frame[::FRAMES])
