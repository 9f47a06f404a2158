"""AV-Align presets: one frozen preset each, recording every parameter it depends on.

The canonical presets (`tempotokens-2025`, `tempotokens-2023`, `paper-eq9`, `svg-pr`) differ
only in the video-peak floor, the matching rule and the score formula; the frame decoding,
optical flow and onset detection are the official `av_align.py` pipeline with librosa's
defaults written out (see docs/av-align.md). The fields after `score` default to the canonical
behaviour; only the `calibrated` preset (avbench's own, designed and measured by `avbench
validity`) changes them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..errors import AvbenchError

MATCHING_RULES = ("greedy-one-to-one", "first-match", "both-directions")
SCORE_FORMULAS = ("iou", "eq9", "pr-iou")
CHANCE_STATISTICS = ("z", "percentile", "excess", "kappa")
AUDIO_SPANS = ("clip", "video-peaks")
# Where a video frame lies in time (`runner.ClipOptions`): index / fps, or its presentation timestamp.
TIME_AXES = ("frames", "timestamps")
# How the optical flow is computed: OpenCV (canonical) or the same algorithm in torch (`torch_flow`).
FLOW_METHODS = ("opencv", "torch")


@dataclass(frozen=True)
class FarnebackParams:
    """`cv2.calcOpticalFlowFarneback(prev, curr, None, *astuple())` on grayscale frames."""

    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 15
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2
    flags: int = 0

    def as_args(self) -> tuple:
        return (self.pyr_scale, self.levels, self.winsize, self.iterations, self.poly_n,
                self.poly_sigma, self.flags)


@dataclass(frozen=True)
class OnsetParams:
    """librosa's onset pipeline as `av_align.py` calls it, with every default written out.

    Audio: `librosa.load(path)` → `sample_rate` Hz (resampler `res_type`), mono.
    Envelope: `onset_strength` on a mel spectrogram (`n_fft`, `hop_length`, `n_mels`,
    `center`), spectral flux with `lag` and `max_size` (1 = no SuperFlux maximum filter).
    Peaks: `onset_detect(normalize=True)` → `peak_pick` with `pre_max`, `post_max`, `pre_avg`,
    `post_avg`, `wait` (envelope frames) and `delta`; librosa derives these from 22050 Hz and
    hop 512 as 0.03·sr//hop, 0.00·sr//hop+1, 0.10·sr//hop, 0.10·sr//hop+1, 0.03·sr//hop, 0.07.
    """

    sample_rate: int = 22050
    mono: bool = True
    res_type: str = "soxr_hq"
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    center: bool = True
    lag: int = 1
    max_size: int = 1
    normalize: bool = True
    pre_max: float = 1.0
    post_max: float = 1.0
    pre_avg: float = 4.0
    post_avg: float = 5.0
    wait: float = 1.0
    delta: float = 0.07
    backtrack: bool = False


@dataclass(frozen=True)
class ChanceParams:
    """Chance correction: the clip's score against the scores of the same peaks with the audio
    peak times circularly shifted (modulo the video duration) by null lags.

    Null lags run every `lag_step_frames` video frames around the circle, leaving out lags
    closer to 0 than `exclude_windows` match windows (those could still match the true events).
    `statistic`: `z` = (s0 − mean) / max(std, `min_std`); `percentile` = share of null scores
    below s0, ties one half; `excess` = s0 − mean; `kappa` = (s0 − mean) / (1 − mean).
    """

    statistic: str = "z"
    lag_step_frames: float = 0.5
    exclude_windows: float = 2.0
    min_std: float = 0.05

    def __post_init__(self) -> None:
        if self.statistic not in CHANCE_STATISTICS:
            raise ValueError(f"statistic must be one of {CHANCE_STATISTICS}, got {self.statistic!r}")


@dataclass(frozen=True)
class AVAlignPreset:
    """Everything one AV-Align preset depends on.

    - `flow_floor`: a video peak needs a mean flow magnitude >= this (pixels per frame at native
      resolution); None = no floor.
    - `flow_floor_relative`: also needs a peak >= this fraction of the clip's largest flow
      value (scale-free: flow in pixels grows with resolution, the ratio does not); None = off.
    - `matching`: `greedy-one-to-one` (each audio peak, in order, takes the first unused video
      peak in the window), `first-match` (each audio peak counts if any video peak is in the
      window; video peaks may be reused), `both-directions` (audio→video and video→audio
      hit counts, each peak of either side counted once).
    - `score`: `iou` = I / (|A| + |V| − I); `eq9` = (hits_A + hits_V) / (2·(|A| + |V| − I));
      `pr-iou` = p1·p2 / (p1 + p2 − p1·p2) with p1 = hits_A/|A|, p2 = hits_V/|V|.
    - The window is open: |a − v| < `window_frames` / fps (+ `window_seconds`) seconds,
      evaluated as the official code writes it (`v - 1/fps < a < v + 1/fps`).
    - `audio_span`: `clip` (canonical) = onsets anywhere in the audio; `video-peaks` = onsets
      are detected (envelope normalised and peak-picked) only where a video peak could match
      one: from the earliest to the latest possible video peak time (frames 2..N−2) widened by
      the window. Onsets where no video peak can exist (a loud start, audio longer than the
      video) then neither count as misses nor, through the per-clip normalisation, mask the
      onsets that can match.
    - `chance`: None = the raw score; else the score is chance-corrected (`ChanceParams`).
    """

    name: str
    version: str
    description: str
    flow_floor: float | None
    matching: str
    score: str
    flow_floor_relative: float | None = None
    window_frames: float = 1.0
    window_seconds: float = 0.0
    audio_span: str = "clip"
    chance: ChanceParams | None = None
    video_decoder: str = "opencv"
    farneback: FarnebackParams = field(default_factory=FarnebackParams)
    onset: OnsetParams = field(default_factory=OnsetParams)

    def __post_init__(self) -> None:
        if self.matching not in MATCHING_RULES:
            raise ValueError(f"matching must be one of {MATCHING_RULES}, got {self.matching!r}")
        if self.score not in SCORE_FORMULAS:
            raise ValueError(f"score must be one of {SCORE_FORMULAS}, got {self.score!r}")
        if self.audio_span not in AUDIO_SPANS:
            raise ValueError(f"audio_span must be one of {AUDIO_SPANS}, got {self.audio_span!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **changes: Any) -> "AVAlignPreset":
        """A copy with `changes`; a changed preset is no longer the named canonical one."""
        return replace(self, **changes)


CANONICAL_PRESETS = ("tempotokens-2025", "tempotokens-2023", "paper-eq9", "svg-pr")

PRESETS: dict[str, AVAlignPreset] = {
    cfg.name: cfg
    for cfg in (
        AVAlignPreset(
            name="tempotokens-2025",
            version="1",
            description="guyyariv/TempoTokens av_align.py @ bf0b1e3 (2025-02-13, current): 0.1 px "
            "flow floor, greedy one-to-one matching, IoU",
            flow_floor=0.1,
            matching="greedy-one-to-one",
            score="iou",
        ),
        AVAlignPreset(
            name="tempotokens-2023",
            version="1",
            description="guyyariv/TempoTokens av_align.py @ 34d9502 (2023-10-26) with the undefined "
            "`n` read as len(traj): no floor, a video peak may match several audio peaks (scores "
            "can exceed 1), IoU; the Seeing-and-Hearing / JavisBench lineage",
            flow_floor=None,
            matching="first-match",
            score="iou",
        ),
        AVAlignPreset(
            name="paper-eq9",
            version="1",
            description="the paper's Eq. 9: (audio peaks with a video peak in the window + video "
            "peaks with an audio peak in the window) / (2·|A ∪ V|), |A ∪ V| = |A| + |V| − greedy "
            "one-to-one pairs; 0.1 px floor as tempotokens-2025",
            flow_floor=0.1,
            matching="both-directions",
            score="eq9",
        ),
        AVAlignPreset(
            name="svg-pr",
            version="1",
            description="SonyResearch/SVG_baseline py_scripts/evaluation/av_align.py: precision/"
            "recall IoU p1·p2/(p1+p2−p1·p2), 0 when both are 0; no floor",
            flow_floor=None,
            matching="both-directions",
            score="pr-iou",
        ),
        AVAlignPreset(
            name="calibrated",
            version="1",
            description="avbench's calibrated AV-Align (not a published preset; designed with `avbench "
            "validity`): onsets detected only where a video peak can match (frames 2..N-2 +- the "
            "window), video peaks >= 25% of the clip's largest flow (scale-free, no 0.1 px floor), "
            "greedy one-to-one matching within +-0.6 frame, IoU chance-corrected as a kappa: "
            "(IoU - mean IoU of the same peaks circularly shifted) / (1 - that mean); 1 = perfect, "
            "0 = chance",
            flow_floor=None,
            flow_floor_relative=0.25,
            matching="greedy-one-to-one",
            score="iou",
            window_frames=0.6,
            audio_span="video-peaks",
            chance=ChanceParams(statistic="kappa"),
        ),
    )
}

DEFAULT_PRESET = "tempotokens-2025"


def get_preset(name: str = DEFAULT_PRESET) -> AVAlignPreset:
    """The frozen AV-Align preset `name`."""
    try:
        return PRESETS[name]
    except KeyError:
        raise AvbenchError(f"unknown AV-Align preset {name!r}; choose from {', '.join(PRESETS)}") from None
