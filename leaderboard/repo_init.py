"""`avbench leaderboard init DIR`: a new leaderboard repository (git) that people submit to with
`avbench submit BUNDLE --to REMOTE`, verified by GitHub Actions and published on GitHub Pages.

DIR gets an empty store (`store/entries/`), the workflow, the scripts it calls, a README, a
CONTRIBUTING page and one commit on branch `main` (staged only when git has no identity). The files are written into a temporary
folder beside DIR and renamed into place, so DIR is either absent or complete."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from avbench.metrics.errors import AvbenchError

from .git_repo import REFERENCE, STORE, SUBMISSIONS, git, has_identity
from .store import ENTRIES, atomic_folder

TEMPLATE = "repo_template"
WORKFLOW = ".github/workflows/leaderboard.yml"
# template file -> its path in the repository (package data cannot hold dot-folders portably)
FILES = {"workflow.yml": WORKFLOW, "verify_pr.sh": "scripts/verify_pr.sh", "build_site.sh": "scripts/build_site.sh",
         "README.md": "README.md", "CONTRIBUTING.md": "CONTRIBUTING.md", "gitignore": ".gitignore",
         "gitattributes": ".gitattributes"}
SPEC = "@AVBENCH_SPEC@"


def default_avbench_spec() -> str:
    """The pip requirement of the avbench running now (the workflow verifies with the same)."""
    from avbench.metrics.versions import library_versions

    return f"avbench=={library_versions()['avbench']}"


def init_repository(folder: str | Path, avbench_spec: str | None = None) -> bool:
    """Create the leaderboard repository `folder` (absent or an empty folder; anything else is
    refused, nothing overwritten). `avbench_spec`: what the workflow pip-installs (default: this
    avbench's version). Returns whether the files were committed: without a git identity they are
    staged only (we never commit under a made-up name)."""
    folder = Path(folder).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise AvbenchError(f"{folder}: exists and is not an empty folder; nothing written")
    spec = avbench_spec or default_avbench_spec()
    commit = has_identity(folder.parent if folder.parent.is_dir() else Path.cwd())
    with atomic_folder(folder) as tmp:
        for name, target in FILES.items():
            path = tmp / target
            path.parent.mkdir(parents=True, exist_ok=True)
            text = (resources.files(__package__) / TEMPLATE / name).read_text(encoding="utf-8")
            path.write_text(text.replace(SPEC, spec), encoding="utf-8")
            if path.suffix == ".sh":
                path.chmod(0o755)
        for keep in (tmp / STORE / ENTRIES, tmp / SUBMISSIONS, tmp / REFERENCE):
            keep.mkdir(parents=True)
            (keep / ".gitkeep").touch()
        tmp.chmod(0o755)  # mkdtemp makes it private; a repository folder is not
        git(["init", "--quiet", "--initial-branch", "main"], tmp)
        git(["add", "--all"], tmp)
        if commit:
            git(["commit", "--quiet", "-m", "Leaderboard repository (avbench leaderboard init)"], tmp)
    return commit
