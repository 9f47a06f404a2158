"""Scores at audio offsets, chance statistics and offset estimation against `match_peaks` called
offset by offset and hand computations."""
import math
from dataclasses import replace

import numpy as np
import pytest

from avbench.metrics.av_align import PRESETS, ChanceParams, get_preset, match_peaks
from avbench.metrics.av_align.lags import chance_statistic, estimate_offset, lagged_scores, null_offsets


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_vectorised_sweep_equals_match_peaks_at_every_offset_for_every_preset():
    rng = np.random.default_rng(0)
    compared = 0
    for _ in range(300):
        fps = float(rng.choice([4, 8, 10, 24, 30000 / 1001]))
        audio = sorted(rng.uniform(0, 2, rng.integers(0, 8)).round(2))
        video = sorted((rng.integers(2, 30, rng.integers(0, 8)) / fps).tolist())
        offsets = np.concatenate([[0.0], rng.uniform(-1, 1, 4).round(2)])
        for config in PRESETS.values():
            got = lagged_scores(audio, video, fps, config, offsets)
            for d, g in zip(offsets, got):
                expected = match_peaks(sorted(a - d for a in audio), video, fps, config).score
                assert _same(float(g), expected), (config.name, audio, video, d)
                compared += 1
    assert compared == 300 * 5 * len(PRESETS)


def test_circular_shift_wraps_inside_the_span():
    cfg = get_preset("tempotokens-2025")
    audio, video, fps = [0.25, 1.1], [0.3, 0.85], 10.0
    # circle [0.2, 1.2), offset 0.45: 0.25 -> -0.2 wraps to 0.8; 1.1 -> 0.65. 0.8 is within one
    # frame (0.1 s) of 0.85, 0.65 of nothing: IoU 1 / (2 + 2 - 1)
    assert lagged_scores(audio, video, fps, cfg, [0.45], circle=(0.2, 1.2))[0] == pytest.approx(1 / 3)
    # unwrapped, -0.2 and 0.65 match nothing
    assert lagged_scores(audio, video, fps, cfg, [0.45])[0] == 0.0


def test_chance_statistics_by_hand():
    null = np.array([0.0, 0.2, 0.2, 0.4])  # mean 0.2, std 0.1414
    assert chance_statistic(0.5, null, ChanceParams("z", min_std=0.05)) == pytest.approx(0.3 / np.std(null))
    assert chance_statistic(0.5, null, ChanceParams("z", min_std=0.5)) == pytest.approx(0.3 / 0.5)
    assert chance_statistic(0.2, null, ChanceParams("percentile")) == pytest.approx((1 + 0.5 * 2) / 4)
    assert chance_statistic(0.5, null, ChanceParams("excess")) == pytest.approx(0.3)
    assert chance_statistic(0.5, null, ChanceParams("kappa")) == pytest.approx(0.3 / 0.8)
    assert chance_statistic(1.0, np.array([1.0, 1.0]), ChanceParams("kappa")) == 0.0
    assert math.isnan(chance_statistic(math.nan, null, ChanceParams("kappa")))


def test_null_offsets_leave_out_lags_near_zero():
    cfg = get_preset("calibrated")
    offsets = null_offsets(2.0, 10.0, cfg, cfg.chance)
    window = cfg.window_frames / 10.0
    assert offsets.min() >= cfg.chance.exclude_windows * window - 1e-12
    assert offsets.max() <= 2.0 - cfg.chance.exclude_windows * window + 1e-9
    assert np.allclose(np.diff(offsets), cfg.chance.lag_step_frames / 10.0)


def test_offset_estimate_is_the_centre_of_the_best_plateau():
    cfg = get_preset("tempotokens-2025")
    fps = 10.0
    video = [0.3, 0.7, 1.2, 1.6]
    audio = [v + 0.2 for v in video]  # audio 2 frames late
    est = estimate_offset(audio, video, fps, cfg, max_offset=1.0)
    # all four match for d in (0.1, 0.3) (open window of one frame): centre 0.2 s
    assert est.offset == pytest.approx(0.2, abs=1e-9) and est.offset_frames == pytest.approx(2.0, abs=1e-8)
    assert est.score == 1.0
    assert np.array_equal(est.scores, lagged_scores(audio, video, fps, cfg, est.offsets))
    assert est.confidence == pytest.approx((1.0 - est.scores.mean()) / est.scores.std())
    assert est.offsets.min() == pytest.approx(-1.0) and est.offsets.max() == pytest.approx(1.0)
    empty = estimate_offset([], [], fps, cfg)
    assert math.isnan(empty.offset) and math.isnan(empty.confidence)
    flat = estimate_offset([0.5], [], fps, cfg)  # score 0 everywhere: no information
    assert flat.offset == 0.0 and flat.confidence == 0.0


def test_chance_correction_is_off_for_the_canonical_presets():
    for name in ("tempotokens-2025", "tempotokens-2023", "paper-eq9", "svg-pr"):
        assert get_preset(name).chance is None
    with pytest.raises(ValueError):
        replace(get_preset("calibrated"), chance=ChanceParams(statistic="median"))
