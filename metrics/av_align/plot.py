"""Per-clip AV-Align plot: flow trajectory and onset envelope on one time axis."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import atomic_write
from .clip import ClipResult


def plot_clip(result: ClipResult, path: str | Path, name: str | None = None) -> None:
    """Write a PNG: flow magnitude (px/frame, left axis) and onset strength (right axis) over
    seconds, video peaks as triangles, audio peaks as dashed lines, matched pairs in green.
    The title names the clip `name` (default: the video's file name)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sig = result.signals
    t_video = sig.frame_times()
    t_audio = np.arange(len(sig.envelope)) / sig.envelope_rate
    matched_a = {ai for ai, _ in result.match.pairs}
    matched_v = {vj for _, vj in result.match.pairs}

    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=110)
    ax.plot(t_video, sig.trajectory, color="tab:blue", lw=1.4, label="mean optical flow (px/frame)")
    for j, t in enumerate(result.video_peaks):
        value = sig.trajectory[int(np.argmin(np.abs(t_video - t)))]
        ax.plot(t, value, marker="v", ms=8, color="tab:green" if j in matched_v else "tab:blue", ls="none")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("optical flow (px/frame)", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(t_audio, sig.envelope, color="tab:orange", lw=1.0, alpha=0.8, label="onset strength")
    ax2.set_ylabel("onset strength", color="tab:orange")
    for i, t in enumerate(result.audio_peaks):
        ax.axvline(t, color="tab:green" if i in matched_a else "tab:orange", ls="--", lw=1.0, alpha=0.9)
    score = "undefined (no peaks)" if result.undefined else f"{result.score:.3f}"
    ax.set_title(f"{name or Path(result.video).name} — {result.preset}: {score} "
                 f"({len(result.match.pairs)} matched, {len(result.audio_peaks)} audio / "
                 f"{len(result.video_peaks)} video peaks, {sig.fps:g} fps)", fontsize=9)
    ax.set_xlim(0, max(t_video[-1] if len(t_video) else 0, t_audio[-1] if len(t_audio) else 0))
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
