"""One metric catalogue and one feeding path, tested as users run them: every metric computed
through `avbench score` and `avbench score-files` (each in a fresh process, with its own cache) and
through the Python API (`score_folders`) on the same media gives the same value; the verbs that
need weights find them in a fresh process (`--weights NAME=PATH`, no test set-up in the process)
or stop with the one-line missing-weights message."""
from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from avbench.benchmark.definition import load_benchmark
from avbench.metrics import weights
from avbench.metrics.catalogue import metric_names
from avbench.metrics.fileio import sha256_file
from avbench.metrics.scoring import score_folders
from canonical_i3d import write_styleganv_archive
from harness_support import (TEST_PRESETS, generate_tiny_sets, install_test_networks, networks_prelude, read_results,
                             run_cli, run_installed)
from random_networks import write_wav2clip_checkpoint
from single_thread import one_thread  # noqa: F401  (module fixture)

pytestmark = pytest.mark.slow

CLIP_METRICS = ("clipsim", "clipscore", "av_semantic")


@pytest.fixture(scope="module")
def env(tmp_path_factory, tiny_clip_dir):
    """The tiny benchmark's real clips (the reference set) and another "model" (other textures and
    event times) generated as runs; random-weight networks in the canonical layouts."""
    root = tmp_path_factory.mktemp("front-ends")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(root / "setup-cache"))
        install_test_networks(mp, root / "weights")
        bench = load_benchmark("synthetic:tiny")
        generate_tiny_sets(bench, root / "real", root / "model-files", root / "model")
    wav2clip = write_wav2clip_checkpoint(root / "wav2clip.pt")
    labels = root / "labels.csv"
    labels.write_text("stem,label\n" + "".join(f"{r['item_id']},{r['label']}\n" for r in bench.rows))
    return SimpleNamespace(root=root, bench=bench, clip=str(tiny_clip_dir), wav2clip=wav2clip, labels=labels)


def test_score_score_files_and_the_python_api_agree_on_every_metric(env, monkeypatch):
    assert set(metric_names()) == {"av_align", *TEST_PRESETS, "fvd", "fad", *CLIP_METRICS}
    presets = list(TEST_PRESETS.values())
    prelude = networks_prelude(env.root / "weights")
    common = ["--workers", "1", "--quiet", "--weights", f"wav2clip={env.wav2clip}"]

    score = run_cli(["score", "--benchmark", "synthetic:tiny", "--inputs", str(env.root / "model"),
                     "--out", str(env.root / "run"), "--reference", str(env.root / "real"),
                     "--metrics", ",".join(metric_names()), *common,
                     *[f"--metric-option={m}.preset={p}" for m, p in TEST_PRESETS.items()],
                     *[f"--metric-option={m}.clip_model={env.clip}" for m in CLIP_METRICS]],
                    env={"AVBENCH_CACHE": str(env.root / "cache-score")}, prelude=prelude)
    assert score.returncode == 0, score.stderr
    run = read_results(env.root / "run")["metrics"]

    out_json = env.root / "score-files.json"
    files = run_cli(["score-files", str(env.root / "model"), str(env.root / "real"), "--metrics",
                     ",".join(metric_names()), *common, *[f"--preset={p}" for p in presets], "--clip-model", env.clip,
                     "--labels", str(env.labels), "--json", str(out_json)],
                    env={"AVBENCH_CACHE": str(env.root / "cache-files")}, prelude=prelude)
    assert files.returncode == 0, files.stderr
    by_files = json.loads(out_json.read_text())["results"]

    monkeypatch.setenv("AVBENCH_CACHE", str(env.root / "cache-api"))
    install_test_networks(monkeypatch, env.root / "weights")
    with open(env.labels, newline="") as fh:
        labels = {row["stem"]: row["label"] for row in csv.DictReader(fh)}
    report = score_folders(env.root / "model", env.root / "real", metric_names(), presets=presets, labels=labels,
                           options={m: {"clip_model": env.clip} for m in CLIP_METRICS},
                           weights={"wav2clip": env.wav2clip}, workers=1, progress=False)
    assert report.errors == {} and report.failures == []

    for name in metric_names():
        api = report[name]
        assert (run[name]["value"], run[name]["n"]) == (api.value, api.n), name
        assert (by_files[name]["value"], by_files[name]["n"]) == (api.value, api.n), name
        ci = None if api.ci95 is None else list(api.ci95)
        assert run[name]["ci95"] == by_files[name]["ci95"] == ci, name
        assert run[name]["preset"] == by_files[name]["preset"] == api.preset, name
    assert run["fvd"]["value"] > 0 and run["av_align"]["n"] == 6


def _fresh(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """The installed `avbench ARGS` in `tmp_path`, with its own cache and an empty weights folder."""
    return run_installed(args, cwd=tmp_path, env={"AVBENCH_CACHE": str(tmp_path / "cache"), "AVBENCH_OFFLINE": "1",
                                                  "AVBENCH_WEIGHTS": str(tmp_path / "no-weights")})


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """StyleGAN-V's I3D TorchScript archive (the canonical `i3d-styleganv` file) with random weights."""
    return write_styleganv_archive(tmp_path_factory.mktemp("i3d") / "i3d_torchscript.pt")


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_score_computes_fvd_in_a_fresh_process_from_a_weights_file(env, archive, tmp_path):
    args = ["score", "--benchmark", "synthetic:tiny", "--inputs", str(env.root / "model"), "--out", str(tmp_path / "run"),
            "--reference", str(env.root / "real"), "--metrics", "av_align,fvd", "--workers", "1", "--quiet"]
    done = _fresh([*args, "--weights", f"i3d-styleganv={archive}"], tmp_path)
    assert done.returncode == 0, done.stderr
    results = read_results(tmp_path / "run")
    assert results["metrics"]["fvd"]["value"] > 0 and results["metrics"]["fvd"]["n"] == 6
    assert results["provenance"]["weights"] == {"i3d-styleganv": sha256_file(archive)}

    missing = _fresh(args, tmp_path)
    spec = weights.get_spec("i3d-styleganv")
    assert missing.returncode == 2 and missing.stdout == "" and missing.stderr.count("\n") == 1
    assert spec.url in missing.stderr and str(tmp_path / "no-weights" / spec.filename) in missing.stderr


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_stats_build_and_score_files_read_a_weights_file_in_a_fresh_process(env, archive, tmp_path):
    flag = ["--weights", f"i3d-styleganv={archive}", "--quiet"]
    built = _fresh(["stats", "build", str(env.root / "real"), "--metric", "fvd", "--out", str(tmp_path / "fvd.npz"),
                    *flag], tmp_path)
    assert built.returncode == 0, built.stderr
    assert "fvd reference state, preset fvd/styleganv v1, 6 feature vectors" in built.stdout
    out = tmp_path / "fvd.json"
    scored = _fresh(["score-files", str(env.root / "model"), "--metrics", "fvd", "--ref-stats", str(tmp_path / "fvd.npz"),
                     "--json", str(out), *flag], tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(out.read_text())["results"]["fvd"]["n"] == 6
    missing = _fresh(["stats", "build", str(env.root / "real"), "--metric", "fvd", "--out", str(tmp_path / "x.npz")],
                     tmp_path)
    assert missing.returncode == 2 and weights.get_spec("i3d-styleganv").url in missing.stderr
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
