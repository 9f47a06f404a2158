"""CLIP image and text towers through `transformers` (`CLIPModel`), loaded by Hugging Face model
id or local directory, with one clear message when a model is not available offline.

Embeddings are the projected pooled outputs (`visual_projection(vision_model(x).pooler_output)`,
`text_projection(text_model(ids).pooler_output)`), i.e. what `CLIPModel.get_image_features` /
`get_text_features` return and what `CLIPModel.forward` normalises into `image_embeds` /
`text_embeds`. Texts are tokenised with the model's own tokenizer, truncated to its context
length (77 for OpenAI CLIP).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch

from ..errors import WeightsError
from ..weights import HUB_OFFLINE_FLAGS, is_offline
from ..weights_hub import hub_cache

_HOW_TO_GET = (
    "download it once where the Hugging Face Hub is reachable (`avbench weights download` with the metric's "
    "name, or `hf download {model_id}`) so it lands in the Hugging Face cache ({cache}), or pass a "
    "local directory holding its config.json, weights and tokenizer files"
)


def _offline() -> bool:
    return is_offline(env_flags=HUB_OFFLINE_FLAGS)


@dataclass
class CLIPTowers:
    """A loaded CLIP model and tokenizer, with the id/path and Hub revision they came from."""

    model: Any
    tokenizer: Any
    source: str
    revision: str | None

    @property
    def context_length(self) -> int:
        return int(self.model.config.text_config.max_position_embeddings)

    @torch.inference_mode()
    def image_embeddings(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Projected image embeddings `(N, D)` float32 of CLIP pixel values `(N, 3, S, S)`."""
        device = next(self.model.parameters()).device
        pooled = self.model.vision_model(pixel_values=pixel_values.to(device)).pooler_output
        return self.model.visual_projection(pooled).float()

    def tokens(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        return self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.context_length,
                              return_tensors="pt")

    @torch.inference_mode()
    def text_embeddings(self, texts: Sequence[str]) -> torch.Tensor:
        """Projected text embeddings `(N, D)` float32 of `texts`."""
        device = next(self.model.parameters()).device
        tokens = self.tokens(texts)
        out = self.model.text_model(input_ids=tokens["input_ids"].to(device),
                                    attention_mask=tokens["attention_mask"].to(device))
        return self.model.text_projection(out.pooler_output).float()


def _missing(model_id_or_path: str, state: str) -> WeightsError:
    how = _HOW_TO_GET.format(model_id=model_id_or_path, cache=hub_cache())
    return WeightsError(f"CLIP model {model_id_or_path!r} {state}: {how}")


def require_clip(model_id_or_path: str, offline: bool | None = None) -> None:
    """Raise `load_clip`'s missing-model message unless the model's files can be found — a local
    directory, or offline the Hugging Face cache — without loading the model."""
    if Path(model_id_or_path).is_dir():
        if not (Path(model_id_or_path) / "config.json").is_file():
            raise _missing(model_id_or_path, "is a directory without config.json")
        return
    if not (_offline() if offline is None else offline):
        return  # downloaded when it loads
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(model_id_or_path, "config.json"), str):
        raise _missing(model_id_or_path, "offline and not in the Hugging Face cache")


def load_clip(model_id_or_path: str, device: str | torch.device = "cpu", offline: bool | None = None) -> CLIPTowers:
    """Load CLIP `model_id_or_path` (Hub id such as `openai/clip-vit-base-patch32`, or a directory).

    Offline (`offline=True`, `AVBENCH_OFFLINE=1` or `HF_HUB_OFFLINE=1`) reads the Hugging Face cache
    only; a model that is missing raises `WeightsError` naming the model and how to get it.
    """
    from transformers import AutoTokenizer, CLIPModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    offline = _offline() if offline is None else offline
    try:
        model = CLIPModel.from_pretrained(model_id_or_path, local_files_only=offline)
        tokenizer = AutoTokenizer.from_pretrained(model_id_or_path, local_files_only=offline)
    except (OSError, ValueError) as exc:
        state = "offline and not in the Hugging Face cache" if offline else f"could not be loaded ({str(exc).splitlines()[0]})"
        raise _missing(model_id_or_path, state) from None
    model = model.eval().to(device)
    revision = getattr(model.config, "_commit_hash", None)
    return CLIPTowers(model=model, tokenizer=tokenizer, source=model_id_or_path, revision=revision)
