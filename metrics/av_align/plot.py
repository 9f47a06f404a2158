"""Per-clip AV-Align plot: flow trajectory and onset envelope on one time axis, the peaks of each
side (matched or not), the matching window around every audio peak, and a legend."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import atomic_write
from .clip import ClipResult
from .presets import AVAlignPreset, get_preset
from .scoring import match_window

MATCHED, UNMATCHED = "tab:green", "tab:red"
FLOW, ONSET = "tab:blue", "tab:orange"


def clip_figure(result: ClipResult, name: str | None = None, preset: AVAlignPreset | None = None):
    """The plot of one scored clip as a matplotlib Figure: flow magnitude (px/frame, left axis)
    and onset strength (right axis) over seconds; video peaks as triangles on the flow curve,
    audio peaks as dashed lines, each green when matched and red when not; around each audio
    peak a shaded span of ± the preset's matching window (seconds: `scoring.match_window` at the
    clip's fps), within which a video peak counts as matched. The title names the clip `name`
    (default: the video's file name), the preset (default: the one `result` names) and the score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    preset = preset or get_preset(result.preset)
    sig = result.signals
    t_video = sig.frame_times()
    t_audio = np.arange(len(sig.envelope)) / sig.envelope_rate
    matched_a = {ai for ai, _ in result.match.pairs}
    matched_v = {vj for _, vj in result.match.pairs}
    window = match_window(preset, sig.fps)

    fig, ax = plt.subplots(figsize=(10, 3.8), dpi=110)
    ax.plot(t_video, sig.trajectory, color=FLOW, lw=1.4)
    for j, t in enumerate(result.video_peaks):
        value = sig.trajectory[int(np.argmin(np.abs(t_video - t)))]
        ax.plot(t, value, marker="v", ms=8, color=MATCHED if j in matched_v else UNMATCHED, ls="none")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("optical flow (px/frame)", color=FLOW)
    ax2 = ax.twinx()
    ax2.plot(t_audio, sig.envelope, color=ONSET, lw=1.0, alpha=0.8)
    ax2.set_ylabel("onset strength", color=ONSET)
    for i, t in enumerate(result.audio_peaks):
        ax.axvspan(t - window, t + window, color="0.5", alpha=0.15, lw=0, label="_window")
        ax.axvline(t, color=MATCHED if i in matched_a else UNMATCHED, ls="--", lw=1.0, alpha=0.9)
    score = "undefined (no peaks)" if result.undefined else f"{result.score:.3f}"
    ax.set_title(f"{name or Path(result.video).name} — AV-Align {preset.name} v{preset.version}: {score} "
                 f"({len(result.match.pairs)} matched, {len(result.audio_peaks)} audio / "
                 f"{len(result.video_peaks)} video peaks, {sig.fps:g} fps)", fontsize=9)
    ax.set_xlim(0, max(t_video[-1] if len(t_video) else 0, t_audio[-1] if len(t_audio) else 0))
    handles = [
        Line2D([], [], color=FLOW, lw=1.4, label="optical flow (px/frame)"),
        Line2D([], [], color=ONSET, lw=1.0, label="onset strength"),
        Line2D([], [], color=MATCHED, marker="v", ls="none", label="video peak, matched"),
        Line2D([], [], color=UNMATCHED, marker="v", ls="none", label="video peak, unmatched"),
        Line2D([], [], color=MATCHED, ls="--", label="audio peak, matched"),
        Line2D([], [], color=UNMATCHED, ls="--", label="audio peak, unmatched"),
        Patch(color="0.5", alpha=0.15, label=f"match window ±{window * 1000:.0f} ms"),
    ]
    # below the axes, so that no curve is hidden behind it
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_clip(result: ClipResult, path: str | Path, name: str | None = None,
              preset: AVAlignPreset | None = None) -> None:
    """Write `clip_figure(result, name, preset)` as a PNG at `path`."""
    fig = clip_figure(result, name, preset)
    import matplotlib.pyplot as plt  # after clip_figure chose the Agg backend

    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
