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

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .clip_preprocessing import CLIPImageSpec, clip_pixel_values
from .clip_score import CLIP_B32, DEFAULT_TEMPLATE, cosines
from .errors import AvbenchError, InputError
from .keyed_state import KeyedState
from .media import read_audio, read_video_frames
from .metric import Features, MetricResult, NetworkMetric, Sample
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


def mono_16k(audio: np.ndarray, sample_rate: int, target: int = SAMPLE_RATE, source: str | None = None) -> np.ndarray:
    """Mono float32 waveform at `target` Hz from `(N,)` or `(N, channels)` audio at `sample_rate` Hz."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1 or audio.size == 0:
        raise InputError(source, f"expected (N,) or (N, channels) audio, got shape {audio.shape}")
    if sample_rate != target:
        from .librosa_loader import load_librosa

        audio = load_librosa().resample(audio, orig_sr=sample_rate, target_sr=target).astype(np.float32)
    return audio


def _normalised(x: torch.Tensor) -> torch.Tensor:
    x = x.detach().to(torch.float64)
    return x / x.norm(dim=-1, keepdim=True)


@dataclass
class AVSemanticNetworks:
    """The two towers the score runs: CLIP (`towers`, a loaded `CLIPTowers`) and Wav2CLIP."""

    towers: Any
    audio_model: torch.nn.Module


class AVSemantic(NetworkMetric):
    """Per-sample audio–visual score in CLIP space (preset `av-semantic/wav2clip`).

    Per sample: the frame cosines with the Wav2CLIP embedding of its audio and, over the label
    set `labels` (the benchmark's classes through `template`), the zero-shot class of each
    modality. Files: each sample's video and audio (its audio file, else the video's track).
    Arrays: `update(frames, audio, sample_rate, label=None, sample_id=None)`. `clip_model` or
    `towers`, and `audio_model` (a loaded `Wav2CLIP`), replace the preset's networks.
    """

    name, title = "av_semantic", "AV-semantic"
    default_preset = "av-semantic/wav2clip"
    kind = "per-sample"
    higher_is_better = True
    benchmark_options = ("template", "labels")

    @classmethod
    def presets(cls) -> dict[str, AVSemanticPreset]:
        return dict(PRESETS)

    def __init__(self, preset: Any = None, *, labels: Sequence[str] = (), template: str = DEFAULT_TEMPLATE,
                 clip_model: str | None = None, towers: Any = None, audio_model: torch.nn.Module | None = None,
                 **kwargs: Any):
        networks = None if towers is None or audio_model is None else AVSemanticNetworks(towers, audio_model)
        super().__init__(preset, extractor=networks, **kwargs)
        self.labels = list(dict.fromkeys(labels))
        self.template = template
        self.clip_source = clip_model or self.preset.clip_model
        self._towers, self._audio_model = towers, audio_model
        self._label_embeddings: torch.Tensor | None = None

    def can_share(self, extractor: Any) -> bool:
        return True

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset.audio_weights,)

    def weight_files(self) -> dict[str, str | None]:
        from .weights import hub_entry

        files = super().weight_files() if self._audio_model is None else {}
        entry = hub_entry(self.clip_source) if self._towers is None else None
        return {**files, entry: None} if entry else files

    def check_ready(self) -> None:
        super().check_ready()  # the audio weights and a registered CLIP model, listed together
        if self._towers is None:
            from .networks.clip import require_clip

            require_clip(self.clip_source)

    def build_extractor(self) -> AVSemanticNetworks:
        from . import weights
        from .networks.clip import load_clip
        from .networks.wav2clip import wav2clip_from_checkpoint

        towers = self._towers or load_clip(self.clip_source, self.device)
        audio_model = self._audio_model
        if audio_model is None:
            name = self.preset.audio_weights
            checkpoint, _, source = weights.load_verified(name, self.weight_paths.get(name))
            audio_model = wav2clip_from_checkpoint(checkpoint, source).to(self.device)
        return AVSemanticNetworks(towers, audio_model)

    def describe(self) -> dict[str, Any]:
        return {**asdict(self.preset), "clip_model": self.clip_source, "template": self.template,
                "labels": list(self.labels)}

    def feature_key(self) -> dict[str, Any]:
        return {"pipeline": {"network": "wav2clip+clip", "preset": self.describe()}, "weights": self.weights()}

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        return {"video": sample.video_sha256, "audio": sample.audio_key(), "label": sample.label}

    def label_embeddings(self) -> torch.Tensor:
        """Normalised CLIP text embeddings `(L, D)` of the label set through the template."""
        if self._label_embeddings is None:
            texts = [self.template.format(label=label) for label in self.labels]
            self._label_embeddings = _normalised(self.extractor.towers.text_embeddings(texts))
        return self._label_embeddings

    @torch.inference_mode()
    def audio_embedding(self, audio: np.ndarray, sample_rate: int, source: str | None = None) -> torch.Tensor:
        waveform = torch.from_numpy(mono_16k(audio, sample_rate, self.preset.sample_rate, source))
        if waveform.numel() <= 256:
            raise InputError(source, f"audio of {waveform.numel()} samples at 16 kHz is too short for Wav2CLIP")
        return self.extractor.audio_model(waveform[None].to(self.device))[0]

    def image_embeddings(self, frames: np.ndarray, source: str | None = None) -> torch.Tensor:
        if len(frames) == 0:
            raise InputError(source, "no frames to score")
        return torch.cat([
            self.extractor.towers.image_embeddings(clip_pixel_values(frames[i : i + self.batch_size], self.preset.image,
                                                                     source))
            for i in range(0, len(frames), self.batch_size)
        ])

    def pair_features(self, frames: np.ndarray, audio: np.ndarray, sample_rate: int, label: str | None,
                      source: str | None = None) -> Features:
        """`{"cos": (T,) float64, "audio_class", "video_class", "label_index"}` of one sample (classes
        and label index -1 without a label set or label)."""
        audio_emb = self.audio_embedding(audio, sample_rate, source)
        images = self.image_embeddings(frames, source)
        if images.shape[-1] != audio_emb.shape[-1]:
            raise AvbenchError(f"CLIP model {self.clip_source} embeds in {images.shape[-1]} dimensions, "
                               f"Wav2CLIP in {audio_emb.shape[-1]}: use CLIP ViT-B/32")
        audio_class = video_class = -1
        if self.labels:
            text = self.label_embeddings()
            audio_class = int(torch.argmax(text @ _normalised(audio_emb)))
            video_class = int(torch.argmax(text @ _normalised(_normalised(images).mean(0))))
        label_index = self.labels.index(label) if label in self.labels else -1
        return {"cos": cosines(images, audio_emb), "audio_class": np.int64(audio_class),
                "video_class": np.int64(video_class), "label_index": np.int64(label_index)}

    def sample_features(self, sample: Sample) -> Features:
        video = sample.require_video()
        audio, rate = read_audio(sample.audio or video)
        return self.pair_features(read_video_frames(video), audio, rate, sample.label, str(video))

    def update(self, frames: np.ndarray, audio: np.ndarray, sample_rate: int, label: str | None = None,
               sample_id: str | None = None, source: str | None = None) -> float:
        """Score uint8 frames `(T, H, W, 3)` against their audio (`(N,)`/`(N, C)` at `sample_rate` Hz)."""
        features = self.pair_features(frames, audio, sample_rate, label, source)
        self.update_features(sample_id or self.generated.next_id(), features)
        return float(features["cos"].mean())

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset.name, self.preset.version,
                          {"clip_model": self.clip_source, "template": self.template, "labels": "|".join(self.labels)})

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def sample_values(self) -> dict[str, float]:
        return {sample_id: float(p["cos"].mean()) for sample_id, p in self.generated.ordered()}

    def compute(self) -> MetricResult:
        samples = [p for _, p in self.generated.ordered()]
        if not samples:
            raise AvbenchError(f"{self.name} [{self.preset.name}]: no samples were scored")
        details: dict[str, Any] = {"n_classes": len(self.labels)}
        if self.labels:
            details["agreement"] = float(np.mean([p["audio_class"] == p["video_class"] for p in samples]))
            known = [p for p in samples if p["label_index"] >= 0]
            if known:
                details["audio_accuracy"] = float(np.mean([p["audio_class"] == p["label_index"] for p in known]))
                details["video_accuracy"] = float(np.mean([p["video_class"] == p["label_index"] for p in known]))
        value = float(np.mean([p["cos"].mean() for p in samples]))
        return self.result(value, len(samples), details=details)
