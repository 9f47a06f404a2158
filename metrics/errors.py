"""Errors that carry a one-line, user-facing message.

Every error raised for bad input names the file and the problem, so a batch run can record it
per item and the CLI can print it without a traceback.
"""
from __future__ import annotations

from pathlib import Path


class AvbenchError(Exception):
    """Base class of every error avbench reports to a user as one line."""


class InputError(AvbenchError, ValueError):
    """A media or data file cannot be used: `InputError(path, problem)` → "path: problem"."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(problem if path is None else f"{path}: {problem}")


class OutputError(AvbenchError):
    """A file cannot be written (read-only or full file system, no permission ...):
    `OutputError(path, problem)` → "cannot write path: problem"."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"cannot write {path}: {problem}")


class WeightsError(AvbenchError):
    """A network's weight file is missing, corrupt or does not match its registered checksum."""
