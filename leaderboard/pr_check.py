"""`avbench leaderboard verify-pr --base REF`: what a leaderboard repository's workflow runs on a
pull request (`scripts/verify_pr.sh`).

A submission's pull request (as `submit --to` makes it) only adds `submissions/<id>.zip` and
`store/entries/<id>/`. The check refuses any other change, then verifies every submitted zip
again with the one `verify.submit` into a scratch copy of the base store, and requires the entry
that gives to equal the pull request's `entry.json` (all but `added_at`) and its stored bundle
files byte for byte: an entry edited by hand, or a bundle that does not verify here, fails.
Nothing in the pull request is executed; bundles are data (see `verify.py`)."""
from __future__ import annotations

import filecmp
import json
import re
import shutil
import tempfile
from pathlib import Path

from avbench.benchmark.run_audit import difference
from avbench.metrics.errors import AvbenchError, InputError

from .git_repo import REFERENCE, STORE, SUBMISSIONS, git
from .store import BUNDLE_DIR, ENTRIES, ENTRY_FILE, Entry, entry_dir
from .verify import SubmitOptions, submit

UNCHECKED = ("added_at",)  # when the submitter's machine added it
_ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"  # an entry id (`store.Entry`): never "..", never a path
SUBMITTABLE_TRUST = ("self-reported", "verified")  # `reference` is for the maintainers' own runs


def submitted_ids(repo: Path, base: str) -> list[str]:
    """The entry ids a pull request submits (its changes from the merge base with `base`); any
    change other than adding or updating `submissions/<id>.zip` and `store/entries/<id>/` fails."""
    changes = git(["diff", "--name-status", "--no-renames", f"{base}...HEAD"], repo, what=f"cannot compare with {base}")
    zips, entries = set(), set()
    for line in changes.splitlines():
        status, path = line.split("\t", 1)
        as_zip = re.fullmatch(rf"{SUBMISSIONS}/({_ID})\.zip", path)
        as_entry = re.fullmatch(rf"{STORE}/{ENTRIES}/({_ID})/.+", path)
        if status not in ("A", "M") or not (as_zip or as_entry):
            raise AvbenchError(f"the pull request {'deletes' if status == 'D' else 'changes'} {path}: a submission "
                               f"only adds {SUBMISSIONS}/<entry id>.zip and {STORE}/{ENTRIES}/<entry id>/")
        (zips if as_zip else entries).add((as_zip or as_entry)[1])
    if not zips:
        raise AvbenchError(f"the pull request adds no {SUBMISSIONS}/<entry id>.zip: nothing to verify")
    for entry_id in sorted(entries ^ zips):
        has, lacks = ((f"{STORE}/{ENTRIES}/{entry_id}/", f"{SUBMISSIONS}/{entry_id}.zip") if entry_id in entries
                      else (f"{SUBMISSIONS}/{entry_id}.zip", f"{STORE}/{ENTRIES}/{entry_id}/"))
        raise AvbenchError(f"the pull request changes {has} without {lacks}")
    return sorted(zips)


def _read_entry(path: Path) -> Entry:
    try:
        return Entry.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AvbenchError) as exc:
        raise InputError(path, f"not a readable leaderboard entry ({exc})") from None


def _same_files(ours: Path, theirs: Path, shown: str) -> None:
    """Every file under `theirs` equals ours, and no file is missing or extra. A link is refused:
    the site build copies a bundle's media, and a link could bring in any file of the machine."""
    def listing(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_symlink() or not p.is_dir())

    for name in listing(theirs):
        if (theirs / name).is_symlink():
            raise AvbenchError(f"{shown}/{name}: a symbolic link; a stored bundle holds plain files only")
    mine, given = listing(ours), listing(theirs)
    for name in sorted(set(mine) ^ set(given)):
        raise AvbenchError(f"{shown}/{name}: {'missing' if name in mine else 'not part of the verified bundle'}")
    for name in mine:
        if not filecmp.cmp(ours / name, theirs / name, shallow=False):
            raise AvbenchError(f"{shown}/{name}: differs from the verified bundle's file")


def verify_pull_request(repo: str | Path, base: str) -> list[Entry]:
    """Verify the submissions of the pull request checked out in `repo` against branch `base`
    (e.g. `origin/main`); returns the verified entries. Raises AvbenchError on the first problem."""
    repo = Path(repo)
    ids = submitted_ids(repo, base)
    with tempfile.TemporaryDirectory(prefix="avbench-verify-pr-") as tmp:
        scratch = Path(tmp) / STORE
        shutil.copytree(repo / STORE, scratch, symlinks=True)  # the base store: nothing else changed
        for entry_id in ids:
            shutil.rmtree(entry_dir(scratch, entry_id), ignore_errors=True)
        verified = []
        for entry_id in ids:
            shown = f"{STORE}/{ENTRIES}/{entry_id}"
            claimed = _read_entry(repo / shown / ENTRY_FILE)
            if claimed.trust not in SUBMITTABLE_TRUST:
                raise AvbenchError(f"{shown}/{ENTRY_FILE}: trust {claimed.trust} cannot be submitted (only "
                                   f"{', '.join(SUBMITTABLE_TRUST)})")
            options = SubmitOptions(trust=claimed.trust, reference_dir=repo / REFERENCE,
                                    allow_unverified_reference=bool(claimed.extra.get("unverified")))
            entry = submit(repo / SUBMISSIONS / f"{entry_id}.zip", scratch, options)
            if entry.entry_id != entry_id:
                raise AvbenchError(f"{SUBMISSIONS}/{entry_id}.zip verifies as entry {entry.entry_id}, not {entry_id}")
            ours, theirs = ({k: v for k, v in e.to_dict().items() if k not in UNCHECKED} for e in (entry, claimed))
            found = difference(ours, theirs)
            if found:
                raise AvbenchError(f"{shown}/{ENTRY_FILE}: {found[0]} is {found[2]}; verified here it is {found[1]}")
            _same_files(entry_dir(scratch, entry_id) / BUNDLE_DIR, repo / shown / BUNDLE_DIR, f"{shown}/{BUNDLE_DIR}")
            verified.append(entry)
    return verified
