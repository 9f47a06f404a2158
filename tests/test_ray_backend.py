"""`--backend ray` on a real Ray cluster (a head node on 127.0.0.1 with two CPUs, started here),
as a user runs it (the installed `avbench` in a fresh process): the run directory equals the
local backend's (samples.parquet byte for byte, set metrics to 1e-9); the cache is one for both
backends; a worker killed mid-run is retried and nothing is lost; a sample that kills its worker
every time fails alone; a killed driver resumes from the cache; `av-align` and `validity` give
the local numbers; bad set-ups are one line each."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from avbench.benchmark.faults import ENV as CRASH_ENV
from harness_support import (TEST_PRESETS, generate_tiny_sets, install_test_networks, kill_while_measuring,
                             measured_signals, networks_prelude, read_results, run_cli, run_installed, stable)
from ray_support import RAY_ENV, ray_cluster

pytestmark = pytest.mark.slow

RUN_FILES = ("samples.parquet", "manifest.csv", "failures.csv")


@pytest.fixture(scope="module")
def cluster():
    with ray_cluster(cpus=2) as running:
        yield running


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The tiny benchmark's real clips (`real`) and another model (`model`), generated once; in
    `model`, clip0003's audio is cut to half its length, which `strict` AV-Align refuses."""
    root = tmp_path_factory.mktemp("ray-inputs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(root / "cache-generate"))
        from avbench.benchmark.definition import load_benchmark

        generate_tiny_sets(load_benchmark("synthetic:tiny"), root / "real", root / "model-files", root / "model")
    import soundfile

    audio, rate = soundfile.read(root / "model" / "clip0003.wav")
    soundfile.write(root / "model" / "clip0003.wav", audio[: len(audio) // 2], rate)
    return root


def _score_args(inputs: Path, out: Path, *extra: str) -> list[str]:
    return ["score", "--benchmark", "synthetic:tiny", "--inputs", str(inputs / "model"), "--out", str(out),
            "--metrics", "av_align", "--metric-option", "av_align.strict=true", "--quiet", *extra]


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """Random weights of the test networks, written once for the module."""
    folder = tmp_path_factory.mktemp("ray-weights")
    with pytest.MonkeyPatch.context() as mp:
        install_test_networks(mp, folder)
    return folder


@pytest.fixture(scope="module")
def local_run(inputs, tmp_path_factory):
    """The local backend's run of the model (its own cache), the reference of every comparison."""
    out = tmp_path_factory.mktemp("ray-local") / "run"
    done = run_installed(_score_args(inputs, out, "--workers", "2"), env={"AVBENCH_CACHE": str(out.parent / "cache")})
    assert done.returncode == 0, done.stderr
    return out


def _env(cluster, cache: Path, **extra: str) -> dict[str, str]:
    return {**cluster.env, "AVBENCH_CACHE": str(cache), **extra}


def _config(run: Path) -> dict:
    """config.yaml less where the synthetic benchmark's YAML lies (in each run's own cache)."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    del config["benchmark"]["definition"], config["benchmark"]["data_root"]
    return config


def _same_run(run: Path, reference: Path) -> None:
    for name in RUN_FILES:
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name
    assert _config(run) == _config(reference)
    assert stable(read_results(run)) == stable(read_results(reference))


def test_score_on_ray_writes_the_local_run_directory_and_cache(cluster, inputs, local_run, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "ray"
    done = run_installed(_score_args(inputs, out, "--backend", "ray", "--address", cluster.address),
                         env=_env(cluster, cache))
    assert done.returncode == 0, done.stderr
    _same_run(out, local_run)
    results = read_results(out)
    assert results["counts"]["scored"] == 5 and results["counts"]["failed"] == 1
    failures = (out / "failures.csv").read_text()
    assert "clip0003" in failures and "clip0003.wav" in failures  # refused alone, its file named
    assert done.stderr.strip() == ""  # Ray's own logging stays in the cluster's log files
    measured = measured_signals(cache)
    assert len(measured) == 12  # flow and envelope of each of the 6 clips, written by the workers
    here = run_installed(_score_args(inputs, tmp_path / "local", "--workers", "2"), env={"AVBENCH_CACHE": str(cache)})
    assert here.returncode == 0, here.stderr
    assert measured_signals(cache) == measured  # the local backend reads the workers' entries: nothing measured again
    _same_run(tmp_path / "local", local_run)


def test_worker_deaths_lose_nothing_and_a_clip_that_kills_every_time_fails_alone(cluster, inputs, local_run,
                                                                                 tmp_path):
    """clip0002's worker is killed once (the task is retried); clip0004's at every attempt."""
    kills = ["ray-worker:clip0002:attempt1", *(f"ray-worker:clip0004:attempt{k}" for k in (1, 2, 3))]
    out = tmp_path / "run"
    done = run_installed(_score_args(inputs, out, "--backend", "ray", "--address", cluster.address),
                         env=_env(cluster, tmp_path / "cache", **{CRASH_ENV: ",".join(kills)}))
    assert done.returncode == 0, done.stderr
    assert cluster.logs().count("Worker exit type: SYSTEM_ERROR") >= 4
    results = read_results(out)
    assert results["counts"]["scored"] == 4 and results["counts"]["failed"] == 2
    lines = [line for line in (out / "failures.csv").read_text().splitlines() if line.startswith("clip0004,")]
    assert len(lines) == 1 and "clip0004.mp4" in lines[0] and "died 3 times" in lines[0]
    import pandas as pd

    reference = pd.read_parquet(local_run / "samples.parquet").set_index("sample_id")["value"]
    values = pd.read_parquet(out / "samples.parquet").set_index("sample_id")["value"]
    assert values.to_dict() == reference.drop("clip0004").to_dict()


def test_a_killed_driver_resumes_from_the_cache(cluster, inputs, local_run, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "run"
    args = _score_args(inputs, out, "--backend", "ray", "--address", cluster.address)
    kill_while_measuring(args, _env(cluster, cache), cache, 4, timeout=120)
    time.sleep(2)  # the job's workers are stopped with their driver; one may still be storing a clip
    before = measured_signals(cache)
    assert 0 < len(before) < 12, "the kill did not land while clips were being measured"
    assert not (out / "results.json").exists()
    done = run_installed(args, env=_env(cluster, cache))
    assert done.returncode == 0, done.stderr
    after = measured_signals(cache)
    assert {p: after[p] for p in before} == before and len(after) == 12
    _same_run(out, local_run)


def test_set_metrics_on_ray_equal_the_local_backend(cluster, inputs, weights, tmp_path):
    """FID (a video network) and FAD (an audio network) on network actors (random weights,
    installed in every worker by a Ray set-up hook) against the real clips, beside AV-Align on
    CPU tasks: the same values and the same per-sample file."""
    args = ["score", "--benchmark", "synthetic:tiny", "--inputs", str(inputs / "model"), "--reference",
            str(inputs / "real"), "--metrics", "av_align,fid,fad", "--metric-option", f"fid.preset={TEST_PRESETS['fid']}",
            "--quiet"]
    local = run_cli([*args, "--out", str(tmp_path / "local"), "--workers", "2"],
                    env={"AVBENCH_CACHE": str(tmp_path / "cache-local")}, prelude=networks_prelude(weights))
    assert local.returncode == 0, local.stderr
    join = (f"import ray\nray.init(address={cluster.address!r}, runtime_env={{'worker_process_setup_hook': "
            f"'harness_support.install_test_networks_from_env', 'env_vars': {{'AVBENCH_TEST_NETWORKS': {str(weights)!r}}}}})")
    on_ray = run_cli([*args, "--out", str(tmp_path / "ray"), "--backend", "ray", "--samples-per-batch", "2"],
                     env=_env(cluster, tmp_path / "cache-ray"), prelude=networks_prelude(weights) + "\n" + join)
    assert on_ray.returncode == 0, on_ray.stderr
    assert (tmp_path / "ray" / "samples.parquet").read_bytes() == (tmp_path / "local" / "samples.parquet").read_bytes()
    ray_results, local_results = read_results(tmp_path / "ray"), read_results(tmp_path / "local")
    for name in ("fid", "fad", "av_align"):
        assert ray_results["metrics"][name]["value"] == pytest.approx(local_results["metrics"][name]["value"], abs=1e-9)
    assert ray_results["provenance"]["weights"] == local_results["provenance"]["weights"]


def test_av_align_on_a_cluster_started_by_the_run(inputs, tmp_path):
    """No --address and no $RAY_ADDRESS: the run starts a local Ray cluster of its own. One clip
    is listed twice: scored once, the repeat recorded, as locally."""
    clips = [str(inputs / "real"), str(inputs / "real" / "clip0000.mp4")]
    local = run_installed(["av-align", *clips, "--csv", str(tmp_path / "local.csv"), "--quiet", "--no-cache"])
    assert local.returncode == 0, local.stderr
    env = {**RAY_ENV, "RAY_ADDRESS": "", "AVBENCH_CACHE": str(tmp_path / "cache")}
    on_ray = run_installed(["av-align", *clips, "--csv", str(tmp_path / "ray.csv"), "--quiet", "--backend", "ray",
                            "--workers", "2"], env=env)
    assert on_ray.returncode == 0, on_ray.stderr
    assert (tmp_path / "ray.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    assert on_ray.stdout == local.stdout
    assert "sample id 'clip0000' listed twice" in (tmp_path / "ray.csv").read_text()


def test_validity_on_ray_equals_local(cluster, inputs, tmp_path):
    args = ["validity", str(inputs / "real"), "--presets", "tempotokens-2025", "--no-plots", "--quiet",
            "--n-resamples", "200"]
    local = run_installed([*args, "--out", str(tmp_path / "local")], env={"AVBENCH_CACHE": str(tmp_path / "c1")})
    assert local.returncode == 0, local.stderr
    on_ray = run_installed([*args, "--out", str(tmp_path / "ray"), "--backend", "ray", "--address", cluster.address],
                           env=_env(cluster, tmp_path / "c2"))
    assert on_ray.returncode == 0, on_ray.stderr
    for name in sorted(p.name for p in (tmp_path / "local").iterdir() if p.suffix in (".csv", ".md")):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


@pytest.mark.parametrize("extra, expected", [
    (["--gpus-per-worker", "1"], "--gpus-per-worker: for --backend ray only"),
    (["--address", "auto"], "--address: for --backend ray only"),
    (["--backend", "ray", "--metrics", "fvd", "--device", "cuda"], "give its Ray workers GPUs with --gpus-per-worker"),
    (["--backend", "ray", "--metrics", "fvd", "--gpus-per-worker", "1"], "add --device cuda"),
])
def test_a_backend_set_up_that_cannot_work_is_one_line(inputs, weights, tmp_path, extra, expected):
    args = ["score", "--benchmark", "synthetic:tiny", "--inputs", str(inputs / "model"), "--reference",
            str(inputs / "real"), "--out", str(tmp_path / "run"), "--quiet", *extra]
    done = run_cli(args, env=RAY_ENV, prelude=networks_prelude(weights))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr


def test_without_ray_installed_the_backend_says_how_to_install_it(inputs, tmp_path):
    done = run_cli(_score_args(inputs, tmp_path / "run", "--backend", "ray"), prelude="sys.modules['ray'] = None")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and 'pip install "avbench[ray]"' in done.stderr


def test_an_unreachable_cluster_is_one_line(inputs, tmp_path):
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    done = run_installed(_score_args(inputs, tmp_path / "run", "--backend", "ray", "--address", f"127.0.0.1:{port}"),
                         env={**RAY_ENV, "RAY_gcs_rpc_server_connect_timeout_s": "2"}, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and f"could not join the Ray cluster at 127.0.0.1:{port}" in done.stderr
    assert not (tmp_path / "run" / "results.json").exists()
