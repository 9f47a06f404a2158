"""Every command the README and the documentation site (`docs/`, the pages of mkdocs.yml's nav, in
its order after the README) document, run as a user runs it: each shell command of their `bash`
blocks and each `python` block in a fresh process (the installed `avbench`, offline), in one
working folder that the commands share as a user's would, on generated media, with random-weight
files in the canonical layouts where weights are needed. A command succeeds, or fails with the
message the page documents for it; a block a page marks as not runnable here (an install,
downloaded weights, a dataset, another project's checkout, a full-size measurement) is listed by
name with its reason, never passed over silently, and a fence this test would not read (indented,
`~~~`, longer than three backticks) fails it. The site itself is built with `mkdocs build
--strict` (a broken link or a page missing from the nav fails it).

One thing in the commands' processes is not as a user has it: the Inception weights file (registry
entries `inception-torch-fidelity` and `inception-pytorch-fid`) has a published sha256 and the
VGGish file's torch.hub name a sha256 prefix, and avbench refuses a file that does not match
them, as no random file can. So every command's process starts with a `sitecustomize.py` (on the
commands' PYTHONPATH) that registers the random files' sha256 for `inception-torch-fidelity` and
`vggish`, the entries the documented commands use. Every other weights file has no published
sha256 and is used as a user's copy is (its measured sha256 recorded)."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.generate import generate
from avbench.benchmark.scoring.run import score_run
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics import weights
from avbench.metrics.fileio import sha256_file
from canonical_i3d import write_styleganv_archive
from harness_support import write_c3d_files
from leaderboard_support import run_workflow_job
from random_networks import NETWORKS, random_state_dict, write_wav2clip_checkpoint

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")]

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = re.compile(r"<!-- not run by the docs test: (?P<reason>.+?) -->")
FENCE = re.compile(r"^\s*(```|~~~)")  # any line that could open or close a code block
# The blocks the pages mark as not runnable here, by their first line.
EXPECTED_NOT_RUN = {
    "python3 -m pip install torch==2.13.0 && python3 -m pip install -e . && avbench demo",
    'python3 -m pip install -q torch==2.13.0 && python3 -m pip install -q -e ".[test,ray]" && python3 -m pytest -q',
    'python3 -m pip install -e ".[ray]"        # from a clone; `pip install "avbench[ray]"` from a package index',
    "export AVBENCH_CACHE=/shared/avbench-cache AVBENCH_WEIGHTS=/shared/avbench-weights AVBENCH_OFFLINE=1",
    "#!/bin/bash",
    "#SBATCH --array=0-31 --cpus-per-task=16",
    "avbench validity --out docs/validity/synthetic --ablation",
    "python benchmarks/av_align_speed.py     # defaults: --clips 20 --max-frames 120 --long-seconds 120",
    "avbench validate --benchmark landscape --data-root /data/landscape          # your dataset copy",
    "python benchmarks/frechet_speed.py      # defaults: --dim 2048 --samples 10000 --batches 1,4,16 --repeats 3",
    "python benchmarks/torch_flow.py         # defaults: --pairs 8 --batch 4 --gpu-batch 32 --clips 10 --max-megapixels 100",
    "avbench pack runs/my-model --model-card card.yaml --out my-model.zip [--with-media]",
    "python3 -m pip install torch   # a CUDA build on a GPU machine",
    "# audio only (the paper's Table 1): 24 frames, 12 fps, 384x384, seed 0",
    "# TATS on AudioSet-Drums, driver mode",
    'avbench score my-videos/ --benchmark vggsound --name "My Model"',
    "yt-dlp -a landscape-urls.txt -P ~/downloads/landscape -o '%(id)s.%(ext)s' \\",
    "avbench data ids landscape --sections | while IFS=$'\\t' read -r item url start end; do",
    "avbench data prepare landscape --source ~/downloads/landscape --root /data/landscape",
    "git -C my-board remote add origin https://github.com/OWNER/my-board.git",
    "avbench pack runs/my-model --model-card card.yaml --out my-model.zip",
    "avbench weights download fvd fad clipsim",
    "avbench score --benchmark vggsound --inputs runs/gen --out runs/scored --weights i3d-styleganv=/data/i3d_torchscript.pt",
    "export AVBENCH_WEIGHTS=/shared/avbench/weights HF_HUB_CACHE=/shared/hf/hub",
}
# What the test runs: the shell commands of the unmarked bash blocks, and the python blocks.
RUNNABLE_COMMANDS, PYTHON_BLOCKS = 47, 1
# Commands whose documented outcome is a failure: (exit code, what the output says).
DOCUMENTED_FAILURES = {"avbench weights verify": (1, "MISSING"), "avbench weights verify fvd": (1, "MISSING")}
CLIP_MODELS = ("openai/clip-vit-base-patch32", "openai/clip-vit-large-patch14")
README_REMOTE = "https://github.com/OWNER/av-leaderboard.git"  # the leaderboard the README's quick start submits to


def pages() -> list[Path]:
    """The README, then the site's pages in the order of mkdocs.yml's nav."""
    def walk(nav) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, dict):
            return [page for value in nav.values() for page in walk(value)]
        return [page for entry in nav for page in walk(entry)]

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return [ROOT / "README.md"] + [ROOT / config["docs_dir"] / page for page in walk(config["nav"])]


@dataclasses.dataclass
class Block:
    page: Path
    language: str
    text: str
    line: int
    not_run: str | None  # why the page says it is not run here

    @property
    def first(self) -> str:
        return self.text.splitlines()[0]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)} line {self.line}"


def page_blocks(page: Path) -> list[Block]:
    """A page's fenced code blocks: ```` ```lang ```` at the start of a line up to a line that
    is exactly ```` ``` ````. Any other line that looks like a fence stops the test, so that no
    block can escape it by a form this reader does not know."""
    blocks, lines = [], page.read_text(encoding="utf-8").splitlines()
    name = page.relative_to(ROOT)
    i = 0
    while i < len(lines):
        match = re.match(r"^```(\w*)$", lines[i])
        if not match:
            assert not FENCE.match(lines[i]), f"{name} line {i + 1}: a fence this test does not read: {lines[i]!r}"
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and lines[i] != "```":
            assert not FENCE.match(lines[i]), f"{name} line {i + 1}: a fence this test does not read: {lines[i]!r}"
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"{name} line {start + 1}: the block is never closed"
        before = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        reason = NOT_RUN.match(before)
        blocks.append(Block(page, match.group(1), "\n".join(body), start + 1, reason and reason.group("reason")))
        i += 1
    return blocks


def doc_blocks() -> list[Block]:
    return [block for page in pages() for block in page_blocks(page)]


def commands(script: str) -> list[str]:
    """The shell commands of a block: backslash continuations joined, a `for ...; do` loop up to
    its `done` kept whole, comment lines and blank lines dropped."""
    out, current, depth = [], "", 0
    for line in script.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if re.match(r"^\s*(for|while|if)\b", line):
            depth += 1
        if re.match(r"^\s*(done|fi)\b", line):
            depth -= 1
        if not line.endswith("\\") and depth == 0:
            out.append(current.strip())
            current = ""
    return out


def _write_set(folder: Path, shift: int, in_container: bool = False) -> None:
    """Four clips of 1 s; `shift` frames moves the events (and the texture's seed)."""
    for i in range(4):
        write_clip(SyntheticClip(name=f"clip{i}", n_frames=24, width=128, height=96, seed=i + 10 * shift,
                                 event_frames=tuple(k + shift for k in (4, 11, 17)), audio_in_container=in_container),
                   folder)


def _install_clip(hub: Path, repo_id: str, model: Path) -> None:
    """A saved model in the Hugging Face cache as if downloaded from the Hub under `repo_id`."""
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(model, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)


def _write_model_videos(scratch: Path, folder: Path) -> None:
    """A model's videos for the tiny benchmark as a user has them: a plain folder of
    `<item_id>.mp4` with same-stem wavs (the `shifted` control's output, without its run files)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(scratch / "cache"))
        generate("shifted", load_benchmark("synthetic:tiny"), scratch / "gen-shifted", progress=False)
    folder.mkdir()
    for path in sorted((scratch / "gen-shifted").glob("*.mp4")) + sorted((scratch / "gen-shifted").glob("*.wav")):
        shutil.copy(path, folder / path.name)


def _leaderboard_remote(root: Path, env: dict[str, str]) -> dict[str, str]:
    """The leaderboard the README submits to: `avbench leaderboard init`, pushed to a bare
    repository (`root/leaderboard.git`) that git reaches for README_REMOTE (a git config of the
    commands' own, with a committer identity). Returns the environment that says so."""
    gitconfig = root / "gitconfig"
    gitconfig.write_text(f'[user]\n\tname = A Researcher\n\temail = researcher@example.org\n'
                         f'[url "file://{root / "leaderboard.git"}"]\n\tinsteadOf = {README_REMOTE}\n')
    git_env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    run = {"env": {**env, **git_env}, "check": True, "capture_output": True, "timeout": 300}
    subprocess.run(["avbench", "leaderboard", "init", str(root / "board")], **run)
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", str(root / "leaderboard.git")], **run)
    subprocess.run(["git", "-C", str(root / "board"), "push", "--quiet", README_REMOTE, "main"], **run)
    return git_env


def _write_finished_runs(scratch: Path, runs: Path, names: tuple[str, ...]) -> None:
    """Finished runs (results.json and all) under `runs/<name>`, as a user's runs of the paper's
    models would be there: the tiny benchmark's `real` control scored with AV-Align."""
    bench = load_benchmark("synthetic:tiny")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(scratch / "cache"))
        generate("real", bench, scratch / "gen", progress=False)
        score_run(bench, scratch / "gen", scratch / "run", metric_names=["av_align"], workers=1, progress=False)
    for name in names:
        shutil.copytree(scratch / "run", runs / name)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, tiny_clip_dir):
    """A user's working folder in a clone: `generated/` and `real/` (videos with same-stem wavs),
    `my-videos/` (a model's videos for the tiny benchmark, named by item id),
    `clips/` (videos with audio tracks), `a.mp4`/`b.mp4` with `wavs/`, `pairs.csv`, `labels.csv`,
    finished runs `runs/tempotokens` and `runs/mmd`, the repository's `tests/data/media`; the
    weights folder, a Hugging Face cache and the process environment the commands run with."""
    root = tmp_path_factory.mktemp("readme")
    work = root / "work"
    _write_set(work / "real", 0)
    _write_set(work / "generated", 2)
    _write_set(work / "clips", 0, in_container=True)
    for name in ("a", "b"):
        video, audio = write_clip(SyntheticClip(name=name, n_frames=24, width=128, height=96, seed=7), root / "ab")
        shutil.move(video, work / video.name)
        (work / "wavs").mkdir(exist_ok=True)
        shutil.move(audio, work / "wavs" / audio.name)
    (work / "pairs.csv").write_text("sample_id,video_path,audio_path\n" + "".join(
        f"clip{i},generated/clip{i}.mp4,generated/clip{i}.wav\n" for i in range(4)))
    (work / "labels.csv").write_text("stem,label\nclip0,dog barking\nclip1,rain\nclip2,dog barking\nclip3,drums\n")
    (work / "tests" / "data").mkdir(parents=True)  # the pages' clone-relative paths (the real media)
    (work / "tests" / "data" / "media").symlink_to(ROOT / "tests" / "data" / "media")

    folder = root / "weights"  # random weights in the canonical layouts, where avbench looks for them
    folder.mkdir()
    write_styleganv_archive(folder / weights.get_spec("i3d-styleganv").filename)
    for seed, name in enumerate(("inception-torch-fidelity", "vggish")):
        torch.save(random_state_dict(NETWORKS[name](), seed), folder / weights.get_spec(name).filename)
    write_c3d_files(folder)
    write_wav2clip_checkpoint(folder / weights.get_spec("wav2clip").filename)
    for repo_id in CLIP_MODELS:
        _install_clip(root / "hub", repo_id, tiny_clip_dir)
    _write_finished_runs(root / "finished", work / "runs", ("tempotokens", "mmd"))
    _write_model_videos(root / "finished", work / "my-videos")
    # The Inception file's published sha256 and the VGGish name's prefix, which no random file can
    # match: each command's process registers the random files' sha256 instead (see the module docstring).
    site = root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import dataclasses\nfrom avbench.metrics import weights\n" + "".join(
        f"spec = weights.get_spec({name!r})\nweights._REGISTRY[spec.name] = dataclasses.replace(spec, "
        f"sha256={sha256_file(folder / weights.get_spec(name).filename)!r})\n"
        for name in ("inception-torch-fidelity", "vggish")))
    env = {**os.environ, "AVBENCH_CACHE": str(root / "cache"), "AVBENCH_WEIGHTS": str(folder), "AVBENCH_OFFLINE": "1",
           "HF_HUB_CACHE": str(root / "hub"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(site), "MPLBACKEND": "Agg",
           "RAY_AUTH_MODE": "disabled",  # the Ray cluster a command starts writes no token into the home folder
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.update(_leaderboard_remote(root, env))
    return work, env


def test_every_block_is_run_or_marked_with_a_reason():
    blocks = doc_blocks()
    # bash and python blocks are commands; a block of another language or none is text (a diagram, a config)
    assert {b.language for b in blocks} <= {"bash", "python", "toml", "text", ""}
    not_run = {b.first: b.not_run for b in blocks if b.not_run}
    assert set(not_run) == EXPECTED_NOT_RUN and len(not_run) == sum(1 for b in blocks if b.not_run), \
        set(not_run) ^ EXPECTED_NOT_RUN
    assert all(len(reason) > 10 for reason in not_run.values())
    runnable = [c for b in blocks if b.language == "bash" and not b.not_run for c in commands(b.text)]
    assert len(runnable) == RUNNABLE_COMMANDS and all(c.startswith(("avbench ", "for ")) for c in runnable), runnable
    assert sum(1 for b in blocks if b.language == "python" and not b.not_run) == PYTHON_BLOCKS
    # a page outside the nav would be neither in the site nor run here
    listed = set(pages())
    assert not [p for p in (ROOT / "docs").rglob("*.md") if p not in listed and page_blocks(p)]


def test_the_documentation_site_builds_strictly(tmp_path):
    """`mkdocs build --strict`: every page in the nav, no broken link or anchor."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "scale-out" / "index.html").is_file()


def test_every_documented_command_runs_as_documented(sandbox):
    work, env = sandbox
    ran = 0
    for block in doc_blocks():
        if block.not_run or block.language not in ("bash", "python"):
            continue
        steps = commands(block.text) if block.language == "bash" else [block.text]
        for step in steps:
            argv = ["bash", "-euo", "pipefail", "-c", step] if block.language == "bash" else [sys.executable, "-c", step]
            done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=900)
            output = done.stdout + done.stderr
            expected = next((v for k, v in DOCUMENTED_FAILURES.items() if step.split("#")[0].strip() == k), (0, ""))
            where = f"{block.where}: {step}\n{output[-3000:]}"
            assert done.returncode == expected[0], where
            assert expected[1] in output and "Traceback" not in output, where
            ran += 1
    assert ran == RUNNABLE_COMMANDS + PYTHON_BLOCKS
    assert json.loads((work / "scores.json").read_text())["results"]["fvd"]["value"] > 0
    assert (work / "site" / "index.html").is_file() and (work / "report" / "report.md").is_file()
    _check_the_quick_start_submission(work.parent, env)


def _check_the_quick_start_submission(root: Path, env: dict[str, str]) -> None:
    """The quick start's `submit --to` left a branch in the leaderboard repository; the workflow's
    pull-request job verifies it, and its site job builds a site that lists the model."""
    git = {"env": env, "check": True, "capture_output": True, "text": True, "timeout": 300}
    (branch,) = subprocess.run(["git", "branch", "--list", "submit/*", "--format=%(refname:short)"],
                               cwd=root / "leaderboard.git", **git).stdout.split()
    assert branch.startswith("submit/my-model--synthetic-tiny--")
    subprocess.run(["git", "clone", "--quiet", README_REMOTE, str(root / "pull-request")], **git)
    subprocess.run(["git", "checkout", "--quiet", branch], cwd=root / "pull-request", **git)
    for job in ("verify", "site"):
        done = run_workflow_job(root / "pull-request", job, env)
        assert done and all(d.returncode == 0 for d in done), [(d.stdout, d.stderr) for d in done]
    board = json.loads((root / "pull-request" / "_site" / "leaderboard.json").read_text())
    rows = [row for tab in board["benchmarks"] for row in tab["rows"] if row["model"]["name"] == "my-model"]
    assert [(r["entry_id"], r["trust"]) for r in rows] == [(branch.removeprefix("submit/"), "self-reported")]
