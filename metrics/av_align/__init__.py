"""AV-Align (TempoTokens): audio onset peaks vs optical-flow peaks, matched within ±1 frame.

Four exact, named presets (`tempotokens-2025` default, `tempotokens-2023`, `paper-eq9`,
`svg-pr`; `CANONICAL_PRESETS`) and avbench's chance-corrected `calibrated` preset; see
`presets.PRESETS`, docs/av-align.md and `avbench validity`.

Modules: `presets`, `flow` and `onsets` (the two signals), `scoring` and `lags` (peaks,
matching, scores, chance correction, offset sweep), `clip` (one clip's signals and result),
`runner` (many clips: cache and process pool), `metric` (the `AVAlign` metric and
`av_align_clip`), `report` and `plot` (what `avbench av-align` writes).

Names are imported from their module on first use: importing one light module (`presets` for
`avbench --help`) loads no OpenCV or librosa.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

# Exported name → the module defining it.
_EXPORTS = {
    **dict.fromkeys(("ClipResult", "ClipSignals", "envelope_rate", "score_signals"), "clip"),
    **dict.fromkeys(("CANONICAL_PRESETS", "DEFAULT_PRESET", "PRESETS", "AVAlignPreset", "ChanceParams",
                     "FarnebackParams", "OnsetParams", "get_preset"), "presets"),
    **dict.fromkeys(("FlowTrajectory", "VideoFlow"), "flow"),
    **dict.fromkeys(("AVAlign", "av_align_clip"), "metric"),
    **dict.fromkeys(("conform_waveform", "load_audio", "onset_envelope", "onset_times"), "onsets"),
    **dict.fromkeys(("PeakMatch", "match_peaks", "video_peak_indices"), "scoring"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:  # a submodule not imported yet is asked for here first: not found
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
