"""Crash points for the resume and fault tests: `AVBENCH_CRASH_AT=<point>[,<point>...]` makes
the process SIGKILL itself when it reaches a named point, exactly as an out-of-memory kill or a
pre-empted job would stop it (no cleanup, no exception handlers). Unset, a crash point does
nothing."""
from __future__ import annotations

import os
import signal

ENV = "AVBENCH_CRASH_AT"


def crash_point(name: str) -> None:
    if name in os.environ.get(ENV, "").split(","):
        os.kill(os.getpid(), signal.SIGKILL)
