"""A score run killed with SIGKILL at any point and run again ends with the results of an
uninterrupted run, and recomputes nothing the killed run had already cached."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import pytest

from avbench.benchmark.faults import ENV as CRASH_ENV
from harness_support import (cli_command, kill_while_measuring, measured_signals, read_results, run_cli,
                             score_tiny_real, stable)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The real control of the tiny benchmark, and its uninterrupted score (own cache)."""
    root = tmp_path_factory.mktemp("resume")
    return root, score_tiny_real(root)


def _args(root: Path, out: Path) -> list[str]:
    return ["score", "--benchmark", "synthetic:tiny", "--inputs", str(root / "gen"), "--out", str(out),
            "--workers", "1", "--quiet"]


def _finish_and_compare(root: Path, out: Path, cache: Path, reference: dict) -> None:
    assert not (out / "results.json").exists()  # a killed run never looks finished
    before = measured_signals(cache)
    done = run_cli(_args(root, out), env={"AVBENCH_CACHE": str(cache)})
    assert done.returncode == 0, done.stderr
    assert stable(read_results(out)) == stable(reference)
    after = measured_signals(cache)
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
    kill_while_measuring(_args(root, out), {"AVBENCH_CACHE": str(cache)}, cache, 5)
    assert 0 < len(measured_signals(cache)) < 12, "the kill did not land while clips were being measured"
    _finish_and_compare(root, out, cache, reference)


def _run_args(config: Path, out: Path) -> list[str]:
    return ["run", str(config), "--out", str(out), "--quiet"]


def _files(*folders: Path) -> int:
    return sum(1 for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file())


def test_avbench_run_killed_at_random_moments_then_rerun(inputs, tmp_path):
    """`avbench run` (generate, score, report) killed with SIGKILL at seeded random moments (when
    its k-th file appears, in its folder or the cache), then run again alone, ends with the results
    of an uninterrupted run, one manifest row per sample and no temp file; each attempt starts from
    a cache holding only the benchmark's clips."""
    root, _ = inputs
    config = tmp_path / "two-models.yaml"
    config.write_text("name: two-models\nbenchmark: synthetic:tiny\nmetrics: [av_align]\n"
                      "models: [real, {name: shifted, options: {frames: 3}}]\n"
                      "report: {formats: [md], plots: false}\nworkers: 1\n", encoding="utf-8")

    def fresh_cache(name: str) -> Path:
        cache = tmp_path / name
        shutil.copytree(root / "cache-reference" / "synthetic", cache / "synthetic", copy_function=os.link)
        return cache

    clean, cache = tmp_path / "clean", fresh_cache("cache-clean")
    before = _files(cache)
    done = run_cli(_run_args(config, clean), env={"AVBENCH_CACHE": str(cache)})
    assert done.returncode == 0, done.stderr
    written = _files(clean, cache) - before
    rng = random.Random(20240611)
    killed = 0
    for attempt in range(4):
        out, cache = tmp_path / f"killed{attempt}", fresh_cache(f"cache{attempt}")
        env = {**os.environ, "AVBENCH_CACHE": str(cache)}
        at = before + rng.randrange(1, written - 1)
        proc = subprocess.Popen(cli_command(_run_args(config, out)), env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and _files(out, cache) < at:
            time.sleep(0.002)
        with suppress(ProcessLookupError):  # it may have finished a moment before
            os.killpg(proc.pid, signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        done = run_cli(_run_args(config, out), env={"AVBENCH_CACHE": str(cache)})
        assert done.returncode == 0, done.stderr
        for label in ("real", "shifted"):
            assert stable(read_results(out / "runs" / label)) == stable(read_results(clean / "runs" / label))
            rows = (out / "generated" / label / "manifest.csv").read_text(encoding="utf-8").splitlines()
            assert sorted(rows) == sorted((clean / "generated" / label / "manifest.csv").read_text(encoding="utf-8")
                                          .splitlines())
        assert not [p for p in out.rglob("*.tmp")]
    assert killed >= 3  # (a kill can land a moment after the run's last file)
