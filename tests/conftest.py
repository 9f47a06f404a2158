"""Fixtures: an isolated environment for every test (cache, weights folder, Hugging Face cache),
the vendored real media, a tiny random CLIP."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The Hugging Face libraries read their cache location once, when first imported (some test
# modules import them at collection), so the tests' own empty folders are set here, before any
# test module loads: no test, no fixture and no process a test starts reads the user's Hugging
# Face cache, weights folder (`AVBENCH_WEIGHTS`) or avbench cache, or downloads. A test that
# needs files puts them in folders of its own. Numba's compiled-function cache (librosa's onset
# and peak picking) is one per test process too: numba's on-disk cache is not safe for several
# processes compiling at once (parallel test workers in a fresh environment crashed loading a
# half-written entry), and a test process's own subprocesses use it after it.
_HOME = Path(tempfile.mkdtemp(prefix="avbench-tests-"))
os.environ.update({"HF_HOME": str(_HOME / "hf"), "HF_HUB_CACHE": str(_HOME / "hf" / "hub"),
                   "AVBENCH_WEIGHTS": str(_HOME / "weights"), "AVBENCH_CACHE": str(_HOME / "cache"),
                   "AVBENCH_OFFLINE": "1", "NUMBA_CACHE_DIR": str(_HOME / "numba")})


def pytest_unconfigure(config):
    shutil.rmtree(_HOME, ignore_errors=True)


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
