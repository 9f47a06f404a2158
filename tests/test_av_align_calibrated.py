"""The calibrated preset: it separates synced from shifted pairs on clips with known events, a
dense-peak video with unrelated clicks scores at chance, the canonical configs are untouched, and
`--estimate-offset` recovers known shifts."""
from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from avbench.benchmark.cli import main
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.benchmark.validity.clips import load_clips, synthetic_samples
from avbench.benchmark.validity.study import StudySettings, score_clips
from avbench.metrics.av_align import CANONICAL_PRESETS, FarnebackParams, OnsetParams, av_align_clip, get_preset


def pairwise_auroc(pos, neg):
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


@pytest.fixture(scope="module")
def shifted_study(tmp_path_factory):
    samples = synthetic_samples(12, 2, tmp_path_factory.mktemp("validity-set"))
    clips, failures = load_clips(samples, workers=2, progress=False)
    assert not failures and len(clips) == 12
    presets = [get_preset("calibrated"), get_preset("tempotokens-2025")]
    scores = score_clips(clips, presets, StudySettings(shift_frames=(1, 2, 4), shift_seconds=(0.5,)))
    return clips, samples, scores[scores["group"] != "other clip's audio"]


def test_calibrated_separates_synced_from_shifted_pairs(shifted_study):
    _, _, scores = shifted_study
    aucs = {}
    for preset, rows in scores.groupby("preset"):
        pos = rows.loc[rows["synced"], "score"].tolist()
        neg = rows.loc[~rows["synced"], "score"].tolist()
        assert len(pos) == 12 and len(neg) == 12 * 8
        aucs[preset] = pairwise_auroc(pos, neg)
    assert aucs["calibrated"] > 0.95
    assert aucs["calibrated"] > aucs["tempotokens-2025"]


def test_study_scores_are_the_metric_scores(shifted_study):
    clips, samples, scores = shifted_study
    synced = scores[scores["synced"]].set_index(["clip", "preset"])["score"]
    for sample in samples[:3]:
        for preset in ("calibrated", "tempotokens-2025"):
            assert av_align_clip(sample.video, sample.audio, preset).score == synced[(sample.sample_id, preset)]


def _dense_peak_clips(i: int) -> dict[str, SyntheticClip]:
    """Clicks at random times; a video whose sounding events are those clicks, and videos whose
    flow peaks are dense and unrelated to them (brightness flicker, camera shake, fast sway)."""
    rng = np.random.default_rng(100 + i)
    fps = (8, 12, 24, 30)[i % 4]
    n = int(2.5 * fps)
    events = tuple(int(k) for k in sorted(rng.choice(np.arange(2, n - 2), 5, replace=False)))
    base = SyntheticClip(name=f"events{i}", fps=Fraction(fps), n_frames=n, event_frames=events, width=128, height=96,
                         event_phase_frames=tuple(float(p) for p in -rng.uniform(0, 1, 5)), seed=i)
    return {
        "events": base,
        "flicker": replace(base, name=f"flicker{i}", video="flicker"),
        "shake": replace(base, name=f"shake{i}", video="static", distractor="shake", distractor_amount=1.0),
        "sway": replace(base, name=f"sway{i}", video="static", distractor="sway", distractor_amount=2.0,
                        distractor_hz=fps / 4),
    }


def test_dense_peak_video_with_random_clicks_no_longer_scores_above_chance(tmp_path):
    scores: dict[tuple[str, str], list[float]] = {}
    for i in range(4):
        for kind, clip in _dense_peak_clips(i).items():
            video, audio = write_clip(clip, tmp_path)
            for preset in ("calibrated", "tempotokens-2023", "tempotokens-2025"):
                scores.setdefault((kind, preset), []).append(av_align_clip(video, audio, preset).score)
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    unrelated = [s for kind in ("flicker", "shake", "sway") for s in scores[(kind, "calibrated")]]
    # calibrated: 0 is chance by construction (kappa against the same peaks shifted)
    assert abs(np.mean(unrelated)) < 0.1
    assert mean[("events", "calibrated")] > 0.4
    # the canonical presets give the unrelated pairs a third or more of the synced score
    assert mean[("flicker", "tempotokens-2023")] > 0.33 * mean[("events", "tempotokens-2023")]
    assert mean[("shake", "tempotokens-2025")] > 0.15 and mean[("sway", "tempotokens-2025")] > 0.15


def test_canonical_presets_are_untouched():
    farneback = FarnebackParams(0.5, 3, 15, 3, 5, 1.2, 0)
    onset = dict(sample_rate=22050, mono=True, res_type="soxr_hq", n_fft=2048, hop_length=512, n_mels=128,
                 center=True, lag=1, max_size=1, normalize=True, pre_max=1.0, post_max=1.0, pre_avg=4.0,
                 post_avg=5.0, wait=1.0, delta=0.07, backtrack=False)
    expected = {
        "tempotokens-2025": (0.1, "greedy-one-to-one", "iou"),
        "tempotokens-2023": (None, "first-match", "iou"),
        "paper-eq9": (0.1, "both-directions", "eq9"),
        "svg-pr": (None, "both-directions", "pr-iou"),
    }
    assert tuple(expected) == CANONICAL_PRESETS
    for name, (floor, matching, score) in expected.items():
        cfg = get_preset(name)
        assert (cfg.version, cfg.flow_floor, cfg.matching, cfg.score) == ("1", floor, matching, score)
        assert (cfg.window_frames, cfg.window_seconds, cfg.flow_floor_relative, cfg.audio_span, cfg.chance) == \
            (1.0, 0.0, None, "clip", None)
        assert cfg.video_decoder == "opencv" and cfg.farneback == farneback
        assert cfg.onset == OnsetParams(**onset)
    calibrated = get_preset("calibrated")
    assert calibrated.name not in CANONICAL_PRESETS and calibrated.chance is not None


@pytest.mark.parametrize("preset", ["tempotokens-2025", "calibrated"])
def test_estimate_offset_recovers_known_shifts(tmp_path_factory, preset):
    folder = tmp_path_factory.getbasetemp() / "offset-clips"
    shifts = {"s_m3_fps10": (10, -3), "s_m1_fps24": (24, -1), "s_0_fps15": (15, 0), "s_2_fps30": (30, 2),
              "s_5_fps12": (12, 5), "s_7_fps25": (25, 7)}
    if not folder.exists():
        for name, (fps, shift) in shifts.items():
            n = int(3 * fps)
            rng = np.random.default_rng(fps)
            events = tuple(int(k) for k in sorted(rng.choice(np.arange(3, n - 3, 3), 6, replace=False)))
            write_clip(SyntheticClip(name=name, fps=Fraction(fps), n_frames=n, event_frames=events, width=128,
                                     height=96, audio_shift_frames=shift, seed=fps), folder)
    out = folder / f"{preset}.json"
    assert main(["av-align", str(folder), "--preset", preset, "--estimate-offset", "--quiet", "--workers", "1",
                 "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["offset_sweep"]["max_offset_s"] == 1.0
    for clip in record["clips"]:
        fps, shift = shifts[clip["video"].rsplit("/", 1)[-1][:-4]]
        assert abs(clip["offset"]["offset_frames"] - shift) <= 1.0, (clip["video"], clip["offset"])
        assert clip["offset"]["offset_s"] == pytest.approx(clip["offset"]["offset_frames"] / fps)
        assert clip["offset"]["confidence"] > 1.5
