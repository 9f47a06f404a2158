"""AV-Align (TempoTokens): audio onset peaks vs optical-flow peaks, matched within ±1 frame.

Four exact, named presets (`tempotokens-2025` default, `tempotokens-2023`, `paper-eq9`,
`svg-pr`; `CANONICAL_PRESETS`) and avbench's chance-corrected `calibrated` preset; see
`presets.PRESETS`, docs/av-align.md and `avbench validity`.

Modules: `presets`, `flow` and `onsets` (the two signals), `scoring` and `lags` (peaks,
matching, scores, chance correction, offset sweep), `clip` (one clip's signals and result),
`runner` (many clips: cache and process pool), `metric` (the `AVAlign` metric and
`av_align_clip`), `report` and `plot` (what `avbench av-align` writes).
"""
from .clip import ClipResult, ClipSignals, envelope_rate, score_signals
from .presets import CANONICAL_PRESETS, DEFAULT_PRESET, PRESETS, AVAlignPreset, ChanceParams, FarnebackParams, OnsetParams, get_preset
from .flow import FlowTrajectory, VideoFlow
from .metric import AVAlign, av_align_clip
from .onsets import conform_waveform, load_audio, onset_envelope, onset_times
from .scoring import PeakMatch, match_peaks, video_peak_indices

__all__ = [
    "AVAlign", "ClipResult", "ClipSignals", "av_align_clip", "score_signals", "envelope_rate",
    "CANONICAL_PRESETS", "DEFAULT_PRESET", "PRESETS", "ChanceParams", "AVAlignPreset", "FarnebackParams",
    "OnsetParams", "get_preset", "FlowTrajectory", "VideoFlow", "conform_waveform",
    "load_audio", "onset_envelope", "onset_times", "PeakMatch", "match_peaks", "video_peak_indices",
]
