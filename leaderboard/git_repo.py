"""The git side of a leaderboard repository (`leaderboard init`, `submit --to`, `leaderboard
verify-pr`): the `git` CLI run as a subprocess, each failure one line, and what a GitHub remote's
pull-request link looks like.

A leaderboard repository holds the store under `store/` (`store.py`'s layout), each submitted
bundle zip as `submissions/<entry_id>.zip`, the maintainers' reference statistics of the set
metrics as `reference/<benchmark>/<metric>.npz`, the workflow under `.github/workflows/` and the
scripts it calls under `scripts/`."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from avbench.metrics.errors import AvbenchError

STORE = "store"
SUBMISSIONS = "submissions"
REFERENCE = "reference"  # reference/<benchmark>/<metric>.npz: what FVD, FAD, ... are verified against
BRANCH_PREFIX = "submit/"
_GITHUB = re.compile(r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)([^/]+)/([^/]+?)(?:\.git)?/?$")


def git(args: list[str], cwd: str | Path | None = None, what: str = "git") -> str:
    """Run `git ARGS` in `cwd`; its stdout. A failure raises AvbenchError: `what` and git's last line."""
    if shutil.which("git") is None:
        raise AvbenchError("git is not installed (or not on PATH): the leaderboard repository needs it")
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise AvbenchError(f"{what}: {lines[-1] if lines else f'git {args[0]} exited with {done.returncode}'}")
    return done.stdout


def has_identity(cwd: Path) -> bool:
    """Whether git has an author and a committer identity to commit with in `cwd`."""
    try:
        for who in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
            git(["var", who], cwd)
    except AvbenchError:
        return False
    return True


def check_identity(cwd: Path) -> None:
    """Refuse before committing when git has no author or committer identity (a submission's
    commit carries the submitter's name, never one we make up)."""
    if not has_identity(cwd):
        raise AvbenchError("git has no identity to commit with (a submission's commit carries yours): run "
                           "`git config --global user.name \"Your Name\"` and "
                           "`git config --global user.email you@example.org`")


def pull_request_link(remote: str, base: str, branch: str) -> str | None:
    """The GitHub page that opens a pull request of `branch` into `base`, or None when `remote`
    is not a GitHub repository URL."""
    found = _GITHUB.match(remote.strip())
    if found is None:
        return None
    owner, repo = found.groups()
    return f"https://github.com/{owner}/{repo}/compare/{base}...{branch}?expand=1"
