"""Set metrics (FVD, FID, KID, FAD, IS) and CLIPSIM through the harness with random-weight
networks: values equal the metric classes run directly on the decoded media; shards merged
equal the single run; a killed run resumes to the same results; missing weights stop the run
before any work with one line."""
from __future__ import annotations

import dataclasses
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from avbench.benchmark.cli import main
from avbench.benchmark.definition import load_benchmark
from avbench.metrics.media import read_audio, read_video_frames
from avbench.benchmark.merge import merge
from avbench.benchmark.report.write import write_report
from avbench.benchmark.scoring.run import score_run
from avbench.benchmark.validate import validate_run
from harness_support import (TEST_PRESETS, generate_tiny_sets, install_test_networks, networks_prelude,
                             read_results, run_cli, stable)
from single_thread import one_thread  # noqa: F401  (module fixture)

pytestmark = pytest.mark.slow

METRICS = ["av_align", "fvd", "fid", "kid", "fad", "is", "isv", "clipsim"]


def _only(kw: dict, names: list[str]) -> dict:
    """`score_run` arguments for the metrics `names` only, with their options (options for a
    metric a run does not compute are refused)."""
    return {**kw, "metric_names": names, "metric_options": {m: o for m, o in kw["metric_options"].items() if m in names}}


@pytest.fixture(scope="module")
def env(tmp_path_factory, tiny_clip_dir):
    """The tiny benchmark's real clips (the reference) and another "model" (other textures and
    event times), scored with every metric; one cache for the module."""
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("set-metrics")
        cache = tmp_path_factory.getbasetemp() / "avbench-cache"  # the tests' own cache (conftest)
        mp.setenv("AVBENCH_CACHE", str(cache))
        mp.setenv("AVBENCH_OFFLINE", "1")
        install_test_networks(mp, root / "weights")
        bench = load_benchmark("synthetic:tiny")
        generate_tiny_sets(bench, root / "gen" / "real", root / "model", root / "gen" / "model")
        options = {m: {"preset": p} for m, p in TEST_PRESETS.items()}
        options["clipsim"] = {"clip_model": str(tiny_clip_dir)}
        kw = dict(metric_names=METRICS, metric_options=options, reference=root / "gen" / "real", workers=1,
                  progress=False)
        run = score_run(bench, root / "gen" / "model", root / "runs" / "model", model_name="model", **kw)
        yield SimpleNamespace(root=root, cache=cache, bench=bench, run=run, kw=kw, clip=str(tiny_clip_dir))


def _videos(folder: Path) -> list[Path]:
    return sorted(folder.glob("clip*.mp4"))


def test_set_metrics_equal_the_metric_classes_on_the_media(env):
    from avbench.metrics.clip_score import CLIPSIM
    from avbench.metrics.fad import FAD
    from avbench.metrics.fid import FID
    from avbench.metrics.fvd import FVD
    from avbench.metrics.inception_score import InceptionScore
    from avbench.metrics.kid import KID
    from avbench.metrics.video_inception_score import VideoInceptionScore

    gen, ref = _videos(env.root / "gen" / "model"), _videos(env.root / "gen" / "real")
    fvd = FVD("fvd/styleganv")
    fid, kid = FID(TEST_PRESETS["fid"]), KID(TEST_PRESETS["kid"])
    fad, inception = FAD("fad/google"), InceptionScore(TEST_PRESETS["is"])
    clip = CLIPSIM("clipsim", template="a video of {label}", clip_model=env.clip)
    video_is = VideoInceptionScore(TEST_PRESETS["isv"])
    labels = {r["item_id"]: r["label"] for r in env.bench.rows}
    for videos, reference in ((gen, False), (ref, True)):
        for video in videos:
            frames = read_video_frames(video)
            fvd.update(frames, reference=reference, keys=[video.stem])
            fid.update(frames, reference=reference)
            kid.update(frames, reference=reference, sample_id=video.stem)
            fad.update(*read_audio(video.with_suffix(".wav")), reference=reference)
            if not reference:
                inception.update(frames, sample_id=video.stem)
                video_is.update(frames[None])
                clip.update(frames, label=labels[video.stem], sample_id=video.stem)
    got = {k: v["value"] for k, v in env.run["metrics"].items()}
    assert got["fvd"] == pytest.approx(fvd.compute().value, rel=1e-9)
    assert got["fid"] == pytest.approx(fid.compute().value, rel=1e-9)
    assert got["kid"] == kid.compute().value  # stored features, same order: exact
    assert got["fad"] == pytest.approx(fad.compute().value, rel=1e-9)
    assert got["is"] == inception.compute().value
    assert got["isv"] == video_is.compute().value
    assert got["clipsim"] == clip.compute().value
    assert min(got["fvd"], got["fid"], got["fad"]) > 0  # the other textures and events are far from real
    assert env.run["metrics"]["fid"]["n"] == 12 and env.run["metrics"]["fvd"]["n"] == 6  # frames, clips
    assert env.run["metrics"]["fvd"]["reference"]["n"] == 6
    weights = env.run["provenance"]["weights"]
    assert set(weights) == {"i3d-styleganv", "inception-torch-fidelity", "vggish", "c3d-ucf101-tgan2",
                            "c3d-ucf101-mean-tgan"}
    assert validate_run(env.root / "runs" / "model") == []


def test_shards_merged_equal_the_single_run(env, tmp_path):
    shards = []
    for index in range(2):
        shards.append(tmp_path / f"shard{index}")
        score_run(env.bench, env.root / "gen" / "model", shards[-1], model_name="model", shard=f"{index}/2", **env.kw)
    merged = stable(merge(shards, tmp_path / "merged"))
    single = stable(env.run)
    for name in ("fvd", "fid", "fad"):  # Gaussian statistics summed in another order
        assert merged["metrics"][name].pop("value") == pytest.approx(single["metrics"][name].pop("value"), rel=1e-9)
    assert merged == single  # AV-Align, KID, IS, CLIPSIM exactly; everything else equal
    assert validate_run(tmp_path / "merged") == []



def test_shards_scored_with_weights_files_merge_and_validate_where_the_files_are_gone(env, tmp_path, monkeypatch):
    """`weights` paths are runtime options: merging or validating saved states opens none of them
    (another machine, a submission), and the merged run records the shards' weight files."""

    import torch

    from avbench.metrics import weights as registry
    from avbench.metrics.fileio import sha256_file

    spec = registry.get_spec("i3d-styleganv")
    monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, sha256=None))
    own = tmp_path / "elsewhere" / "own-i3d.pt"  # the same network in another archive: another sha256
    own.parent.mkdir()
    torch.save(torch.load(env.root / "weights" / spec.filename, weights_only=True), own)
    digest = sha256_file(own)
    assert digest != sha256_file(env.root / "weights" / spec.filename)
    kw = {**_only(env.kw, ["av_align", "fvd"]), "weights": {spec.name: str(own)}}
    shards = [tmp_path / f"shard{index}" for index in range(2)]
    for index, shard in enumerate(shards):
        score_run(env.bench, env.root / "gen" / "model", shard, model_name="model", shard=f"{index}/2", **kw)
    own.unlink()
    merged = merge(shards, tmp_path / "merged")
    assert merged["provenance"]["weights"] == {spec.name: digest}
    assert merged["metrics"]["fvd"]["value"] == pytest.approx(env.run["metrics"]["fvd"]["value"], rel=1e-9)
    assert validate_run(tmp_path / "merged") == [] and validate_run(shards[0]) == []

def test_resume_after_sigkill_with_set_metrics(env, tmp_path):
    args = ["score", "--benchmark", "synthetic:tiny", "--inputs", str(env.root / "gen" / "model"),
            "--out", str(tmp_path / "run"), "--model", "model", "--metrics", ",".join(METRICS),
            "--reference", str(env.root / "gen" / "real"), "--workers", "1", "--quiet",
            "--metric-option", f"clipsim.clip_model={env.clip}"]
    args += [f"--metric-option={m}.preset={p}" for m, p in TEST_PRESETS.items()]
    cache = {"AVBENCH_CACHE": str(env.cache)}
    prelude = networks_prelude(env.root / "weights")
    for point in ("map:kid", "states"):
        killed = run_cli(args, env={**cache, "AVBENCH_CRASH_AT": point}, prelude=prelude)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert not (tmp_path / "run" / "results.json").exists()
    done = run_cli(args, env=cache, prelude=prelude)
    assert done.returncode == 0, done.stderr
    resumed = stable(read_results(tmp_path / "run"))
    assert resumed == stable(env.run)


def test_report_with_set_metrics(env, tmp_path):
    real = tmp_path / "real"
    score_run(env.bench, env.root / "gen" / "real", real, **env.kw)
    written = write_report([env.root / "runs" / "model", real], tmp_path / "report")
    names = {p.name for p in written}
    assert {"fvd_vs_av_align.png", "metrics_bars.png", "report.md"} <= names
    md = (tmp_path / "report" / "report.md").read_text()
    assert "FVD ↓" in md and "KID ↓" in md and "IS ↑" in md and "fvd/styleganv v1" in md


def test_missing_weights_stop_the_run_before_any_work(env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AVBENCH_WEIGHTS", str(tmp_path / "no-weights"))
    from avbench.metrics import weights

    for name in ("i3d-styleganv",):
        monkeypatch.setitem(weights._REGISTRY, name, dataclasses.replace(weights.get_spec(name), sha256="0" * 64))
    code = main(["score", "--benchmark", "synthetic:tiny", "--inputs", str(env.root / "gen" / "model"),
                 "--out", str(tmp_path / "run"), "--metrics", "av_align,fvd", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "weights 'i3d-styleganv' not found" in err[0] and str(tmp_path / "no-weights") in err[0]
    assert not (tmp_path / "run" / "states").exists()  # nothing was computed


def test_a_cached_rerun_loads_no_network(env, tmp_path, monkeypatch):
    from avbench.metrics.metric import NetworkMetric

    def no_network(self):
        raise AssertionError(f"{self.name} loaded its network although every sample is cached")

    monkeypatch.setattr(NetworkMetric, "extractor", property(no_network))
    again = score_run(env.bench, env.root / "gen" / "model", tmp_path / "again", model_name="model", **env.kw)
    assert stable(again) == stable(env.run)


def test_reference_statistics_from_stats_build(env, tmp_path):
    """`avbench stats build` statistics of the real clips give the same FAD as the real run folder."""
    from avbench.metrics.scoring import reference_state

    state, failures = reference_state(env.root / "gen" / "real", "fad", progress=False)
    assert failures == []
    state.save(tmp_path / "fad.npz")
    kw = {**_only(env.kw, ["fad"]), "ref_stats": {"fad": tmp_path / "fad.npz"}}
    run = score_run(env.bench, env.root / "gen" / "model", tmp_path / "run", model_name="model", **kw)
    assert run["metrics"]["fad"]["value"] == pytest.approx(env.run["metrics"]["fad"]["value"], rel=1e-9)
    assert run["metrics"]["fad"]["reference"]["source"] == "stats:fad.npz"
