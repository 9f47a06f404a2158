"""`avbench av-align --segment-frames N` against the same segments cut by hand into files of their
own (frames written losslessly, audio samples copied) and scored with plain `avbench av-align`;
and the per-clip plot's legend, matching windows and title, read from the matplotlib figure."""
from __future__ import annotations

import json
import math
from fractions import Fraction

import av
import numpy as np
import pytest
import soundfile as sf

from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align.clip import ClipResult, ClipSignals
from avbench.metrics.av_align.plot import clip_figure
from avbench.metrics.av_align.scoring import PeakMatch
from harness_support import run_installed
from media_fixtures import opencv_frames

FPS, FRAMES, PIECE = 12, 36, 12


def _write_lossless(frames: list[np.ndarray], path) -> None:
    """BGR frames as an FFV1 video (lossless: OpenCV decodes these very pixels) at FPS."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "bgr0"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")))
        container.mux(stream.encode())


def test_segments_score_as_the_same_pieces_cut_into_files(tmp_path):
    clip = SyntheticClip(name="sheet", fps=Fraction(FPS), n_frames=FRAMES, event_frames=(4, 9, 17, 27, 31),
                         width=96, height=64)
    video, audio = write_clip(clip, tmp_path / "sheet")
    env = {"AVBENCH_CACHE": str(tmp_path / "cache")}
    cut = run_installed(["av-align", str(video), "--segment-frames", str(PIECE), "--json", str(tmp_path / "cut.json"),
                         "--csv", str(tmp_path / "cut.csv"), "--workers", "1", "--quiet"], env=env)
    assert cut.returncode == 0, cut.stderr

    pieces = tmp_path / "pieces"
    pieces.mkdir()
    fps, frames = opencv_frames(video)
    samples, rate = sf.read(audio, dtype="int16")
    assert (fps, len(frames), rate) == (FPS, FRAMES, 22050)  # the onset rate: no resampling on either side
    for s in range(FRAMES // PIECE):
        _write_lossless(frames[s * PIECE:(s + 1) * PIECE], pieces / f"piece{s}.mkv")
        sf.write(pieces / f"piece{s}.wav", samples[round(s * PIECE / FPS * rate):round((s + 1) * PIECE / FPS * rate)],
                 rate, subtype="PCM_16")
    plain = run_installed(["av-align", str(pieces), "--json", str(tmp_path / "plain.json"), "--workers", "1",
                           "--quiet"], env=env)
    assert plain.returncode == 0, plain.stderr

    got, want = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("cut", "plain"))
    assert [c["sample_id"] for c in got["clips"]] == ["sheet#000", "sheet#001", "sheet#002"]
    assert [c["sample_id"] for c in want["clips"]] == ["piece0", "piece1", "piece2"]
    for mine, theirs in zip(got["clips"], want["clips"]):
        for key in ("score", "audio_peaks", "video_peaks", "n_frames", "fps"):
            assert mine[key] == theirs[key], (mine["sample_id"], key)
    assert (got["mean"], got["n"], got["ci95"]) == (want["mean"], want["n"], want["ci95"])
    assert any(c["video_peaks"] for c in got["clips"]) and got["n_failed"] == 0
    assert len((tmp_path / "cut.csv").read_text().splitlines()) == 1 + FRAMES // PIECE


@pytest.mark.parametrize("preset, window_frames", [("tempotokens-2025", 1.0), ("calibrated", 0.6)])
def test_plot_shows_legend_windows_and_title(preset, window_frames):
    """A clip built by hand: 3 audio and 3 video peaks, the first two pairs matched."""
    fps, n = 10.0, 30
    audio_peaks, video_peaks = [0.5, 1.2, 2.4], [0.5, 1.3, 2.0]
    signals = ClipSignals(trajectory=np.linspace(0, 1, n), envelope=np.zeros(60, np.float32), fps=fps, n_frames=n,
                          envelope_rate=20.0)
    match = PeakMatch(score=0.5, pairs=((0, 0), (1, 1)), audio_hits=2, video_hits=2)
    result = ClipResult("clip.mp4", "clip.wav", preset, fps, n, audio_peaks, video_peaks, 0.5, match, signals)
    fig = clip_figure(result, "my clip")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    half = window_frames / fps  # the preset's window: |audio - video| < window_frames frames
    assert labels[:6] == ["optical flow (px/frame)", "onset strength", "video peak, matched", "video peak, unmatched",
                          "audio peak, matched", "audio peak, unmatched"]
    assert labels[6] == f"match window ±{half * 1000:.0f} ms"
    spans = []
    for patch in ax.patches:
        xs = patch.get_patch_transform().transform(patch.get_path().vertices)[:, 0]
        spans.append((float(xs.min()), float(xs.max())))
    assert len(spans) == len(audio_peaks)
    for (lo, hi), peak in zip(sorted(spans), audio_peaks):
        assert math.isclose(hi - lo, 2 * half) and math.isclose((lo + hi) / 2, peak)
    title = ax.get_title()
    assert "my clip" in title and preset in title and "0.500" in title
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert [line.get_color() for line in markers] == ["tab:green", "tab:green", "tab:red"]
    import matplotlib.pyplot as plt

    plt.close(fig)
