"""Crash points for the resume tests: `AVBENCH_CRASH_AT=<point>` makes the process SIGKILL
itself when it reaches that named point, exactly as an out-of-memory kill or a pre-empted job
would stop it (no cleanup, no exception handlers). Unset, a crash point does nothing."""
from __future__ import annotations

import os
import signal

ENV = "AVBENCH_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
