"""Audio–visual semantic score in CLIP space: Wav2CLIP audio embedding vs CLIP ViT-B/32 frames.

Per sample: the mean over frames of the cosine between the clip's Wav2CLIP embedding (its whole
audio, mono 16 kHz) and each frame's CLIP image embedding (Wav2CLIP was distilled into that
image space). Over a label set (the benchmark's classes through the text template), the audio's
zero-shot class is the label whose CLIP text embedding is closest to the Wav2CLIP embedding, the
video's is the one closest to the mean of the normalised frame embeddings; the set reports how
often the two agree, and, for items with a known label, each modality's top-1 accuracy. No
canonical implementation of this score exists; the preset pins every choice. Audio at another
rate is resampled with `librosa.resample` (soxr_hq, what `librosa.load(sr=16000)` does upstream).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from .clip_preprocessing import CLIPImageSpec, clip_pixel_values
from .clip_score import CLIP_B32, DEFAULT_TEMPLATE, cosines
from .errors import AvbenchError, InputError
from .fileio import sha256_file
from .networks.wav2clip import SAMPLE_RATE


@dataclass(frozen=True)
class AVSemanticPreset:
    name: str
    version: str
    clip_model: str
    image: CLIPImageSpec
    audio_weights: str
    sample_rate: int
    description: str


PRESETS = {
    "av-semantic/wav2clip": AVSemanticPreset(
        "av-semantic/wav2clip", "1", CLIP_B32, CLIPImageSpec(convention="openai"), "wav2clip", SAMPLE_RATE,
        "Wav2CLIP audio vs CLIP ViT-B/32 frames: mean cosine; zero-shot class agreement over the label set",
    )
}
DEFAULT_PRESET = "av-semantic/wav2clip"


def mono_16k(audio: np.ndarray, sample_rate: int, target: int = SAMPLE_RATE, source: str | None = None) -> np.ndarray:
    """Mono float32 waveform at `target` Hz from `(N,)` or `(N, channels)` audio at `sample_rate` Hz."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1 or audio.size == 0:
        raise InputError(source, f"expected (N,) or (N, channels) audio, got shape {audio.shape}")
    if sample_rate != target:
        import librosa

        audio = librosa.resample(audio, orig_sr=sample_rate, target_sr=target).astype(np.float32)
    return audio


def _normalised(x: torch.Tensor) -> torch.Tensor:
    x = x.detach().to(torch.float64)
    return x / x.norm(dim=-1, keepdim=True)


@dataclass(frozen=True)
class SampleAV:
    sample_id: str
    label: str | None
    cosines: np.ndarray
    audio_class: int | None
    video_class: int | None


@dataclass(frozen=True)
class AVSemanticResult:
    metric: str
    preset: str
    version: str
    clip_model: str
    template: str
    value: float
    n_samples: int
    n_classes: int
    agreement: float | None
    audio_accuracy: float | None
    video_accuracy: float | None
    per_sample: dict[str, float] = field(default_factory=dict)
    weights_sha256: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        parts = [f"preset {self.preset} v{self.version}", self.clip_model, f"n = {self.n_samples}"]
        if self.agreement is not None:
            parts.append(f"audio-video class agreement {self.agreement:.4g} over {self.n_classes} labels")
        if self.audio_accuracy is not None:
            parts.append(f"top-1 audio {self.audio_accuracy:.4g}, video {self.video_accuracy:.4g}")
        return f"{self.metric.upper()} {self.value:.6g}  [{'; '.join(parts)}]"


class AVSemantic:
    """Per-sample audio–visual CLIP-space score; `update` one sample, `merge`, `compute`."""

    metric = "av-semantic"

    def __init__(
        self,
        preset: str = DEFAULT_PRESET,
        labels: Sequence[str] = (),
        template: str = DEFAULT_TEMPLATE,
        towers: Any = None,
        audio_model: torch.nn.Module | None = None,
        clip_model_path: str | None = None,
        wav2clip_path: str | None = None,
        device: str | torch.device = "cpu",
        offline: bool | None = None,
        batch_size: int = 32,
    ):
        try:
            self.preset = PRESETS[preset]
        except KeyError:
            raise AvbenchError(f"unknown av-semantic preset {preset!r}; known: {', '.join(PRESETS)}") from None
        self.labels = list(dict.fromkeys(labels))
        self.template = template
        self.samples: list[SampleAV] = []
        self.batch_size = batch_size
        self._towers = towers
        self._audio_model = audio_model
        self._clip_source = clip_model_path or self.preset.clip_model
        self._wav2clip_path = wav2clip_path
        self._device = torch.device(device)
        self._offline = offline
        self._label_embeddings: torch.Tensor | None = None
        self.weights_sha256: dict[str, str] = {}

    @property
    def towers(self) -> Any:
        if self._towers is None:
            from .networks.clip import load_clip

            self._towers = load_clip(self._clip_source, self._device, self._offline)
        return self._towers

    @property
    def audio_model(self) -> torch.nn.Module:
        if self._audio_model is None:
            from . import weights
            from .networks.wav2clip import wav2clip_from_checkpoint

            path = weights.resolve(self.preset.audio_weights, self._wav2clip_path, self._offline)
            checkpoint = weights.load_file(weights.get_spec(self.preset.audio_weights), path)
            self._audio_model = wav2clip_from_checkpoint(checkpoint, str(path)).to(self._device)
            self.weights_sha256[self.preset.audio_weights] = sha256_file(path)
        return self._audio_model

    def load(self) -> None:
        """Load CLIP and Wav2CLIP now (else on the first `update`); raises WeightsError when absent."""
        _ = self.towers, self.audio_model

    def label_embeddings(self) -> torch.Tensor:
        """Normalised CLIP text embeddings `(L, D)` of the label set through the template."""
        if self._label_embeddings is None:
            texts = [self.template.format(label=label) for label in self.labels]
            self._label_embeddings = _normalised(self.towers.text_embeddings(texts))
        return self._label_embeddings

    @torch.inference_mode()
    def audio_embedding(self, audio: np.ndarray, sample_rate: int, source: str | None = None) -> torch.Tensor:
        waveform = torch.from_numpy(mono_16k(audio, sample_rate, self.preset.sample_rate, source))
        if waveform.numel() <= 256:
            raise InputError(source, f"audio of {waveform.numel()} samples at 16 kHz is too short for Wav2CLIP")
        return self.audio_model(waveform[None].to(self._device))[0]

    def image_embeddings(self, frames: np.ndarray, source: str | None = None) -> torch.Tensor:
        if len(frames) == 0:
            raise InputError(source, "no frames to score")
        return torch.cat([
            self.towers.image_embeddings(clip_pixel_values(frames[i : i + self.batch_size], self.preset.image, source))
            for i in range(0, len(frames), self.batch_size)
        ])

    def update(self, frames: np.ndarray, audio: np.ndarray, sample_rate: int, label: str | None = None,
               sample_id: str = "", source: str | None = None) -> float:
        """Score uint8 frames `(T, H, W, 3)` against their audio (`(N,)`/`(N, C)` at `sample_rate` Hz)."""
        audio_emb = self.audio_embedding(audio, sample_rate, source)
        images = self.image_embeddings(frames, source)
        if images.shape[-1] != audio_emb.shape[-1]:
            raise AvbenchError(f"CLIP model {self._clip_source} embeds in {images.shape[-1]} dimensions, "
                               f"Wav2CLIP in {audio_emb.shape[-1]}: use CLIP ViT-B/32")
        cos = cosines(images, audio_emb)
        audio_class = video_class = None
        if self.labels:
            text = self.label_embeddings()
            audio_class = int(torch.argmax(text @ _normalised(audio_emb)))
            video_class = int(torch.argmax(text @ _normalised(_normalised(images).mean(0))))
        self.samples.append(SampleAV(sample_id or source or str(len(self.samples)), label, cos, audio_class, video_class))
        return float(cos.mean())

    def merge(self, other: "AVSemantic") -> "AVSemantic":
        if (other.preset, other.labels, other.template) != (self.preset, self.labels, self.template):
            raise AvbenchError("cannot merge av-semantic states of different presets, label sets or templates")
        self.samples.extend(other.samples)
        return self

    def compute(self) -> AVSemanticResult:
        if not self.samples:
            raise AvbenchError(f"{self.metric} [{self.preset.name}]: no samples were scored")
        agreement = audio_acc = video_acc = None
        if self.labels:
            agreement = float(np.mean([s.audio_class == s.video_class for s in self.samples]))
            known = [s for s in self.samples if s.label in self.labels]
            if known:
                index = {label: i for i, label in enumerate(self.labels)}
                audio_acc = float(np.mean([s.audio_class == index[s.label] for s in known]))
                video_acc = float(np.mean([s.video_class == index[s.label] for s in known]))
        return AVSemanticResult(
            metric=self.metric,
            preset=self.preset.name,
            version=self.preset.version,
            clip_model=getattr(self._towers, "source", self._clip_source),
            template=self.template,
            value=float(np.mean([s.cosines.mean() for s in self.samples])),
            n_samples=len(self.samples),
            n_classes=len(self.labels),
            agreement=agreement,
            audio_accuracy=audio_acc,
            video_accuracy=video_acc,
            per_sample={s.sample_id: float(s.cosines.mean()) for s in self.samples},
            weights_sha256=dict(self.weights_sha256),
        )
