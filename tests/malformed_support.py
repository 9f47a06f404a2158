"""The malformed-input suite's vocabulary (tests/test_malformed_*.py).

Every generated bad input is run through the installed `avbench` in a fresh process, as a user
runs it, and lands in exactly one outcome class:

- ERROR: refused with one clear line naming the file (or key) and the problem, exit status
  non-zero; in a batch, the item's failure record is that one line and the batch goes on;
- WARNED: scored, with a named per-item warning in the outputs;
- SCORED: scored normally, no warning.

Never a traceback, never a silent 0 or NaN. Each test module declares its inputs as `CASES`
(a list of `Case`); tests/test_malformed_suite.py counts them across modules.
"""
from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness_support import run_installed

ERROR, WARNED, SCORED = "error", "warned", "scored"
OUTCOMES = (ERROR, WARNED, SCORED)
AREAS = ("media", "audio", "manifest", "config", "bundle", "run")


@dataclass(frozen=True)
class Case:
    """One generated bad input: `name` says what it is, `area` one of AREAS, `outcome` one of
    OUTCOMES (what avbench must do with it)."""

    name: str
    area: str
    outcome: str

    def __post_init__(self) -> None:
        assert self.area in AREAS and self.outcome in OUTCOMES, self


def avbench(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """The installed `avbench ARGS` in a fresh interpreter."""
    return run_installed(list(args), env=env, cwd=cwd, timeout=timeout)


def assert_no_traceback(done: subprocess.CompletedProcess) -> None:
    for stream in (done.stdout, done.stderr):
        assert "Traceback (most recent call last)" not in stream, stream


def error_lines(done: subprocess.CompletedProcess) -> list[str]:
    """The non-empty stderr lines that are not plug-in or library notices (`avbench: ...` lines
    are warnings, see metrics/plugins.py)."""
    return [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("avbench: ")]


def assert_clear_error(done: subprocess.CompletedProcess, *needles: str) -> str:
    """Refused: non-zero exit, no traceback, and exactly one error line, holding every needle
    (the file's name, the problem). Returns that line."""
    assert_no_traceback(done)
    assert done.returncode != 0, (done.stdout, done.stderr)
    lines = error_lines(done)
    assert len(lines) == 1, lines
    assert all(needle in lines[0] for needle in needles), (needles, lines[0])
    return lines[0]


def assert_clear_record(message: str, *needles: str) -> None:
    """A batch's per-item failure or warning record: one line holding every needle."""
    assert message and "\n" not in message and "Traceback" not in message, message
    assert all(needle in message for needle in needles), (needles, message)


def assert_real_number(value: object) -> None:
    """A reported score: a finite number (a refused item has no score, never 0.0 or NaN in its place)."""
    assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), value
