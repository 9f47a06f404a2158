"""A real Ray cluster on this machine for the Ray backend's tests and benchmark: a head node on
127.0.0.1 with a given number of CPUs, started with `ray start` (as a cluster is started
anywhere) and stopped when the block ends."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# A cluster on this machine for one test module or one script: Ray's token authentication is
# left off (it would need a token file in the user's home).
RAY_ENV = {"RAY_AUTH_MODE": "disabled"}


@dataclass(frozen=True)
class Cluster:
    address: str  # HOST:PORT, for --address
    root: Path  # the cluster's temporary folder (its logs under session_latest/logs)
    env: dict[str, str]  # the environment the cluster runs in; a driver joins it with this

    def logs(self) -> str:
        """Every log line of the cluster's processes so far."""
        folder = self.root / "session_latest" / "logs"
        return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _warm_numba(env: dict[str, str]) -> None:
    """librosa's compiled functions in the numba cache the cluster's workers use (`$NUMBA_CACHE_DIR`
    or numba's default) before any worker runs: workers compiling into one cache at once can read
    a half-written entry. Quick when the cache already holds them."""
    code = ("import numpy as np, librosa\n"
            "y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)\n"
            "e = librosa.onset.onset_strength(y=y, sr=22050)\n"
            "librosa.onset.onset_detect(onset_envelope=e, sr=22050)\n"
            "librosa.util.peak_pick(e, pre_max=3, post_max=3, pre_avg=3, post_avg=5, delta=0.5, wait=10)\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)


@contextmanager
def ray_cluster(cpus: int = 2, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A one-node cluster with `cpus` CPUs and no GPU, in `env` (default: this process's) plus
    `RAY_ENV`; its workers import from the tests folder too (test set-up hooks)."""
    # A short path of its own (not $TMPDIR): Ray's socket paths under it must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="avbench-ray-", dir="/tmp" if os.path.isdir("/tmp") else None))
    tests = str(Path(__file__).resolve().parent)
    env = {**(env or os.environ), **RAY_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (tests, env.get("PYTHONPATH", "")) if p)
    _warm_numba(env)
    port = _free_port()
    ray = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen([ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
                             "--num-cpus", str(cpus), "--num-gpus", "0", "--include-dashboard", "false",
                             "--temp-dir", str(root), "--disable-usage-stats"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    cluster = Cluster(f"127.0.0.1:{port}", root, env)
    try:
        deadline = time.monotonic() + 120
        while True:
            probe = subprocess.run([sys.executable, "-c", f"import ray; ray.init(address={cluster.address!r}); "
                                    "assert ray.cluster_resources()['CPU'] > 0"], env=env, capture_output=True)
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline or head.poll() is not None:
                raise RuntimeError(f"the Ray cluster did not start: {probe.stderr.decode()[-800:]}")
            time.sleep(1)
        yield cluster
    finally:
        # Every process of the cluster (GCS, raylet, agents, workers) is in the head's process
        # group: killed at once (`ray start --block` takes half a minute to stop on SIGTERM).
        os.killpg(head.pid, signal.SIGKILL)
        head.wait()
        shutil.rmtree(root, ignore_errors=True)
