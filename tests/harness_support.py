"""Helpers shared by the harness tests: comparing run results, running the CLI in a subprocess
(with test set-up, or the installed console script as a user runs it), the tiny benchmark's
media, random-weight networks."""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]

# Fields of results.json that legitimately differ between two computations of the same run.
VOLATILE = (("created_at",), ("provenance", "wall_time_s"))


def stable(results: dict) -> dict:
    """results.json without its volatile fields (timestamps, wall time)."""
    out = copy.deepcopy(results)
    for path in VOLATILE:
        node = out
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    return out


def read_results(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "results.json").read_text())


def cli_command(args: list[str], prelude: str = "") -> list[str]:
    """`python -c` running `avbench ARGS` after `prelude` (e.g. installing random weights)."""
    code = (f"import sys; sys.path[:0] = [{str(REPO / 'tests')!r}]\n{prelude}\n"
            f"from avbench.benchmark.cli import main\nsys.exit(main({args!r}))")
    return [sys.executable, "-c", code]


def measured_signals(cache: Path) -> dict[Path, int]:
    """The clips' measured signals in the cache (flow and onset envelope entries; the onset times
    picked from them at scoring are kept apart), with their modification times (ns)."""
    folders = [cache / "av-align" / kind for kind in ("flow", "envelope")]
    return {p: p.stat().st_mtime_ns for folder in folders if folder.is_dir() for p in folder.rglob("*.npz")}


def kill_while_measuring(args: list[str], env: dict[str, str], cache: Path, count: int, timeout: float = 60) -> None:
    """Start `avbench ARGS` (with `env` added) in a process group of its own and SIGKILL the group
    once `cache` holds `count` measured signals, as an out-of-memory kill or a pre-emption would."""
    import signal
    import time

    proc = subprocess.Popen(cli_command(args), env={**os.environ, **env}, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while len(measured_signals(cache)) < count and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def declare_generator(monkeypatch, name: str, value: str) -> None:
    """Declare generator `name` as `module:factory`, as a distribution's `avbench.generators` entry
    point would, for one test."""
    from importlib.metadata import EntryPoint

    from avbench.benchmark import generators

    entry = EntryPoint(name=name, value=value, group=generators.ENTRY_POINT_GROUP)
    monkeypatch.setitem(generators._factories(), name, entry)


def run_cli(args: list[str], env: dict[str, str] | None = None, prelude: str = "", timeout: float = 600
            ) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cli_command(args, prelude), env=full_env, capture_output=True, text=True, timeout=timeout)


def run_installed(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
                  timeout: float = 900) -> subprocess.CompletedProcess:
    """`avbench ARGS` as a user runs it: the installed console script in a fresh interpreter, no
    test set-up in the process; `env` is added to the test's environment."""
    avbench = shutil.which("avbench")
    assert avbench, "the avbench console script is not installed"
    return subprocess.run([avbench, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


def generate_tiny_sets(bench, real: Path, model_files: Path, model: Path) -> None:
    """The tiny benchmark's real clips generated into `real`, and another "model": the same clips
    with other textures and every event 2 frames later, written into `model_files` and generated
    into `model` by the `folder` model."""
    from dataclasses import replace

    from avbench.benchmark.generate import generate
    from avbench.benchmark.synthetic import write_clip
    from avbench.benchmark.synthetic_benchmark import clips

    generate("real", bench, real, progress=False)
    for clip, _ in clips(6):
        write_clip(replace(clip, seed=clip.seed + 100, event_frames=tuple(f + 2 for f in clip.event_frames)), model_files)
    generate("folder", bench, model, options={"path": str(model_files)}, progress=False)


@contextmanager
def folder_held(folder: Path) -> Iterator[None]:
    """Another process holds `folder`'s avbench lock (benchmark/folder_lock.py) during the block."""
    code = ("import sys\nfrom avbench.benchmark.folder_lock import writing\nwith writing(sys.argv[1]):\n"
            "    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def score_tiny_real(root: Path) -> dict:
    """The tiny benchmark's real control generated into `root/gen` and scored (AV-Align, one
    worker) into `root/uninterrupted`, with the cache `root/cache-reference`; returns its results."""
    import pytest

    from avbench.benchmark.definition import load_benchmark
    from avbench.benchmark.generate import generate
    from avbench.benchmark.scoring.run import score_run

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(root / "cache-reference"))
        bench = load_benchmark("synthetic:tiny")
        generate("real", bench, root / "gen", progress=False)
        return score_run(bench, root / "gen", root / "uninterrupted", workers=1, progress=False)


# Random-weight networks and light test presets for the set metrics (FID/KID/IS read every 24th
# frame's 1008 Inception logits, KID draws 10 subsets of 3), installed for a test module or a subprocess.
TEST_NETWORKS = ("i3d-styleganv", "inception-torch-fidelity", "vggish")
TEST_PRESETS = {"fid": "fid/test-stride24", "kid": "kid/test-stride24", "is": "is/test-stride24", "isv": "isv/tgan"}


def install_test_networks(monkeypatch, folder: Path) -> None:
    """Random weights (written once into `folder`) registered under the real names, and the test presets."""
    import dataclasses

    from avbench.metrics import weights
    from avbench.metrics.fileio import sha256_file
    from avbench.metrics.inception_score import FRAME_PRESETS
    from avbench.metrics.presets import PRESETS
    from random_networks import install_random_weights

    _install_c3d(monkeypatch, folder)
    if all((folder / weights.get_spec(n).filename).is_file() for n in TEST_NETWORKS):
        monkeypatch.setenv("AVBENCH_WEIGHTS", str(folder))
        for name in TEST_NETWORKS:
            spec = weights.get_spec(name)
            monkeypatch.setitem(weights._REGISTRY, name, dataclasses.replace(
                spec, sha256=sha256_file(folder / spec.filename), loader="torch"))
    else:
        install_random_weights(monkeypatch, folder, TEST_NETWORKS)
    # FID and KID on the 1008 logits (the frame IS layer): one Inception pass serves all three, and
    # the Fréchet distance's eigendecompositions are 8x cheaper than at 2048 dimensions.
    fid = dataclasses.replace(PRESETS["fid/ttur"], name=TEST_PRESETS["fid"], frame_stride=24, layer="logits_unbiased")
    kid = dataclasses.replace(PRESETS["kid/ttur"], name=TEST_PRESETS["kid"], frame_stride=24, subsets=10, subset_size=3,
                              layer="logits_unbiased")
    is_ = dataclasses.replace(FRAME_PRESETS["is/openai"], name=TEST_PRESETS["is"], frame_stride=24)
    monkeypatch.setitem(PRESETS, fid.name, fid)
    monkeypatch.setitem(PRESETS, kid.name, kid)
    monkeypatch.setitem(FRAME_PRESETS, is_.name, is_)


def networks_prelude(folder: Path) -> str:
    """Code that installs the test networks (already written into `folder`) in a subprocess."""
    return ("import pytest, pathlib, torch, threadpoolctl\nfrom harness_support import install_test_networks\n"
            "torch.set_num_threads(1); threadpoolctl.threadpool_limits(1)  # as the in-process tests (single_thread)\n"
            f"install_test_networks(pytest.MonkeyPatch(), pathlib.Path({str(folder)!r}))")


def install_test_networks_from_env() -> None:
    """A Ray worker's set-up hook (`worker_process_setup_hook`): the test networks written into
    `$AVBENCH_TEST_NETWORKS`, installed as `networks_prelude` installs them in a driver."""
    import pytest
    import threadpoolctl
    import torch

    torch.set_num_threads(1)
    threadpoolctl.threadpool_limits(1)
    install_test_networks(pytest.MonkeyPatch(), Path(os.environ["AVBENCH_TEST_NETWORKS"]))


def write_c3d_files(folder: Path) -> None:
    """A default-initialised C3D (torch state dict, seed 0) and one random UCF-101 mean clip as
    both mean files (`isv/tgan2`, `isv/tgan`), under their registered file names in `folder`."""
    import numpy as np
    import torch

    from avbench.metrics import weights
    from avbench.metrics.networks.c3d import C3D

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(C3D().state_dict(), folder / weights.get_spec("c3d-ucf101-tgan2").filename)
    mean = np.random.default_rng(1).uniform(80, 120, (1, 3, 16, 128, 171)).astype(np.float32)
    for name in ("c3d-ucf101-mean-tgan2", "c3d-ucf101-mean-tgan"):
        np.savez(folder / weights.get_spec(name).filename, mean=mean)


def _install_c3d(monkeypatch, folder: Path) -> None:
    """The C3D files of `write_c3d_files` (written once into `folder`) with the C3D's sha256 registered."""
    import dataclasses

    from avbench.metrics import weights
    from avbench.metrics.fileio import sha256_file

    c3d = weights.get_spec("c3d-ucf101-tgan2")
    if not (folder / c3d.filename).is_file():
        write_c3d_files(folder)
    monkeypatch.setenv("AVBENCH_WEIGHTS", str(folder))
    monkeypatch.setitem(weights._REGISTRY, c3d.name, dataclasses.replace(c3d, sha256=sha256_file(folder / c3d.filename)))
