"""The validity study: negatives (padding, fitting, partners), segment cutting against a plain
per-segment flow, and `avbench validity` end to end against an independent summary."""
from __future__ import annotations

import json
import math
from fractions import Fraction

import cv2
import numpy as np
import pandas as pd
import pytest

from avbench.benchmark.cli import main
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.benchmark.validity.clips import load_clips, segment
from avbench.benchmark.validity.conditions import conditions, fitted, partners, shifted
from avbench.metrics.errors import AvbenchError
from avbench.metrics.scoring import folder_samples
from media_fixtures import opencv_frames


def test_shift_pads_with_silence_and_never_wraps():
    y = np.arange(1, 11, dtype=np.float32)
    assert shifted(y, 3 / 10, 10).tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    assert shifted(y, -2 / 10, 10).tolist() == [3, 4, 5, 6, 7, 8, 9, 10, 0, 0]
    assert shifted(y, 2.0, 10).tolist() == [0] * 10
    assert fitted(y, 4).tolist() == [1, 2, 3, 4]
    assert fitted(y[:3], 5).tolist() == [1, 2, 3, 0, 0]


def test_partners_are_a_seeded_derangement():
    names = [f"c{i}" for i in range(9)]
    p = partners(names, seed=4)
    assert sorted(p) == names and sorted(p.values()) == names
    assert all(k != v for k, v in p.items())
    assert p == partners(names, seed=4) and p != partners(names, seed=5)
    assert partners(["only"], 0) == {}


def test_conditions_cover_both_directions():
    got = conditions(12.0, (1, 4), (0.5,), "other")
    labels = [c.label for c in got]
    assert labels == ["synced", "+1 frames", "-1 frames", "+4 frames", "-4 frames", "+0.5 s", "-0.5 s",
                      "other clip's audio"]
    assert got[3].shift == 4 / 12 and got[5].shift_frames == 6.0 and got[-1].partner == "other"


def _plain_trajectory(frames):
    """The official trajectory, written out on frames held in memory."""
    def flow(a, b):
        f = cv2.calcOpticalFlowFarneback(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), cv2.cvtColor(b, cv2.COLOR_BGR2GRAY),
                                         None, 0.5, 3, 15, 3, 5, 1.2, 0)
        return float(np.mean(np.hypot(f[..., 0], f[..., 1])))
    return [flow(frames[0], frames[1])] + [flow(frames[i - 1], frames[i]) for i in range(1, len(frames))]


def test_segments_equal_the_flow_of_each_segment_on_its_own(tmp_path):
    clip = SyntheticClip(name="sheet", fps=Fraction(10), n_frames=36, event_frames=(5, 14, 22, 30), width=96,
                         height=64, audio_seconds=3.4)
    write_clip(clip, tmp_path)
    samples = folder_samples(tmp_path)
    (whole,), _ = load_clips(samples, workers=1, progress=False)
    cut, failures = load_clips(samples, workers=1, progress=False, segment_frames=12)
    assert not failures and [c.name for c in cut] == ["sheet#000", "sheet#001", "sheet#002"]
    _, frames = opencv_frames(tmp_path / "sheet.mp4")
    assert len(frames) == 36
    sr, n_audio = 22050, whole.waveform.size
    assert n_audio == round(3.4 * sr)
    stretched = segment(whole, 12, sr, audio="stretch")
    for s, part in enumerate(cut):
        plain = _plain_trajectory(frames[12 * s:12 * (s + 1)])
        np.testing.assert_allclose(part.trajectory, plain, rtol=1e-5, atol=1e-7)
        # by time: seconds [1.2 s, 2.4 s) of the audio; the last segment runs past the audio's end
        start, stop = round(1.2 * s * sr), round(1.2 * (s + 1) * sr)
        np.testing.assert_array_equal(part.waveform, whole.waveform[start:stop])
        # stretched: thirds of the audio track
        np.testing.assert_array_equal(stretched[s].waveform, whole.waveform[round(s * n_audio / 3):round((s + 1) * n_audio / 3)])
    with pytest.raises(AvbenchError, match="at least 3 frames"):
        segment(whole, 2, sr)


def test_validity_cli_end_to_end(tmp_path):
    out = tmp_path / "study"
    assert main(["validity", "--synthetic-n", "6", "--synthetic-seed", "3", "--out", str(out), "--ablation",
                 "--n-resamples", "200", "--shift-frames", "1,3", "--workers", "1", "--quiet"]) == 0
    for name in ("report.md", "scores.csv", "summary.csv", "summary.json", "ablation.csv", "auroc_negatives.png",
                 "auroc_fps.png", "distributions.png", "roc.png", "ablation.png"):
        assert (out / name).stat().st_size > 0, name
    scores = pd.read_csv(out / "scores.csv")
    summary = pd.read_csv(out / "summary.csv")
    record = json.loads((out / "summary.json").read_text())
    assert record["n_clips"] == 6 and set(record["presets"]) == {"tempotokens-2025", "tempotokens-2023", "paper-eq9",
                                                                  "svg-pr", "calibrated"}
    # 6 clips x (synced, ±1, ±3 frames, ±0.5 s, other audio) x (5 presets + 14 ablation configs)
    assert len(scores) == 6 * 8 * (5 + 14)
    for preset in record["presets"]:
        rows = scores[scores["preset"] == preset].dropna(subset=["score"])
        pos, neg = rows.loc[rows["synced"], "score"].to_numpy(), rows.loc[~rows["synced"], "score"].to_numpy()
        expected = np.mean([(p > q) + 0.5 * (p == q) for p in pos for q in neg])
        overall = summary[(summary["preset"] == preset) & (summary["facet"] == "all")].iloc[0]
        assert overall["auroc"] == pytest.approx(expected, abs=1e-12)
        assert overall["ci95_low"] <= overall["auroc"] <= overall["ci95_high"]
        shift3 = rows[rows["synced"] | (rows["group"] == "±3 frames")]
        pos3, neg3 = shift3.loc[shift3["synced"], "score"], shift3.loc[~shift3["synced"], "score"]
        row3 = summary[(summary["preset"] == preset) & (summary["group"] == "±3 frames")].iloc[0]
        assert row3["auroc"] == pytest.approx(np.mean([(p > q) + 0.5 * (p == q) for p in pos3 for q in neg3]))
    ablation = pd.read_csv(out / "ablation.csv")
    assert len(ablation) == 14 and {"dev auroc", "held-out auroc"} <= set(ablation.columns)
    report = (out / "report.md").read_text()
    assert "## Ablation" in report and "calibrated" in report and "±3 frames" in report
    assert not math.isnan(summary["auroc"].iloc[0])


def test_validity_needs_two_clips_with_audio(tmp_path, capsys):
    write_clip(SyntheticClip(name="lonely", n_frames=24), tmp_path)
    assert main(["validity", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet", "--workers", "1"]) == 2
    assert "at least 2 clips" in capsys.readouterr().err


def test_validity_records_each_failure_by_sample_id_and_file(tmp_path):
    for name, seed in (("one", 1), ("two", 2)):
        write_clip(SyntheticClip(name=name, n_frames=24, seed=seed), tmp_path / "clips")
    broken = tmp_path / "clips" / "broken.mp4"
    broken.write_text("not a video\n")
    out = tmp_path / "o"
    assert main(["validity", str(tmp_path / "clips"), "--out", str(out), "--presets", "tempotokens-2025",
                 "--no-plots", "--n-resamples", "50", "--quiet", "--workers", "1"]) == 0
    record = json.loads((out / "summary.json").read_text())
    assert record["n_clips"] == 2
    (failure,) = record["failures"]
    assert failure["sample_id"] == "broken" and failure["video"] == str(broken)
    assert failure["error"].startswith(f"{broken}: ") and "\n" not in failure["error"]


def test_validity_names_an_unknown_preset_in_one_line(tmp_path, capsys):
    write_clip(SyntheticClip(name="lonely", n_frames=24), tmp_path)
    assert main(["validity", str(tmp_path), "--out", str(tmp_path / "o"), "--presets", "tempotokens-2025,nope",
                 "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown av_align preset 'nope'; known: tempotokens-2025" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
