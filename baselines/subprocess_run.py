"""Running an upstream or driver process: an argv list (no shell), the checkout as working
directory, a timeout, and its stdout/stderr kept in log files of their own."""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .contract import Contract


@dataclass(frozen=True)
class RunRecord:
    """How one subprocess ended. `returncode` None: killed at the timeout. Seconds."""

    argv: tuple[str, ...]
    returncode: int | None
    wall_s: float
    stdout_log: Path
    stderr_log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        """Why the process did not succeed, in one line naming its stderr log."""
        if self.returncode is None:
            return f"timed out after {self.wall_s:.0f} s (log: {self.stderr_log})"
        return f"exited with code {self.returncode} (log: {self.stderr_log})"


def run_logged(argv: Sequence[str], contract: Contract, log_dir: Path, name: str) -> RunRecord:
    """Run `argv` in the checkout with the contract's environment and timeout; stdout and stderr
    go to `<log_dir>/<name>.stdout.log` and `.stderr.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_log, err_log = log_dir / f"{name}.stdout.log", log_dir / f"{name}.stderr.log"
    start = time.monotonic()
    with open(out_log, "wb") as out, open(err_log, "wb") as err:
        try:
            done = subprocess.run(list(argv), cwd=contract.checkout, env=contract.environment(), stdout=out,
                                  stderr=err, stdin=subprocess.DEVNULL, timeout=contract.timeout, check=False)
            code: int | None = done.returncode
        except subprocess.TimeoutExpired:
            code = None
    return RunRecord(tuple(argv), code, time.monotonic() - start, out_log, err_log)
