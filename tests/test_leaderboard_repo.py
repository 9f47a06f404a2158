"""A leaderboard people submit to, end to end with a local bare repository as the remote:
`avbench leaderboard init`, `avbench pack --items` of a custom benchmark we do not have built in,
`avbench submit --to` (a branch with the entry and the zip), the workflow's pull-request steps read
from its YAML and run in a checkout of that branch (a genuine submission passes; an edited entry or
a change elsewhere fails), the site-build step, and each failure of `submit --to` as one line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from avbench.benchmark.cli import main
from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.generate import generate
from avbench.benchmark.scoring.run import score_run
from avbench.benchmark.synthetic_benchmark import write_benchmark
from avbench.leaderboard.bundle import pack
from avbench.leaderboard.git_repo import pull_request_link
from avbench.leaderboard.verify import SubmissionRejected, submit
from avbench.metrics.errors import InputError
from leaderboard_support import bundle_members, run_workflow_job, workflow, write_bundle

IDENTITY = {"GIT_AUTHOR_NAME": "Ada Submitter", "GIT_AUTHOR_EMAIL": "ada@example.org",
            "GIT_COMMITTER_NAME": "Ada Submitter", "GIT_COMMITTER_EMAIL": "ada@example.org"}


def _env(home: Path, identity: bool = True) -> dict[str, str]:
    """The test's environment for a fresh `avbench` or `git`: no global or system git config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
    return {**env, **IDENTITY} if identity else env


def _run(args: list[str], cwd: Path, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert (done.returncode == 0) is ok, (args, done.stdout, done.stderr)
    return done


def _one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _fails(args: list[str], capsys) -> str:
    """`avbench ARGS` in this process (the CLI's own error path): its one line on stderr."""
    capsys.readouterr()
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A custom benchmark `my-clips` (3 synthetic clips, not one of ours), its real clips scored
    with AV-Align and packed with its items; a leaderboard repository pushed to a bare remote."""
    root = tmp_path_factory.mktemp("board")
    home = root / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.getbasetemp() / "avbench-cache"
        env = {**_env(home), "AVBENCH_CACHE": str(cache), "AVBENCH_OFFLINE": "1"}
        for key in ("AVBENCH_CACHE", "AVBENCH_OFFLINE", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", *IDENTITY):
            mp.setenv(key, env[key])  # the same for the git this process runs
        definition = write_benchmark(root / "my-clips", 3, "my-clips")
        bench = load_benchmark(definition)
        generate("real", bench, root / "gen", progress=False)
        score_run(bench, root / "gen", root / "run", metric_names=["av_align"], workers=1, progress=False)
        card = root / "card.yaml"
        card.write_text(yaml.safe_dump({"name": "Clip Copier 1.0", "type": "open"}))
        assert main(["pack", str(root / "run"), "--model-card", str(card), "--items",
                     str(root / "my-clips" / "items.csv"), "--out", str(root / "copier.zip")]) == 0
        _run(["avbench", "leaderboard", "init", "board"], root, env)
        _run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", "remote.git"], root, env)
        _run(["git", "-C", "board", "push", "--quiet", str(root / "remote.git"), "main"], root, env)
        yield SimpleNamespace(root=root, env=env, home=home, bench=bench, remote=f"file://{root / 'remote.git'}",
                              bundle=root / "copier.zip", mp=mp)


def _run_job(lab, checkout: Path, job: str, ok: bool = True) -> list[subprocess.CompletedProcess]:
    done = run_workflow_job(checkout, job, lab.env)
    assert (all(d.returncode == 0 for d in done)) is ok, [(d.stdout, d.stderr) for d in done]
    return done


def _checkout(lab, name: str, branch: str) -> Path:
    """A fresh clone of the remote with `branch` checked out (origin/main known, as on a PR)."""
    path = lab.root / name
    _run(["git", "clone", "--quiet", lab.remote, str(path)], lab.root, lab.env)
    _run(["git", "checkout", "--quiet", branch], path, lab.env)
    return path


def test_init_writes_a_repository_with_the_workflow_and_refuses_a_used_folder(lab, capsys):
    board = lab.root / "board"
    tracked = _run(["git", "ls-files"], board, lab.env).stdout.split()
    assert {".github/workflows/leaderboard.yml", "scripts/verify_pr.sh", "scripts/build_site.sh", "README.md",
            "CONTRIBUTING.md", "store/entries/.gitkeep", "reference/.gitkeep"} <= set(tracked)
    flow = workflow(board)
    verify, site = flow["jobs"]["verify"], flow["jobs"]["site"]
    assert "pull_request" in flow[True] and "push" in flow[True]  # YAML 1.1 reads the key `on` as True
    assert any("scripts/verify_pr.sh" in s.get("run", "") for s in verify["steps"])
    assert site["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    uses = [s.get("uses", "").split("@")[0] for s in site["steps"]]
    assert uses[-2:] == ["actions/upload-pages-artifact", "actions/deploy-pages"]
    assert next(s for s in site["steps"] if "upload-pages" in s.get("uses", ""))["with"]["path"] == "_site"
    assert any("scripts/build_site.sh _site" in s.get("run", "") for s in site["steps"])
    contributing = (board / "CONTRIBUTING.md").read_text()
    assert "avbench submit" in contributing and "--to" in contributing and "--items" in contributing
    before = sorted(p.name for p in board.iterdir())
    line = _fails(["leaderboard", "init", str(board)], capsys)
    assert "not an empty folder; nothing written" in line and sorted(p.name for p in board.iterdir()) == before


def test_submit_to_a_remote_then_the_workflow_verifies_and_builds_the_site(lab, capsys):
    done = _run(["avbench", "submit", str(lab.bundle), "--to", lab.remote], lab.root, lab.env)
    branches = _run(["git", "branch", "--list", "submit/*"], lab.root / "remote.git", lab.env).stdout.split()
    (branch,) = branches
    entry_id = branch.removeprefix("submit/")
    assert entry_id.startswith("Clip-Copier-1.0--my-clips--")
    assert f"pushed branch {branch} to {lab.remote}: open a pull request" in done.stdout  # not a GitHub remote
    files = _run(["git", "ls-tree", "-r", "--name-only", branch], lab.root / "remote.git", lab.env).stdout.split()
    assert f"submissions/{entry_id}.zip" in files and f"store/entries/{entry_id}/entry.json" in files
    assert f"store/entries/{entry_id}/bundle/items.csv" in files
    author = _run(["git", "log", "-1", "--format=%an <%ae>", branch], lab.root / "remote.git", lab.env).stdout.strip()
    assert author == "Ada Submitter <ada@example.org>"

    pr = _checkout(lab, "pr", branch)
    entry = json.loads((pr / "store" / "entries" / entry_id / "entry.json").read_text())
    assert entry["trust"] == "self-reported" and entry["extra"]["adapter"] == "real"
    assert entry["extra"]["counts"] == {"expected": 3, "listed": 3, "scored": 3, "failed": 0}
    (check,) = _run_job(lab, pr, "verify")
    assert f"verified 1 submission(s): {entry_id}" in check.stdout
    _run_job(lab, pr, "site")
    site = pr / "_site"
    assert '<script src="data.js"></script>' in (site / "index.html").read_text()
    data = json.loads((site / "leaderboard.json").read_text())
    rows = [r for b in data["benchmarks"] if b["name"] == "my-clips" for r in b["rows"]]
    assert [(r["entry_id"], r["model"]["name"], r["reference"]) for r in rows] == [(entry_id, "Clip Copier 1.0", None)]
    assert "Clip Copier 1.0" in (site / "data.js").read_text()

    # an entry edited by hand after submitting, or a change outside the submission, fails the check
    path = pr / "store" / "entries" / entry_id / "entry.json"
    edited = json.loads(path.read_text())
    edited["scores"]["av_align"]["value"] += 0.05
    path.write_text(json.dumps(edited, indent=2, sort_keys=True) + "\n")
    _run(["git", "commit", "--quiet", "-am", "better number"], pr, lab.env)
    line = _fails(["leaderboard", "verify-pr", "--repo", str(pr), "--base", "origin/main"], capsys)
    assert "scores.av_align.value is" in line and "verified here it is" in line
    _run(["git", "reset", "--quiet", "--hard", "HEAD~1"], pr, lab.env)
    (pr / "README.md").write_text("mine now\n")
    _run(["git", "commit", "--quiet", "-am", "readme"], pr, lab.env)
    line = _fails(["leaderboard", "verify-pr", "--repo", str(pr), "--base", "origin/main"], capsys)
    assert "the pull request changes README.md" in line
    _run(["git", "reset", "--quiet", "--hard", "HEAD~1"], pr, lab.env)
    linked = pr / "store" / "entries" / entry_id / "bundle" / "results.json"  # a link the site build would follow
    linked.unlink()
    linked.symlink_to("/etc/hostname")
    _run(["git", "commit", "--quiet", "-am", "link"], pr, lab.env)
    line = _fails(["leaderboard", "verify-pr", "--repo", str(pr), "--base", "origin/main"], capsys)
    assert f"store/entries/{entry_id}/bundle/results.json: a symbolic link" in line

    # merged: submitting the same bundle again names the entry and suggests --replace
    _run(["git", "reset", "--quiet", "--hard", "HEAD~1"], pr, lab.env)
    _run(["git", "push", "--quiet", "origin", "HEAD:main"], pr, lab.env)
    line = _fails(["submit", str(lab.bundle), "--to", lab.remote], capsys)
    assert f"already holds entry {entry_id}; resubmit with --replace" in line
    # a remote that refuses pushes (here a hook; on GitHub, no write access)
    hook = lab.root / "remote.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed' >&2\nexit 1\n")
    hook.chmod(0o755)
    line = _fails(["submit", str(lab.bundle), "--to", lab.remote, "--replace"], capsys)
    assert f"rejected the push of {branch}" in line
    hook.unlink()


def test_submit_to_fails_in_one_line(lab, capsys, monkeypatch):
    missing = f"file://{lab.root / 'nowhere.git'}"
    assert f"cannot clone {missing}" in _fails(["submit", str(lab.bundle), "--to", missing], capsys)
    plain = lab.root / "plain.git"
    _run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", str(plain)], lab.root, lab.env)
    _run(["git", "-C", str(lab.root / "board"), "push", "--quiet", str(plain), "main:other"], lab.root, lab.env)
    line = _fails(["submit", str(lab.bundle), "--to", str(plain)], capsys)  # its main branch is empty
    assert "not a leaderboard repository (no store/ folder" in line
    for key in IDENTITY:
        monkeypatch.delenv(key)
    line = _fails(["submit", str(lab.bundle), "--to", str(lab.root / "board")], capsys)
    assert "git has no identity" in line and "git config --global user.email" in line
    assert main(["leaderboard", "init", str(lab.root / "anonymous")]) == 0  # staged, never committed as someone
    assert "files of" in capsys.readouterr().out
    staged = _run(["git", "status", "--porcelain"], lab.root / "anonymous", lab.env).stdout.splitlines()
    assert "A  .github/workflows/leaderboard.yml" in staged
    assert _run(["git", "rev-parse", "--verify", "HEAD"], lab.root / "anonymous", lab.env, ok=False).returncode


def test_pull_request_links():
    assert pull_request_link("https://github.com/acme/a2v-board.git", "main", "submit/x--y--0123456789") == (
        "https://github.com/acme/a2v-board/compare/main...submit/x--y--0123456789?expand=1")
    assert pull_request_link("git@github.com:acme/a2v-board.git", "trunk", "submit/e") == (
        "https://github.com/acme/a2v-board/compare/trunk...submit/e?expand=1")
    assert pull_request_link("https://gitlab.com/acme/a2v-board.git", "main", "submit/e") is None
    assert pull_request_link("/srv/git/board.git", "main", "submit/e") is None


def test_a_custom_benchmark_travels_with_its_items(lab, tmp_path):
    with pytest.raises(InputError, match="not the items file the run scored"):
        pack(lab.root / "run", tmp_path / "x.zip", items=lab.root / "gen" / "manifest.csv")
    members = bundle_members(lab.bundle)
    without = write_bundle(tmp_path / "without.zip",
                           {k: v for k, v in members.items() if k not in ("items.csv", "CHECKSUMS")})
    with pytest.raises(SubmissionRejected, match="pack the run with --items CSV"):
        submit(without, tmp_path / "store")
    lines = members["items.csv"].decode().splitlines()
    swapped = write_bundle(tmp_path / "swapped.zip", {**{k: v for k, v in members.items() if k != "CHECKSUMS"},
                                                     "items.csv": ("\n".join(lines[:-1]) + "\n").encode()})
    with pytest.raises(SubmissionRejected, match="items.csv .* is not the items file the run scored"):
        submit(swapped, tmp_path / "store")
    assert not (tmp_path / "store").exists()
