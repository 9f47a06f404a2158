"""Wav2CLIP (Wu et al., ICASSP 2022): an audio encoder distilled into CLIP ViT-B/32's image
embedding space, in plain torch with the key names of descriptinc/lyrebird-wav2clip.

Architecture (wav2clip/model/resnet.py, encoder.py): a power spectrogram (torchaudio
`Spectrogram(n_fft=512, hop_length=353)`: periodic Hann window of 512, centred frames with
reflect padding, |STFT|²), `log(S + 1e-7)`, standardised by the mean and the unbiased std of the
whole input tensor (+1e-9), then a 1-channel ResNet-18 (torchvision BasicBlock layout) with
global average pooling → 512-d, then the `audio_transform` MLP (Linear 512→512, ReLU, Dropout,
Linear 512→512) into CLIP's image space — what `wav2clip.get_model()` returns. Input: mono
waveform at 16 kHz. Upstream standardises over the whole batch, so a clip's embedding there
depends on its batch mates; here every clip is standardised alone, which equals upstream's
`embed_audio` on one clip.

Checkpoint keys: `audio_encoder.*` → `encoder.*` (including `spectrogram.window`),
`audio_transform.*` → `transform.*`; other keys of the training checkpoint are ignored, as
upstream does.
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from ..errors import InputError, WeightsError
from .loading import load_strict

SAMPLE_RATE = 16_000
N_FFT = 512
HOP_LENGTH = 353
EMBEDDING_DIM = 512


class Spectrogram(nn.Module):
    """Power spectrogram `(B, N)` → `(B, 1, 257, 1 + N // 353)`, torchaudio's defaults for
    n_fft 512 / hop 353; the window is a buffer so the checkpoint's `spectrogram.window` loads."""

    def __init__(self, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH):
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.register_buffer("window", torch.hann_window(n_fft))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(waveform, self.n_fft, self.hop_length, self.n_fft, self.window, center=True,
                          pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
        return spec.abs().pow(2.0).unsqueeze(1)


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock (3×3 convs without bias, BN, identity or 1×1 downsample)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + identity)


class AudioResNet18(nn.Module):
    """Wav2CLIP's audio encoder: waveform `(B, N)` at 16 kHz → `(B, 512)`."""

    def __init__(self):
        super().__init__()
        self.spectrogram = Spectrogram()
        self.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = (64, 128, 256, 512)
        c_in = 64
        for i, width in enumerate(widths, start=1):
            stride = 1 if i == 1 else 2
            self.add_module(f"layer{i}", nn.Sequential(BasicBlock(c_in, width, stride), BasicBlock(width, width)))
            c_in = width
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))

    def log_spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        """Standardised log power spectrogram `(B, 1, 257, F)` (statistics over the whole input)."""
        x = torch.log(self.spectrogram(waveform) + 1e-7)
        return (x - torch.mean(x)) / (torch.std(x) + 1e-9)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(torch.relu(self.bn1(self.conv1(self.log_spectrogram(waveform)))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)


class AudioTransform(nn.Module):
    """The `audio_transform` MLP: Linear, ReLU, Dropout, Linear (keys `sequential.0`, `sequential.3`)."""

    def __init__(self, dim: int = EMBEDDING_DIM, dropout: float = 0.1):
        super().__init__()
        self.sequential = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sequential(x)


class Wav2CLIP(nn.Module):
    """Audio → CLIP ViT-B/32 image space. `forward(waveform (B, N) float32, 16 kHz)` → `(B, 512)`,
    each clip standardised on its own (see the module docstring)."""

    def __init__(self):
        super().__init__()
        self.encoder = AudioResNet18()
        self.transform = AudioTransform()

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if waveform.ndim != 2 or waveform.shape[1] < N_FFT // 2 + 1:
            raise InputError(None, f"Wav2CLIP needs (B, N) waveforms with N > {N_FFT // 2} samples, got {tuple(waveform.shape)}")
        return torch.cat([self.transform(self.encoder(clip[None])) for clip in waveform])


def state_dict_from_checkpoint(checkpoint: Mapping[str, torch.Tensor], source: str = "Wav2CLIP checkpoint") -> dict[str, torch.Tensor]:
    """Map upstream keys (`audio_encoder.*`, `audio_transform.*`) to `Wav2CLIP` keys."""
    if "state_dict" in checkpoint and isinstance(checkpoint["state_dict"], Mapping):
        checkpoint = checkpoint["state_dict"]
    prefixes = {"audio_encoder.": "encoder.", "audio_transform.": "transform."}
    mapped = {
        prefixes[p] + key[len(p):]: value
        for key, value in checkpoint.items()
        for p in prefixes
        if key.startswith(p)
    }
    if not any(k.startswith("transform.") for k in mapped) or not any(k.startswith("encoder.") for k in mapped):
        raise WeightsError(f"{source}: no audio_encoder.* and audio_transform.* tensors; not a Wav2CLIP checkpoint")
    return mapped


def wav2clip_from_checkpoint(checkpoint: Mapping[str, torch.Tensor], source: str = "Wav2CLIP checkpoint") -> Wav2CLIP:
    """A `Wav2CLIP` in eval mode loaded strictly from the upstream checkpoint."""
    return load_strict(Wav2CLIP(), state_dict_from_checkpoint(checkpoint, source), source).eval()
