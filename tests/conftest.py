"""Shared fixtures: an isolated cache per test session and generated media."""
from __future__ import annotations

import os
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
def shared_media() -> Path:
    """`../shared/data/media` beside the checkout (or $AVBENCH_SHARED_DATA/media). In CI it
    must exist; elsewhere the tests that need it are skipped with a reason."""
    base = Path(os.environ.get("AVBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
    media = base / "media"
    if not media.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared media not found at {media}")
        pytest.skip(f"shared media not found at {media}")
    return media
