"""Malformed-input suite, area `run`: concurrent commands on one folder, folders and caches damaged
by kills or older versions, read-only and full disks. Each case runs the installed `avbench` on
the tiny benchmark's real clips and compares its results with an undisturbed score of the same
clips: a disturbed run either ends with exactly those results or stops with one line.

Read-only and full file systems are simulated (the tests may run as root, where a read-only
mode stops nothing): tests/fault_fs/sitecustomize.py refuses the writes under one folder, or sets
a file-size limit, in the avbench process.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from avbench.benchmark.faults import ENV as CRASH_ENV
from harness_support import folder_held, read_results, score_tiny_real, stable
from malformed_support import (ERROR, SCORED, WARNED, Case, assert_clear_error, assert_clear_record,
                               assert_no_traceback, assert_real_number, avbench)

FAULT_FS = Path(__file__).resolve().parent / "fault_fs"
AREA = "run"

CASES: list[Case] = [
    Case("another avbench process holds the output folder", AREA, ERROR),
    Case("two identical `avbench run` started at once", AREA, ERROR),
    Case("output folder on a read-only file system", AREA, ERROR),
    Case("output folder's disk fills up mid-run", AREA, ERROR),
    Case("a sample file outgrows the file-size limit mid-write", AREA, ERROR),
    Case("cache entry swapped for another clip's valid entry", AREA, WARNED),
    Case("cache entry truncated", AREA, WARNED),
    Case("cache entry's arrays edited, its record kept", AREA, WARNED),
    Case("read-only cache", AREA, WARNED),
    Case("cache disk fills up mid-run", AREA, WARNED),
    Case("run folder left by two runs at once on an older avbench (rows twice, temp files)", AREA, SCORED),
    Case("generated manifest cut mid-line by a kill", AREA, SCORED),
    Case("lock file left by a run killed with SIGKILL", AREA, SCORED),
    Case("--json written to a named pipe (a device such as /dev/null alike)", AREA, SCORED),
]


@dataclass
class Tiny:
    """The tiny benchmark's real clips (`gen`), their undisturbed results, and the cache that
    scored them (`cache`: the synthetic clips and every measurement)."""

    gen: Path
    cache: Path
    clean: dict


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Tiny:
    root = tmp_path_factory.mktemp("runs")
    clean = score_tiny_real(root)
    return Tiny(root / "gen", root / "cache-reference", clean)


def _cache(tmp_path: Path, tiny: Tiny, measured: bool) -> Path:
    """A cache of the case's own: the synthetic clips, and (`measured`) copies of every entry."""
    cache = tmp_path / "cache"
    shutil.copytree(tiny.cache / "synthetic", cache / "synthetic", copy_function=os.link)
    if measured:
        for namespace in ("av-align", "media"):
            shutil.copytree(tiny.cache / namespace, cache / namespace)
    return cache


def _score(tiny: Tiny, out: Path, cache: Path, *extra: str, env: dict[str, str] | None = None,
           inputs: Path | None = None) -> subprocess.CompletedProcess:
    return avbench("score", "--benchmark", "synthetic:tiny", "--inputs", str(inputs or tiny.gen), "--out", str(out),
                   "--quiet", *(extra or ("--workers", "1")), env={"AVBENCH_CACHE": str(cache), **(env or {})})


def _fault(**settings: str | int) -> dict[str, str]:
    """The environment that loads the simulated file system faults (AVBENCH_FAULT_<KEY>)."""
    path = os.pathsep.join(p for p in (str(FAULT_FS), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, **{f"AVBENCH_FAULT_{k.upper()}": str(v) for k, v in settings.items()}}


def _warnings(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("avbench: ")]


def _assert_undisturbed(done: subprocess.CompletedProcess, run_dir: Path, tiny: Tiny) -> None:
    """Scored: exit 0, no traceback, results equal to the undisturbed run's, no temp file left."""
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    results = read_results(run_dir)
    assert_real_number(results["metrics"]["av_align"]["value"])
    assert stable(results) == stable(tiny.clean)
    assert not [p for p in run_dir.rglob("*.tmp")]


def _manifest(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _entries(cache: Path, kind: str = "flow") -> list[Path]:
    return sorted((cache / "av-align" / kind).rglob("*.npz"))


def _run_config(tmp_path: Path) -> Path:
    """`avbench run` of the real clips only, scored by AV-Align; a markdown report, no plots."""
    path = tmp_path / "real-only.yaml"
    path.write_text("name: real-only\nbenchmark: synthetic:tiny\nmetrics: [av_align]\nmodels: [real]\n"
                    "report: {formats: [md], plots: false}\nworkers: 1\n", encoding="utf-8")
    return path


def folder_in_use(tmp_path: Path, tiny: Tiny) -> None:
    out, cache = tmp_path / "run", _cache(tmp_path, tiny, measured=True)
    with folder_held(out):
        refused = _score(tiny, out, cache)
        assert_clear_error(refused, str(out), "in use by another avbench process")
        assert not (out / "results.json").exists()
    _assert_undisturbed(_score(tiny, out, cache), out, tiny)


def runs_at_once(tmp_path: Path, tiny: Tiny) -> None:
    config, out, cache = _run_config(tmp_path), tmp_path / "S", _cache(tmp_path, tiny, measured=False)
    with ThreadPoolExecutor(2) as pool:  # two real processes, started together on a cold cache
        dones = list(pool.map(lambda _: avbench("run", str(config), "--out", str(out), "--quiet",
                                                env={"AVBENCH_CACHE": str(cache)}), range(2)))
    finished = [d for d in dones if d.returncode == 0]
    refused = [d for d in dones if d.returncode != 0]
    assert len(finished) == 1 and len(refused) == 1, [(d.returncode, d.stderr) for d in dones]
    assert_clear_error(refused[0], str(out), "in use by another avbench process")
    _assert_undisturbed(finished[0], out / "runs" / "real", tiny)
    assert _manifest(out / "generated" / "real" / "manifest.csv") == _manifest(tiny.gen / "manifest.csv")
    assert not [p for p in out.rglob("*.tmp")]


def read_only_output(tmp_path: Path, tiny: Tiny) -> None:
    disk, cache = tmp_path / "disk", _cache(tmp_path, tiny, measured=True)
    disk.mkdir()
    out = disk / "run"
    refused = _score(tiny, out, cache, env=_fault(dir=disk, errno="EROFS"))
    assert_clear_error(refused, str(out), "Read-only file system")
    _assert_undisturbed(_score(tiny, out, cache), out, tiny)


def full_output(tmp_path: Path, tiny: Tiny) -> None:
    disk, cache = tmp_path / "disk", _cache(tmp_path, tiny, measured=False)
    disk.mkdir()
    out = disk / "run"
    # the folder, its lock, config.yaml, states/ and the state fit; the files after it do not
    refused = _score(tiny, out, cache, env=_fault(dir=disk, errno="ENOSPC", after=5))
    assert_clear_error(refused, f"cannot write {out}/", "No space left on device")
    measured = {p: p.stat().st_mtime_ns for p in _entries(cache, "flow") + _entries(cache, "envelope")}
    assert len(measured) == 12  # flow and onset envelope of the 6 clips, kept for the rerun
    _assert_undisturbed(_score(tiny, out, cache), out, tiny)
    assert {p: p.stat().st_mtime_ns for p in measured} == measured  # resumed: nothing measured again


def file_size_limit(tmp_path: Path, tiny: Tiny) -> None:
    cache, out, clean = _cache(tmp_path, tiny, measured=False), tmp_path / "shifted", tmp_path / "clean-shifted"
    args = ("generate", "--model", "shifted", "--benchmark", "synthetic:tiny", "--quiet")
    env = {"AVBENCH_CACHE": str(cache)}
    refused = avbench(*args, "--out", str(out), env={**env, **_fault(fsize=20_000)})  # a 2 s wav is 88 kB
    assert_clear_error(refused, str(out / "clip0000.wav"), "File too large")
    for folder in (out, clean):
        done = avbench(*args, "--out", str(folder), env=env)
        assert done.returncode == 0 and "6 generated" in done.stdout, done.stderr
    rows = _manifest(out / "manifest.csv")
    assert rows == _manifest(clean / "manifest.csv") and len(rows) == 6
    for row in rows:
        for column in ("video_path", "audio_path"):
            assert (out / row[column]).read_bytes() == (clean / row[column]).read_bytes()
    assert not [p for p in out.rglob("*.tmp")]


def _warned_once(done: subprocess.CompletedProcess, out: Path, tiny: Tiny, *needles: str) -> str:
    _assert_undisturbed(done, out, tiny)
    warnings = _warnings(done)
    assert len(warnings) == 1, warnings
    assert_clear_record(warnings[0], *needles)
    return warnings[0]


def swapped_entry(tmp_path: Path, tiny: Tiny) -> None:
    cache, out = _cache(tmp_path, tiny, measured=True), tmp_path / "run"
    entries = _entries(cache)
    shutil.copyfile(entries[0], entries[1])  # a valid entry of another clip in its place
    _warned_once(_score(tiny, out, cache), out, tiny, str(entries[1]), "another key")
    with np.load(entries[0]) as other, np.load(entries[1]) as npz:  # overwritten with its own measurement
        assert not np.array_equal(npz["trajectory"], other["trajectory"])
    again = _score(tiny, tmp_path / "again", cache)
    assert again.returncode == 0 and not _warnings(again), again.stderr


def truncated_entry(tmp_path: Path, tiny: Tiny) -> None:
    cache, out = _cache(tmp_path, tiny, measured=True), tmp_path / "run"
    entry = _entries(cache, "envelope")[2]
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    _warned_once(_score(tiny, out, cache), out, tiny, str(entry), "damaged")


def edited_entry(tmp_path: Path, tiny: Tiny) -> None:
    cache, out = _cache(tmp_path, tiny, measured=True), tmp_path / "run"
    entry = _entries(cache)[3]
    with np.load(entry) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["trajectory"] = np.roll(arrays["trajectory"], 7)  # the motion peaks 7 frames later
    with open(entry, "wb") as fh:
        np.savez(fh, **arrays)
    _warned_once(_score(tiny, out, cache), out, tiny, str(entry), "sha256")


def read_only_cache(tmp_path: Path, tiny: Tiny) -> None:
    cache, out = _cache(tmp_path, tiny, measured=False), tmp_path / "run"
    done = _score(tiny, out, cache, "--workers", "2", env=_fault(dir=cache, errno="EROFS"))  # a pool too
    _warned_once(done, out, tiny, str(cache), "Read-only file system")
    assert not (cache / "av-align").exists()


def full_cache(tmp_path: Path, tiny: Tiny) -> None:
    cache, out = _cache(tmp_path, tiny, measured=False), tmp_path / "run"
    # the disk fills up while the clips are measured: a few entries (and their folders) fit
    done = _score(tiny, out, cache, env=_fault(dir=cache / "av-align", errno="ENOSPC", after=8))
    _warned_once(done, out, tiny, str(cache), "No space left on device")
    assert 0 < len(_entries(cache, "flow") + _entries(cache, "envelope")) < 12  # full partway through


def damaged_run_folder(tmp_path: Path, tiny: Tiny) -> None:
    config, out, cache = _run_config(tmp_path), tmp_path / "S", _cache(tmp_path, tiny, measured=True)
    generated = out / "generated" / "real"
    shutil.copytree(tiny.gen, generated)
    manifest = generated / "manifest.csv"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(lines + lines[1:]), encoding="utf-8")  # every row twice
    os.link(generated / "clip0001.mp4", generated / ".clip0001.mp4.link.tmp")
    (generated / ".manifest.csv.k3j2h1g0.tmp").write_text("".join(lines[:3]), encoding="utf-8")
    (out / "runs" / "real").mkdir(parents=True)
    (out / "runs" / "real" / ".results.json.a1b2c3d4.tmp").write_text("{", encoding="utf-8")
    done = avbench("run", str(config), "--out", str(out), "--quiet", env={"AVBENCH_CACHE": str(cache)})
    _assert_undisturbed(done, out / "runs" / "real", tiny)
    assert _manifest(manifest) == _manifest(tiny.gen / "manifest.csv")
    assert not [p for p in out.rglob("*.tmp")]


def cut_manifest(tmp_path: Path, tiny: Tiny) -> None:
    cache, generated, out = _cache(tmp_path, tiny, measured=True), tmp_path / "gen", tmp_path / "run"
    shutil.copytree(tiny.gen, generated)
    manifest = generated / "manifest.csv"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[:-12], encoding="utf-8")  # the last row without its end
    done = avbench("generate", "--model", "real", "--benchmark", "synthetic:tiny", "--out", str(generated),
                   "--quiet", env={"AVBENCH_CACHE": str(cache)})
    assert done.returncode == 0 and "1 generated, 5 already present" in done.stdout, done.stderr
    assert _manifest(manifest) == _manifest(tiny.gen / "manifest.csv")
    _assert_undisturbed(_score(tiny, out, cache, inputs=generated), out, tiny)


def stale_lock(tmp_path: Path, tiny: Tiny) -> None:
    cache, out = _cache(tmp_path, tiny, measured=True), tmp_path / "run"
    killed = _score(tiny, out, cache, env={CRASH_ENV: "inputs"})
    assert killed.returncode == -9 and (out / ".avbench.lock").is_file(), killed.stderr
    _assert_undisturbed(_score(tiny, out, cache), out, tiny)


def output_to_a_pipe(tmp_path: Path, tiny: Tiny) -> None:
    """An output path that is no regular file is written in place: renaming a finished temp file
    over it would replace the pipe (or, for root, /dev/null itself) with a file."""
    pipe = tmp_path / "out.pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # a reader exists, so the writer's open succeeds
    try:
        done = avbench("av-align", str(tiny.gen / "clip0000.mp4"), "--json", str(pipe), "--quiet",
                       "--workers", "1", env={"AVBENCH_CACHE": str(tiny.cache)})
        assert_no_traceback(done)
        assert done.returncode == 0, done.stderr
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)
        record = json.loads(os.read(reader, 1 << 20))
    finally:
        os.close(reader)
    assert [clip["sample_id"] for clip in record["clips"]] == ["clip0000"]
    assert_real_number(record["clips"][0]["score"])


CHECKS: dict[str, Callable[[Path, Tiny], None]] = dict(zip(
    [case.name for case in CASES],
    [folder_in_use, runs_at_once, read_only_output, full_output, file_size_limit, swapped_entry, truncated_entry,
     edited_entry, read_only_cache, full_cache, damaged_run_folder, cut_manifest, stale_lock, output_to_a_pipe]))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_run_case(case: Case, tmp_path: Path, tiny: Tiny) -> None:
    CHECKS[case.name](tmp_path, tiny)
