"""The wrapper contract: which upstream checkout, interpreter, checkpoints and device a baseline
runs with, and the options a user passes to set them (`--option key=value`)."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError

REQUIRED = object()  # marks an option without a default


@dataclass(frozen=True)
class Option:
    """One `--option` of a baseline: its default (REQUIRED: none) and what it means."""

    default: Any
    help: str


def parse_options(model: str, given: dict[str, Any], known: dict[str, Option]) -> dict[str, Any]:
    """`given` completed with defaults; unknown and missing options are one error listing all."""
    unknown = sorted(set(given) - set(known))
    missing = sorted(k for k, o in known.items() if o.default is REQUIRED and given.get(k) in (None, ""))
    problems = []
    if unknown:
        problems.append(f"unknown option(s) {', '.join(unknown)}")
    if missing:
        problems.append(f"missing option(s) {', '.join(missing)}")
    if problems:
        raise AvbenchError(f"model `{model}`: {'; '.join(problems)} (options: {', '.join(sorted(known))})")
    return {k: given.get(k, o.default) for k, o in known.items()}


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint file the upstream loads. `expected_sha256` None: no published hash and none
    given; the measured hash is then recorded as unverified."""

    role: str
    path: Path
    expected_sha256: str | None = None


@dataclass(frozen=True)
class Contract:
    """Everything a baseline run depends on outside avbench.

    `device`: a physical GPU index ("0") or "cpu" (tests and debugging only); `timeout`:
    seconds one subprocess may run before it is killed.
    """

    model: str
    checkout: Path
    python: Path
    checkpoints: tuple[Checkpoint, ...]
    device: str
    timeout: float

    @property
    def on_gpu(self) -> bool:
        return self.device != "cpu"

    def environment(self) -> dict[str, str]:
        """The subprocess environment: ours, with the checkout first on PYTHONPATH and only the
        chosen GPU visible (the drivers then use `cuda`)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.checkout.resolve())
        env["PYTHONUNBUFFERED"] = "1"
        if self.on_gpu:
            env["CUDA_VISIBLE_DEVICES"] = self.device
        return env

    @property
    def torch_device(self) -> str:
        return "cuda" if self.on_gpu else "cpu"


def parse_device(value: Any) -> str:
    """A GPU index or "cpu"."""
    text = str(value).strip().lower()
    if text == "cpu" or text.isdigit():
        return text
    raise AvbenchError(f"device must be a GPU index (0, 1, ...) or cpu, not {value!r}")


def git_state(checkout: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether the work tree has uncommitted changes) of the upstream checkout;
    (None, None) when it is not a git checkout."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    if head is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return head.strip(), None if status is None else bool(status.strip())
