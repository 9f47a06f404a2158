"""AV-Align (TempoTokens): audio onset peaks vs optical-flow peaks, matched within ±1 frame.

Four exact, named variants (`tempotokens-2025` default, `tempotokens-2023`, `paper-eq9`,
`svg-pr`; `CANONICAL_VARIANTS`) and avbench's chance-corrected `calibrated` variant; see
`config.VARIANTS`, ../shared/spec/av-align.md and `avbench validity`.
"""
from .aggregate import AVAlign, AVAlignSummary
from .clip import ClipResult, ClipSignals, av_align_clip, clip_signals, envelope_rate, score_signals
from .config import CANONICAL_VARIANTS, DEFAULT_VARIANT, VARIANTS, AVAlignConfig, ChanceParams, FarnebackParams, OnsetParams, get_config
from .flow import FlowTrajectory, VideoFlow, video_flow
from .onsets import conform_waveform, load_audio, onset_envelope, onset_times
from .scoring import PeakMatch, match_peaks, video_peak_indices

__all__ = [
    "AVAlign", "AVAlignSummary", "ClipResult", "ClipSignals", "av_align_clip", "clip_signals",
    "score_signals", "envelope_rate", "CANONICAL_VARIANTS", "DEFAULT_VARIANT", "VARIANTS", "ChanceParams", "AVAlignConfig", "FarnebackParams",
    "OnsetParams", "get_config", "FlowTrajectory", "VideoFlow", "video_flow", "conform_waveform",
    "load_audio", "onset_envelope", "onset_times", "PeakMatch", "match_peaks", "video_peak_indices",
]
