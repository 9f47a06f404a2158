"""`avbench submit BUNDLE --to GIT_REMOTE`: the one `submit` path, run in a clone of a leaderboard
repository, its result pushed as a branch for a pull request.

The remote is cloned (shallow) into a temporary folder; the bundle is verified and added to the
clone's store by `verify.submit`, and the zip itself goes to `submissions/<entry_id>.zip` so the
repository's workflow can verify it again; both are committed on branch `submit/<entry_id>`
(with the submitter's git identity) and pushed. Nothing is left on this machine."""
from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from avbench.metrics.errors import AvbenchError, InputError

from .git_repo import BRANCH_PREFIX, REFERENCE, STORE, SUBMISSIONS, check_identity, git, pull_request_link
from .store import Entry, EntryExists
from .verify import SubmitOptions, submit


@dataclass(frozen=True)
class RemoteSubmission:
    entry: Entry
    branch: str
    base: str  # the remote's default branch, which the pull request goes into
    link: str | None  # GitHub's page that opens the pull request; None for other remotes


def submit_to(bundle: str | Path, remote: str, options: SubmitOptions, replace: bool = False) -> RemoteSubmission:
    """Verify `bundle`, add it to the store of the leaderboard repository at `remote` on a new
    branch, and push that branch. Raises AvbenchError (one line) when the remote cannot be
    cloned, is no leaderboard repository, holds the entry already, or rejects the push."""
    bundle = Path(bundle).resolve()
    if not bundle.is_file():
        raise InputError(bundle, "no such bundle file")
    with tempfile.TemporaryDirectory(prefix="avbench-submit-to-") as tmp:
        clone = Path(tmp) / "leaderboard"
        git(["clone", "--quiet", "--depth", "1", remote, str(clone)], what=f"cannot clone {remote}")
        if not (clone / STORE).is_dir():
            raise AvbenchError(f"{remote}: not a leaderboard repository (no {STORE}/ folder; create one with "
                               "`avbench leaderboard init`)")
        check_identity(clone)
        base = git(["rev-parse", "--abbrev-ref", "HEAD"], clone).strip()
        if options.reference_dir is None:  # the repository's statistics, as its workflow will use them
            options = dataclasses.replace(options, reference_dir=clone / REFERENCE)
        try:
            entry = submit(bundle, clone / STORE, options, replace=replace)
        except EntryExists as exc:
            raise AvbenchError(f"{remote} already holds entry {exc.entry_id}; resubmit with --replace") from None
        branch = BRANCH_PREFIX + entry.entry_id
        (clone / SUBMISSIONS).mkdir(exist_ok=True)
        shutil.copyfile(bundle, clone / SUBMISSIONS / f"{entry.entry_id}.zip")
        git(["checkout", "--quiet", "-b", branch], clone)
        git(["add", "--all", STORE, SUBMISSIONS], clone)
        message = (f"Submit {entry.model['name']} on {entry.benchmark}\n\n"
                   f"Entry {entry.entry_id} ({entry.trust}), {entry.source}.")
        git(["commit", "--quiet", "-m", message], clone)
        git(["push", "--quiet", "origin", f"{branch}:{branch}"], clone, what=f"{remote} rejected the push of {branch}")
    return RemoteSubmission(entry, branch, base, pull_request_link(remote, base, branch))
