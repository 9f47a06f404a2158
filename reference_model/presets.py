"""Inference protocol of the reference model: every setting that shapes its output, by name.

`tempotokens-cli` is what upstream's `inference.py` does by default, which is
what its README commands use: zeroscope_v2_576w, the first 2 s of audio, 24 frames written at
12 fps, 384×384, 25 DPM-Solver++ steps, classifier-free guidance 25 against the empty prompt.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .conditioning import AUDIO_TOKENS_PROMPT

DEFAULT_BASE_MODEL = "cerspense/zeroscope_v2_576w"
# The sample rate BEATs was trained on (Hz).
BEATS_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class ReferencePreset:
    """Generation settings (frames, frames per second, seconds, pixels, steps).

    `joint_prompt` is the text+audio prompt ("a video of <audio tokens> {text}", the paper's
    Table 2 form); audio-only conditioning uses the six placeholder tokens alone. The audio
    segment lasts `num_frames / fps` seconds. `resampler` is the librosa `res_type` that brings
    audio to 16 kHz: "polyphase" (scipy's `resample_poly`) is, of librosa's resamplers, the
    closest to upstream's torchaudio `Resample` (measurements in docs/reference-model.md).
    """

    name: str = "tempotokens-cli"
    base_model: str = DEFAULT_BASE_MODEL
    num_frames: int = 24
    fps: int = 12
    width: int = 384
    height: int = 384
    num_inference_steps: int = 25
    guidance_scale: float = 25.0
    negative_prompt: str = ""
    audio_prompt: str = AUDIO_TOKENS_PROMPT
    joint_prompt: str = "a video of {tokens} {text}"
    resampler: str = "polyphase"
    upstream_dropout: bool = False
    vae_batch_frames: int = 8

    @property
    def audio_seconds(self) -> float:
        """Duration of the conditioning audio (s): one video's length."""
        return self.num_frames / self.fps

    def prompt(self, text: str | None) -> str:
        """The prompt for audio-only (`text` None) or text+audio conditioning."""
        if text is None:
            return self.audio_prompt
        return self.joint_prompt.format(tokens=AUDIO_TOKENS_PROMPT, text=text.strip())

    def with_overrides(self, **overrides: Any) -> "ReferencePreset":
        """A copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PRESETS = {preset.name: preset for preset in (ReferencePreset(),)}
DEFAULT_PRESET = "tempotokens-cli"
