"""A score run killed with SIGKILL at any point and run again ends with the results of an
uninterrupted run, and recomputes nothing the killed run had already cached."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.faults import ENV as CRASH_ENV
from avbench.benchmark.generate import generate
from avbench.benchmark.scoring.run import score_run
from harness_support import cli_command, read_results, run_cli, stable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The real control of the tiny benchmark, and its uninterrupted score (own cache)."""
    root = tmp_path_factory.mktemp("resume")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(root / "cache-reference"))
        bench = load_benchmark("synthetic:tiny")
        generate("real", bench, root / "gen", progress=False)
        reference = score_run(bench, root / "gen", root / "uninterrupted", workers=1, progress=False)
    return root, reference


def _args(root: Path, out: Path) -> list[str]:
    return ["score", "--benchmark", "synthetic:tiny", "--inputs", str(root / "gen"), "--out", str(out),
            "--workers", "1", "--quiet"]


def _cache_files(cache: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (cache / "av-align").rglob("*.npz")} if (cache / "av-align").is_dir() else {}


def _finish_and_compare(root: Path, out: Path, cache: Path, reference: dict) -> None:
    assert not (out / "results.json").exists()  # a killed run never looks finished
    before = _cache_files(cache)
    done = run_cli(_args(root, out), env={"AVBENCH_CACHE": str(cache)})
    assert done.returncode == 0, done.stderr
    assert stable(read_results(out)) == stable(reference)
    after = _cache_files(cache)
    assert {p: after[p] for p in before} == before  # cached entries were read, not recomputed
    assert len(after) == 12  # flow + onset envelope of each of the 6 clips


@pytest.mark.parametrize("point", ["map:av_align", "states", "results"])
def test_resume_after_sigkill_at_a_crash_point(inputs, tmp_path, point):
    root, reference = inputs
    cache, out = tmp_path / "cache", tmp_path / "run"
    killed = run_cli(_args(root, out), env={"AVBENCH_CACHE": str(cache), CRASH_ENV: point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _finish_and_compare(root, out, cache, reference)


def test_resume_after_sigkill_in_the_middle_of_measuring(inputs, tmp_path):
    root, reference = inputs
    cache, out = tmp_path / "cache", tmp_path / "run"
    env = {**os.environ, "AVBENCH_CACHE": str(cache)}
    proc = subprocess.Popen(cli_command(_args(root, out)), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_cache_files(cache)) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < len(_cache_files(cache)) < 12, "the kill did not land while clips were being measured"
    _finish_and_compare(root, out, cache, reference)
