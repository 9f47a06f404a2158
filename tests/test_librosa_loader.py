"""librosa's first import in a process holds the machine-wide lock of its numba cache, so
processes starting at once on a cold cache (a Ray node's workers) compile one at a time: without
the lock, two of them could write one cache entry with different code, and every later process
loading it crashed (seen here: 1 run in 3 of `--backend ray` on a fresh cache, and every run
after it, local ones too; 0 in 5 with the lock). Which interleaving corrupts the cache is a
matter of timing, so the test checks the mechanism: a first import waits while the lock is held."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from filelock import FileLock

SCRIPT = ("from avbench.metrics.librosa_loader import load_librosa\n"
          "import numpy as np\n"
          "librosa = load_librosa()\n"
          "e = np.abs(np.random.default_rng(0).standard_normal(400)).astype(np.float32)\n"
          "print(len(librosa.onset.onset_detect(onset_envelope=e, sr=22050)))\n")


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_the_first_import_waits_for_the_lock():
    from avbench.metrics.librosa_loader import lock_path

    with FileLock(str(lock_path())):  # the lock of this process's numba cache (conftest: one per test process)
        held = _start(dict(os.environ))
        time.sleep(3)
        assert held.poll() is None  # waiting for the lock, not importing
    out, err = held.communicate(timeout=300)
    assert held.returncode == 0, err
    assert int(out) >= 0  # then it imports and runs
