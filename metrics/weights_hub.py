"""Hugging Face Hub models in the weights registry (the CLIP models of the CLIP scores).

Such an entry (`repo_id` set) is a transformers-style repository that `transformers` loads by id
from the Hugging Face cache; avbench never reads its files itself. This module says where
huggingface_hub caches it, whether the files a load reads are there (without the network), and
downloads them through huggingface_hub, which honours `HF_HUB_CACHE` and `HF_HUB_OFFLINE` and
resumes its own partial files.
"""
from __future__ import annotations

from pathlib import Path

from .errors import WeightsError

# What loading a model and its tokenizer reads besides the entry's weights file: the small JSON
# and text files (config, tokenizer, preprocessor); `REQUIRED` must be among them.
SMALL_FILES = ("*.json", "*.txt")
REQUIRED = ("config.json", "tokenizer_config.json")


def hub_cache() -> Path:
    """huggingface_hub's cache folder (`HF_HUB_CACHE`, else under `HF_HOME`, else ~/.cache/huggingface/hub)."""
    from huggingface_hub.constants import HF_HUB_CACHE

    return Path(HF_HUB_CACHE)


def repo_folder(spec) -> Path:
    """Where huggingface_hub caches `spec`'s repository."""
    return hub_cache() / f"models--{spec.repo_id.replace('/', '--')}"


def cached_snapshot(spec) -> Path | None:
    """The cached snapshot folder of `spec` (its revision, else `main`) when every file a load
    reads is there; None otherwise. Reads the cache only."""
    from huggingface_hub import try_to_load_from_cache

    found = [try_to_load_from_cache(spec.repo_id, name, revision=spec.revision) for name in (*REQUIRED, spec.filename)]
    return Path(found[0]).parent if all(isinstance(path, str) for path in found) else None


def download(spec, offline: bool = False, progress: bool | None = None) -> Path:
    """Fetch `spec`'s files into the Hugging Face cache (a cache hit only when `offline`) and
    return the snapshot folder; any failure is a WeightsError naming the repository.
    `progress=False` turns huggingface_hub's progress bars off."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import EntryNotFoundError
    from huggingface_hub.utils import disable_progress_bars

    if progress is False:
        disable_progress_bars()

    try:
        snapshot_download(spec.repo_id, revision=spec.revision, allow_patterns=[*SMALL_FILES, spec.filename],
                          local_files_only=offline)
    except (OSError, ValueError, EntryNotFoundError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WeightsError(f"Hugging Face model {spec.repo_id}: download failed: {reason}") from None
    folder = cached_snapshot(spec)
    if folder is None:
        wanted = ", ".join((*REQUIRED, spec.filename))
        raise WeightsError(f"Hugging Face model {spec.repo_id} (revision {spec.revision or 'main'}): "
                           f"the repository lacks one of {wanted}")
    return folder
