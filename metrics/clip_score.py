"""CLIP text–video scores: CLIPSIM and the two CLIPScore conventions, per sample and per set.

For every scored frame the cosine between its CLIP image embedding and the sample's text
embedding is kept (float64); the presets differ in model, preprocessing and how cosines become
a number:

| preset | model | image convention | per frame | set value |
|---|---|---|---|---|
| `clipsim` | ViT-B/32 | openai | cos | mean over samples of the frame-mean cosine; also ×100 |
| `clipscore/hessel` | ViT-B/32 | openai | 2.5·max(cos, 0), text "A photo depicts " + caption | mean over frames |
| `clipscore/torchmetrics` | ViT-L/14 | hf | 100·cos | max(mean over frames, 0) |

Sources: jmhessel/clipscore:clipscore.py (w = 2.5, per-image clamp, prefix); Lightning-AI/
torchmetrics:src/torchmetrics/functional/multimodal/clip_score.py (the mean is clamped, not
each pair, despite its docstring); CLIPSIM (GODIVA, NÜWA) has no canonical code: ViT-B/32 frame
mean, reported raw and ×100. The text of a benchmark item is its label through a template
(`"a video of {label}"` unless configured) or its explicit text. Every frame of a sample is
scored. Models run in float32 (OpenAI's `clip.load` on GPU runs float16).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import torch

from .bootstrap import bootstrap_ci
from .clip_preprocessing import CLIPImageSpec, clip_pixel_values
from .errors import AvbenchError, InputError
from .keyed_state import KeyedState
from .media import read_video_frames
from .metric import Features, MetricResult, NetworkMetric, Sample

DEFAULT_TEMPLATE = "a video of {label}"
CLIP_B32 = "openai/clip-vit-base-patch32"
CLIP_L14 = "openai/clip-vit-large-patch14"


@dataclass(frozen=True)
class CLIPScorePreset:
    """Model, preprocessing and score convention of one CLIP-based text–video score."""

    name: str
    version: str
    model_id: str
    image: CLIPImageSpec
    convention: Literal["clipsim", "hessel", "torchmetrics"]
    text_prefix: str
    description: str


PRESETS: dict[str, CLIPScorePreset] = {
    p.name: p
    for p in (
        CLIPScorePreset("clipsim", "1", CLIP_B32, CLIPImageSpec(convention="openai"), "clipsim", "",
                        "frame-mean text-frame cosine, CLIP ViT-B/32 (raw and x100)"),
        CLIPScorePreset("clipscore/hessel", "1", CLIP_B32, CLIPImageSpec(convention="openai"), "hessel",
                        "A photo depicts ", "Hessel et al. 2021: 2.5*max(cos, 0) per frame, ViT-B/32"),
        CLIPScorePreset("clipscore/torchmetrics", "1", CLIP_L14, CLIPImageSpec(convention="hf"), "torchmetrics", "",
                        "torchmetrics CLIPScore: max(mean(100*cos), 0), ViT-L/14, HF processor"),
    )
}


def item_text(label: str | None, text: str | None, template: str = DEFAULT_TEMPLATE, source: str | None = None) -> str:
    """The caption of a benchmark item: its explicit text, else its label through `template`."""
    if text:
        return text
    if not label:
        raise InputError(source, "no label or text to compare the video with (give --labels)")
    return template.format(label=label)


def hessel_text(caption: str, prefix: str) -> str:
    """jmhessel/clipscore's candidate text: the prefix, one space, the caption."""
    if not prefix:
        return caption
    return (prefix if prefix.endswith(" ") else prefix + " ") + caption


def cosines(image_embeddings: torch.Tensor, text_embedding: torch.Tensor) -> np.ndarray:
    """Cosine of each image embedding `(T, D)` with one text embedding `(D,)`, float64 `(T,)`."""
    images = image_embeddings.detach().to(torch.float64)
    text = text_embedding.detach().to(torch.float64)
    images = images / images.norm(dim=-1, keepdim=True)
    text = text / text.norm()
    return (images @ text).cpu().numpy()


def per_frame_scores(cos: np.ndarray, convention: str) -> np.ndarray:
    """The convention's per-frame value: cos, 2.5·max(cos, 0) (Hessel) or 100·cos (torchmetrics)."""
    if convention == "hessel":
        return 2.5 * np.clip(cos, 0.0, None)
    if convention == "torchmetrics":
        return 100.0 * cos
    return cos


def set_value(per_sample_cosines: Sequence[np.ndarray], convention: str) -> float:
    """The set-level score of per-sample frame cosines under `convention` (see the module table)."""
    if not per_sample_cosines:
        raise AvbenchError("no samples were scored")
    if convention == "clipsim":
        return float(np.mean([c.mean() for c in per_sample_cosines]))
    frames = per_frame_scores(np.concatenate(per_sample_cosines), convention)
    if convention == "hessel":
        return float(frames.mean())
    return float(max(frames.mean(), 0.0))


N_RESAMPLES = 10_000


class CLIPScore(NetworkMetric):
    """CLIPScore of each video's frames against its caption (Hessel's or torchmetrics' convention).

    The cosine of every frame with the sample's caption (its text, else its label through
    `template`) is kept per sample; the set value follows the preset's convention over samples in
    id order, with a seeded bootstrap 95% CI over samples.

    Files: each sample's video and label/text. Arrays: `update(frames (T, H, W, 3) uint8,
    label=..., text=..., sample_id=...)` → that sample's value. `clip_model` (Hub id or directory)
    or `towers` (a loaded `CLIPTowers`) replace the preset's model.
    """

    name, title = "clipscore", "CLIPScore"
    default_preset = "clipscore/hessel"
    kind = "per-sample"
    needs_text = True
    higher_is_better = True
    benchmark_options = ("template",)

    @classmethod
    def presets(cls) -> dict[str, CLIPScorePreset]:
        return {n: p for n, p in PRESETS.items() if (p.convention == "clipsim") == (cls.name == "clipsim")}

    def __init__(self, preset: Any = None, *, template: str = DEFAULT_TEMPLATE, clip_model: str | None = None,
                 towers: Any = None, seed: int = 0, n_resamples: int = N_RESAMPLES, **kwargs: Any):
        super().__init__(preset, extractor=towers, **kwargs)
        self.template = template
        self.model_source = clip_model or self.preset.model_id
        self.seed, self.n_resamples = int(seed), int(n_resamples)
        self._text_cache: dict[str, torch.Tensor] = {}

    def can_share(self, extractor: Any) -> bool:
        return True  # loaded towers are whatever model the caller chose

    def weight_names(self) -> tuple[str, ...]:
        return ()  # a Hub model: its id (and revision) is in `describe`

    def weight_files(self) -> dict[str, str | None]:
        from .weights import hub_entry

        entry = hub_entry(self.model_source) if self._extractor is None else None
        return {entry: None} if entry else {}  # a directory or an unregistered id: not in the registry

    def check_ready(self) -> None:
        if self._extractor is None:
            from .networks.clip import require_clip

            super().check_ready()
            require_clip(self.model_source)  # a missing model is one message, before any sample

    def build_extractor(self) -> Any:
        from .networks.clip import load_clip

        return load_clip(self.model_source, self.device)

    def describe(self) -> dict[str, Any]:
        return {**asdict(self.preset), "model": self.model_source, "template": self.template,
                "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed}}

    def feature_key(self) -> dict[str, Any]:
        return {"pipeline": {"network": "clip", "model": self.model_source, "image": asdict(self.preset.image),
                             "prefix": self.preset.text_prefix}, "weights": self.weights()}

    def caption(self, sample: Sample) -> str:
        return item_text(sample.label, sample.text, self.template, str(sample.source))

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        try:
            caption = self.caption(sample)
        except InputError:  # no caption: sample_features reports it for this sample
            caption = None
        return {"video": sample.video_sha256, "caption": caption}

    def image_embeddings(self, frames: np.ndarray, source: str | None = None) -> torch.Tensor:
        """CLIP image embeddings `(T, D)` of uint8 RGB frames `(T, H, W, 3)`."""
        if len(frames) == 0:
            raise InputError(source, "no frames to score")
        return torch.cat([
            self.extractor.image_embeddings(clip_pixel_values(frames[i : i + self.batch_size], self.preset.image, source))
            for i in range(0, len(frames), self.batch_size)
        ])

    def text_embedding(self, caption: str) -> torch.Tensor:
        text = hessel_text(caption, self.preset.text_prefix)
        if text not in self._text_cache:
            self._text_cache[text] = self.extractor.text_embeddings([text])[0]
        return self._text_cache[text]

    def frame_cosines(self, frames: np.ndarray, caption: str, source: str | None = None) -> Features:
        return {"cos": cosines(self.image_embeddings(frames, source), self.text_embedding(caption))}

    def sample_features(self, sample: Sample) -> Features:
        caption = self.caption(sample)
        video = sample.require_video()
        return self.frame_cosines(read_video_frames(video), caption, str(video))

    def update(self, frames: np.ndarray, label: str | None = None, text: str | None = None,
               sample_id: str | None = None, source: str | None = None) -> float:
        """Score one sample's uint8 frames `(T, H, W, 3)` against its caption; returns its value."""
        features = self.frame_cosines(frames, item_text(label, text, self.template, source), source)
        self.update_features(sample_id or self.generated.next_id(), features)
        return float(per_frame_scores(features["cos"], self.preset.convention).mean())

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset.name, self.preset.version,
                          {"model": self.model_source, "template": self.template})

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def sample_values(self) -> dict[str, float]:
        conv = self.preset.convention
        return {sample_id: float(per_frame_scores(p["cos"], conv).mean()) for sample_id, p in self.generated.ordered()}

    def compute(self) -> MetricResult:
        conv = self.preset.convention
        per_sample = [p["cos"] for _, p in self.generated.ordered()]
        value = set_value(per_sample, conv)
        ci = bootstrap_ci(per_sample, lambda xs: set_value(xs, conv), self.n_resamples, self.seed)
        details = {"n_frames": int(sum(len(c) for c in per_sample)),
                   "bootstrap": {"method": "percentile", "level": 0.95, "n_resamples": self.n_resamples,
                                 "seed": self.seed}}
        if conv == "clipsim":
            details["value_x100"] = 100.0 * value
        return self.result(value, len(per_sample), ci95=ci,
                           ci_method=f"bootstrap-percentile-{self.n_resamples}" if ci else None, details=details)


class CLIPSIM(CLIPScore):
    """CLIPSIM: the frame-mean cosine of CLIP ViT-B/32 frames with each video's caption.

    Reported raw and ×100 (`details["value_x100"]`); fed like `CLIPScore`.
    """

    name, title = "clipsim", "CLIPSIM"
    default_preset = "clipsim"
