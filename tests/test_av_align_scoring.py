"""Hand-computed cases for peak picking, matching and each preset's score."""
import math

import numpy as np
import pytest

from avbench.metrics.av_align import CANONICAL_PRESETS, get_preset, match_peaks, video_peak_indices
from avbench.metrics.av_align import AVAlign
from avbench.metrics.av_align.scoring import frame_times
from avbench.metrics.bootstrap import bootstrap_mean_ci
from avbench.metrics.errors import AvbenchError


def test_peaks_are_strict_local_maxima_inside_the_trajectory():
    traj = [0.0, 1.0, 0.0, 2.0, 2.0, 3.0, 0.0]
    # i=1: 0<1>0 yes; i=3: 2>2 no (plateau); i=4: 2<2 no; i=5: 2<3>0 yes; ends never
    assert video_peak_indices(traj, None) == [1, 5]
    assert video_peak_indices(traj, 1.5) == [5]


def test_floor_is_inclusive_and_in_pixels():
    traj = [0.0, 0.1, 0.0, 0.09, 0.0]
    assert video_peak_indices(traj, 0.1) == [1]
    assert video_peak_indices(traj, None) == [1, 3]


def test_short_trajectories_have_no_peaks():
    assert video_peak_indices([], 0.1) == []
    assert video_peak_indices([1.0, 2.0], None) == []


def test_duplicated_first_pair_means_index_one_is_never_a_peak():
    # the official trajectory repeats flow(f0, f1): traj[0] == traj[1]
    traj = [5.0, 5.0, 0.0, 0.0]
    assert video_peak_indices(traj, None) == []


def test_frame_times_are_index_over_fps():
    assert frame_times([3, 6], 12.0) == [3 / 12.0, 6 / 12.0]


def test_window_is_open_at_one_frame():
    cfg = get_preset("tempotokens-2025")
    # fps 4: window 0.25 s, exactly representable
    assert match_peaks([0.75], [0.5], 4.0, cfg).score == 0.0  # |a - v| == 1/fps: outside
    assert match_peaks([0.7], [0.5], 4.0, cfg).score == 1.0
    assert match_peaks([0.3], [0.5], 4.0, cfg).score == 1.0
    assert match_peaks([0.25], [0.5], 4.0, cfg).score == 0.0


def test_greedy_one_to_one_vs_2023_many_to_one():
    audio, video, fps = [0.1, 0.12], [0.11], 10.0
    # 2025: the second audio peak finds the video peak used: I = 1, IoU = 1 / (2 + 1 - 1)
    assert match_peaks(audio, video, fps, get_preset("tempotokens-2025")).score == 0.5
    # 2023: both audio peaks match the same video peak: I = 2, 2 / (2 + 1 - 2) = 2 (> 1)
    assert match_peaks(audio, video, fps, get_preset("tempotokens-2023")).score == 2.0
    # Eq. 9: hits_A = 2, hits_V = 1, pairs = 1: (2 + 1) / (2 * (3 - 1)) = 0.75
    assert match_peaks(audio, video, fps, get_preset("paper-eq9")).score == 0.75
    # SVG: p1 = 2/2, p2 = 1/1 -> 1
    assert match_peaks(audio, video, fps, get_preset("svg-pr")).score == 1.0


def test_greedy_takes_the_first_unused_video_peak_in_order():
    cfg = get_preset("tempotokens-2025")
    m = match_peaks([1.0, 1.05], [0.98, 1.02], 10.0, cfg)
    assert m.pairs == ((0, 0), (1, 1))
    assert m.score == 1.0


def test_svg_precision_recall_hand_case():
    # A = {0.0, 1.0, 2.0}, V = {0.02, 5.0}, fps 10 (window 0.1): p1 = 1/3, p2 = 1/2
    m = match_peaks([0.0, 1.0, 2.0], [0.02, 5.0], 10.0, get_preset("svg-pr"))
    p1, p2 = 1 / 3, 1 / 2
    assert m.score == p1 * p2 / (p1 + p2 - p1 * p2)
    # IoU: I = 1 -> 1 / (3 + 2 - 1)
    assert match_peaks([0.0, 1.0, 2.0], [0.02, 5.0], 10.0, get_preset("tempotokens-2025")).score == 0.25


@pytest.mark.parametrize("preset", sorted(CANONICAL_PRESETS))
def test_both_sets_empty_is_undefined_and_one_empty_is_zero(preset):
    cfg = get_preset(preset)
    assert math.isnan(match_peaks([], [], 24.0, cfg).score)
    assert match_peaks([0.5], [], 24.0, cfg).score == 0.0
    assert match_peaks([], [0.5], 24.0, cfg).score == 0.0


def test_presets_record_the_official_parameters():
    cfg = get_preset("tempotokens-2025")
    assert cfg.farneback.as_args() == (0.5, 3, 15, 3, 5, 1.2, 0)
    assert cfg.flow_floor == 0.1 and cfg.window_frames == 1.0
    on = cfg.onset
    sr, hop = on.sample_rate, on.hop_length
    # librosa's own derivation of the peak-picking defaults at 22050 Hz, hop 512
    assert (on.pre_max, on.post_max, on.pre_avg, on.post_avg, on.wait, on.delta) == (
        0.03 * sr // hop, 0.00 * sr // hop + 1, 0.10 * sr // hop, 0.10 * sr // hop + 1, 0.03 * sr // hop, 0.07)
    assert get_preset("tempotokens-2023").flow_floor is None
    assert get_preset("svg-pr").flow_floor is None
    with pytest.raises(Exception, match="unknown AV-Align preset"):
        get_preset("nope")


def _clip(preset: str, score: float, key: str):
    """A scored clip as `av_align_clip` returns it (only what the set metric reads is filled in)."""
    from types import SimpleNamespace

    return SimpleNamespace(preset=preset, score=score, video=key, audio_peaks=[], video_peaks=[], warnings=())


def test_set_mean_excludes_undefined_and_counts_them():
    metric = AVAlign("tempotokens-2025", n_resamples=200)
    for key, score in {"a": 0.5, "b": float("nan"), "c": 1.0}.items():
        metric.update(_clip("tempotokens-2025", score, key))
    s = metric.compute()
    assert (s.value, s.n, s.details["n_undefined"]) == (0.75, 2, 1)
    assert s.ci95[0] <= 0.75 <= s.ci95[1]


def test_merged_shards_equal_one_pass():
    rng = np.random.default_rng(3)
    scores = {f"clip{i:02d}": float(x) for i, x in enumerate(rng.random(30))}
    whole, a, b = (AVAlign("svg-pr", n_resamples=500) for _ in range(3))
    for i, (k, v) in enumerate(scores.items()):
        whole.update(_clip("svg-pr", v, k))
        (a if i % 2 else b).update(_clip("svg-pr", v, k))
    assert b.merge(a).compute() == whole.compute()
    with pytest.raises(AvbenchError, match="overlap"):
        whole.merge(AVAlign("svg-pr")).merge(whole)


def test_bootstrap_equals_a_plain_resampling_loop():
    values = np.random.default_rng(0).normal(size=37)
    rng = np.random.default_rng(7)
    means = [values[rng.integers(0, values.size, size=values.size)].mean() for _ in range(300)]
    expected = tuple(np.quantile(means, [0.025, 0.975]))
    assert bootstrap_mean_ci(values, n_resamples=300, seed=7) == pytest.approx(expected, rel=1e-12)
    assert bootstrap_mean_ci([0.4] * 5, n_resamples=50) == (0.4, 0.4)
    assert bootstrap_mean_ci([float("nan")]) is None
