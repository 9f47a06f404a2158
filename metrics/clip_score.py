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

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import torch

from .clip_preprocessing import CLIPImageSpec, clip_pixel_values
from .errors import AvbenchError, InputError

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


def get_preset(name: str) -> CLIPScorePreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise AvbenchError(f"unknown CLIP score preset {name!r}; known: {', '.join(PRESETS)}") from None


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


@dataclass(frozen=True)
class SampleCosines:
    """One scored sample: its id, caption and the cosine of every frame with the caption."""

    sample_id: str
    text: str
    cosines: np.ndarray

    def value(self, convention: str) -> float:
        return float(per_frame_scores(self.cosines, convention).mean())


@dataclass(frozen=True)
class CLIPResult:
    """A CLIP score named by preset, version, model (and Hub revision) and text template."""

    metric: str
    preset: str
    version: str
    model: str
    model_revision: str | None
    template: str
    value: float
    value_x100: float | None
    n_samples: int
    n_frames: int
    per_sample: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        extra = f" (x100: {self.value_x100:.6g})" if self.value_x100 is not None else ""
        model = self.model + (f"@{self.model_revision[:12]}" if self.model_revision else "")
        return (f"{self.metric.upper()} {self.value:.6g}{extra}  [preset {self.preset} v{self.version}; {model}; "
                f"text '{self.template}'; n = {self.n_samples} videos, {self.n_frames} frames]")


class CLIPScore:
    """Per-sample CLIP text–video score: `update` one sample's frames and caption, `merge` shards
    (concatenation in order), `compute` the set value. The model loads on first use."""

    def __init__(
        self,
        preset: str = "clipsim",
        template: str = DEFAULT_TEMPLATE,
        towers: Any = None,
        model_path: str | None = None,
        device: str | torch.device = "cpu",
        batch_size: int = 32,
        offline: bool | None = None,
    ):
        """`towers` (a loaded `CLIPTowers`) or `model_path` (Hub id or directory) replace the preset's model."""
        self.preset = get_preset(preset)
        self.template = template
        self.samples: list[SampleCosines] = []
        self.batch_size = batch_size
        self._towers = towers
        self._model_source = model_path or self.preset.model_id
        self._device = device
        self._offline = offline
        self._text_cache: dict[str, torch.Tensor] = {}

    @property
    def towers(self) -> Any:
        if self._towers is None:
            from .networks.clip import load_clip

            self._towers = load_clip(self._model_source, self._device, self._offline)
        return self._towers

    def load(self) -> None:
        """Load the CLIP model now (else on the first `update`); raises WeightsError when absent."""
        _ = self.towers

    def image_embeddings(self, frames: np.ndarray, source: str | None = None) -> torch.Tensor:
        """CLIP image embeddings `(T, D)` of uint8 RGB frames `(T, H, W, 3)`."""
        if len(frames) == 0:
            raise InputError(source, "no frames to score")
        chunks = [
            self.towers.image_embeddings(clip_pixel_values(frames[i : i + self.batch_size], self.preset.image, source))
            for i in range(0, len(frames), self.batch_size)
        ]
        return torch.cat(chunks)

    def text_embedding(self, caption: str) -> torch.Tensor:
        text = hessel_text(caption, self.preset.text_prefix)
        if text not in self._text_cache:
            self._text_cache[text] = self.towers.text_embeddings([text])[0]
        return self._text_cache[text]

    def update(self, frames: np.ndarray, label: str | None = None, text: str | None = None,
               sample_id: str = "", source: str | None = None) -> float:
        """Score one sample's uint8 frames `(T, H, W, 3)` against its caption; returns its value."""
        caption = item_text(label, text, self.template, source)
        cos = cosines(self.image_embeddings(frames, source), self.text_embedding(caption))
        sample = SampleCosines(sample_id or source or str(len(self.samples)), caption, cos)
        self.samples.append(sample)
        return sample.value(self.preset.convention)

    def merge(self, other: "CLIPScore") -> "CLIPScore":
        if (other.preset, other.template) != (self.preset, self.template):
            raise AvbenchError(f"cannot merge {other.preset.name} ('{other.template}') into {self.preset.name} ('{self.template}')")
        self.samples.extend(other.samples)
        return self

    def compute(self) -> CLIPResult:
        convention = self.preset.convention
        value = set_value([s.cosines for s in self.samples], convention)
        revision = getattr(self._towers, "revision", None)
        return CLIPResult(
            metric="clipsim" if convention == "clipsim" else "clipscore",
            preset=self.preset.name,
            version=self.preset.version,
            model=getattr(self._towers, "source", self._model_source),
            model_revision=revision,
            template=self.template,
            value=value,
            value_x100=100.0 * value if convention == "clipsim" else None,
            n_samples=len(self.samples),
            n_frames=int(sum(len(s.cosines) for s in self.samples)),
            per_sample={s.sample_id: s.value(convention) for s in self.samples},
        )
