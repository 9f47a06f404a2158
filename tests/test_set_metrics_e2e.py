"""FVD, FID, KID and FAD end to end on generated media files, with random-weight networks.

Real network classes and presets; FID/KID use test presets that read every 8th frame (and KID
subsets of 3) so that the Inception network runs on a handful of frames.
"""
import dataclasses
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import avbench.benchmark.cli as cli
from avbench.metrics.errors import InputError
from avbench.metrics.fad import FAD
from avbench.metrics.frechet import GaussianStats, frechet_distance_of_stats
from avbench.metrics.fvd import FVD, I3DFeatures
from avbench.metrics.presets import PRESETS
from avbench.metrics.scoring import reference_state, score_folders
from random_networks import install_random_weights
from single_thread import one_thread  # noqa: F401  (module fixture)
from synthetic_sets import moving_pattern, tone, write_set, write_video

pytestmark = pytest.mark.slow

FID_TEST = dataclasses.replace(PRESETS["fid/ttur"], name="fid/test-stride8", frame_stride=8)
KID_TEST = dataclasses.replace(PRESETS["kid/ttur"], name="kid/test-stride8", frame_stride=8, subsets=10, subset_size=3)
SET_PRESETS = {"fvd": "fvd/styleganv", "fid": FID_TEST.name, "kid": KID_TEST.name, "fad": "fad/google"}
METRICS = list(SET_PRESETS)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("set-metrics")
        install_random_weights(mp, root / "weights", ("i3d-styleganv", "i3d-videogpt", "inception-torch-fidelity", "vggish"))
        mp.setenv("AVBENCH_CACHE", str(root / "cache"))
        mp.setitem(PRESETS, FID_TEST.name, FID_TEST)
        mp.setitem(PRESETS, KID_TEST.name, KID_TEST)
        sets = {name: write_set(root / name, (0, 1), amount) for name, amount in (("ref", 0.0), ("near", 0.15), ("far", 0.6))}
        # Files that must fail without stopping the run: undecodable, and too short for FVD.
        (sets["far"] / "broken.mp4").write_bytes(b"\x00 not a video")
        write_video(sets["far"] / "short.mp4", moving_pattern(7, 10, 48, 64))
        stats = {}
        for metric, preset in SET_PRESETS.items():
            state, failures = reference_state(sets["ref"], metric, preset, progress=False)
            assert failures == []
            stats[metric] = root / f"ref-{metric}.npz"
            state.save(stats[metric])
        yield SimpleNamespace(root=root, sets=sets, stats=stats)


def values(outcome):
    return {key: r.value for key, r in outcome.results.items()}


def test_scores_are_finite_deterministic_and_grow_with_drift(env, monkeypatch, capsys):
    kw = dict(metrics=METRICS, presets=[FID_TEST.name, KID_TEST.name], reference_states=list(env.stats.values()),
              progress=False)
    near = score_folders(env.sets["near"], None, **kw)
    far = score_folders(env.sets["far"], None, **kw)
    assert near.errors == {} and far.errors == {} and near.failures == []
    # broken.mp4 decodes for no metric; short.mp4 is too short for FVD; neither has audio for FAD
    assert sorted((f.sample_id, f.stage) for f in far.failures) == [
        ("broken", "fad"), ("broken", "fid"), ("broken", "fvd"), ("broken", "kid"), ("short", "fad"), ("short", "fvd")]
    short = next(f for f in far.failures if (f.sample_id, f.stage) == ("short", "fvd"))
    assert "video has 10 frames; the preset needs 16" in short.error
    near_v, far_v = values(near), values(far)
    for metric in METRICS:
        assert math.isfinite(near_v[metric]) and math.isfinite(far_v[metric])
        assert far_v[metric] > near_v[metric], metric
    assert {r.metric: r.preset for r in near.results.values()} == SET_PRESETS
    assert {r.metric: (r.n, r.details["n_reference"]) for r in near.results.values()} == {
        "fvd": (2, 2), "fid": (4, 4), "kid": (4, 4), "fad": (6, 6)}  # 2 s audio: 3 windows of 1 s, hop 0.5 s

    # The CLI on the same inputs prints every metric with its preset and gives the same numbers.
    out_json = env.root / "near.json"
    argv = ["score-files", "--metrics", ",".join(METRICS), str(env.sets["near"]), "--quiet", "--json", str(out_json),
            "--preset", FID_TEST.name, "--preset", KID_TEST.name]
    for path in env.stats.values():
        argv += ["--ref-stats", str(path)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    for metric, preset in SET_PRESETS.items():
        assert f"{metric.upper()} " in printed and f"[preset {preset} v1;" in printed
    record = json.loads(out_json.read_text())
    assert {k: r["value"] for k, r in record["results"].items()} == near_v  # bit-identical rerun
    assert record["results"]["kid"]["details"]["std"] is not None


def test_reference_folder_equals_reference_statistics(env):
    # Scoring against the reference folder directly gives what the saved statistics give.
    folder = score_folders(env.sets["near"], env.sets["ref"], ["fad"], progress=False)
    stats = score_folders(env.sets["near"], None, ["fad"], reference_states=[env.stats["fad"]], progress=False)
    assert values(folder) == values(stats)


def test_stats_build_cli_writes_the_preset_into_the_file(env, monkeypatch, capsys):
    out = env.root / "fad-torchvggish.npz"
    assert cli.main(["stats", "build", str(env.sets["ref"]), "--metric", "fad", "--preset", "fad/torchvggish",
                     "--out", str(out), "--quiet"]) == 0
    assert "fad/torchvggish v1" in capsys.readouterr().out
    stats = GaussianStats.load(out)
    assert (stats.preset, stats.version, stats.n) == ("fad/torchvggish", "1", 4)  # 2 s → two 0.96 s examples
    assert stats.weights_sha256 == GaussianStats.load(env.stats["fad"]).weights_sha256
    # Statistics of another preset cannot be compared with fad/google's.
    with pytest.raises(InputError, match="cannot compare"):
        frechet_distance_of_stats(stats, GaussianStats.load(env.stats["fad"]), "unbiased")


def test_fad_shards_merge_to_the_one_pass_value(env):
    waves = [(tone(seed, 1.6, 0.1 * seed), 16000) for seed in range(4)]
    one = FAD()
    shards = [FAD(extractor=one.extractor), FAD(extractor=one.extractor)]
    for i, (wave, rate) in enumerate(waves):
        one.update(wave, rate, reference=i % 2 == 1)
        shards[i // 2].update(wave, rate, reference=i % 2 == 1)
    shards[0].merge(shards[1])
    assert shards[0].compute().value == pytest.approx(one.compute().value, rel=1e-10)


def test_too_short_inputs_are_clear_errors(env):
    with pytest.raises(InputError, match="video has 10 frames; the preset needs 16"):
        FVD().update(np.zeros((10, 32, 32, 3), dtype=np.uint8))
    with pytest.raises(InputError, match=r"audio lasts 0.500 s; fad/google needs at least 1.000 s"):
        FAD().update(np.zeros(8000, dtype=np.float32), 16000, source="x.wav")


def test_videogpt_pipeline_feeds_i3d_as_videogpt_does(env):
    video = moving_pattern(3, 18, 60, 80)
    features = I3DFeatures(PRESETS["fvd/videogpt"])
    ours = features.videos_features([video])
    # VideoGPT data.preprocess: /255, shorter side to 224 (ceil), bilinear, centre crop, -0.5, *2.
    x = torch.from_numpy(video[:16]).permute(0, 3, 1, 2).float() / 255.0
    x = F.interpolate(x, size=(224, math.ceil(80 * 224 / 60)), mode="bilinear", align_corners=False)
    left = (x.shape[3] - 224) // 2
    x = ((x[:, :, :, left:left + 224] - 0.5) * 2).permute(1, 0, 2, 3).unsqueeze(0)
    with torch.inference_mode():
        expected = features.network(x, output="logits").numpy()
    np.testing.assert_array_equal(ours, expected)
    assert features.network.Conv3d_1a_7x7.bn.eps == 1e-5
