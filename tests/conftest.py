"""Fixtures: an isolated cache per test session, the vendored real media, a tiny random CLIP."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test writes its caches under a temporary AVBENCH_CACHE, never ~/.cache."""
    root = tmp_path_factory.getbasetemp() / "avbench-cache"
    monkeypatch.setenv("AVBENCH_CACHE", str(root))
    monkeypatch.setenv("AVBENCH_OFFLINE", "1")
    return root


@pytest.fixture(scope="session")
def real_media() -> Path:
    """`tests/data/media`: real container files from other encoders (see its README)."""
    return REPO / "tests" / "data" / "media"


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory):
    """A saved random CLIP (2-layer towers, 224 px, patch 32, 512-d projection) with a byte-level tokenizer."""
    import torch
    from tokenizers import pre_tokenizers
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

    torch.manual_seed(0)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    config = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), max_position_embeddings=77, eos_token_id=1, bos_token_id=0,
                         pad_token_id=1, **small),
        vision_config=dict(image_size=224, patch_size=32, **small),
        projection_dim=512,  # Wav2CLIP embeds in ViT-B/32's 512-d space
    )
    path = tmp_path_factory.mktemp("tiny_clip")
    CLIPModel(config).eval().save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
