"""`avbench score DIR` on a plain folder of videos, the terminal table (plain text in a pipe, rich
on a terminal) and `avbench --version`, each run as a user runs it: the installed `avbench`."""
from __future__ import annotations

import json
import os
import pty
import re
import shutil
import zipfile
from dataclasses import replace
from importlib.metadata import version

import pandas as pd
import pytest
import yaml

from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.synthetic import write_clip
from avbench.benchmark.synthetic_benchmark import clips
from harness_support import run_installed


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A folder of the tiny benchmark's videos under their item ids, the last item left out and a
    video named after no item added, scored with `avbench score DIR --name` in a pipe."""
    root = tmp_path_factory.mktemp("score-folder")
    folder = root / "my-videos"
    made = [write_clip(replace(clip, seed=clip.seed + 100), folder) for clip, _ in clips(6)]
    missing = made[-1][0].stem
    for path in made[-1]:
        path.unlink()
    shutil.copyfile(made[0][0], folder / "not-an-item.mp4")
    env = {"AVBENCH_CACHE": str(root / "cache")}
    done = run_installed(["score", str(folder), "--benchmark", "synthetic:tiny", "--name", "My Model",
                          "--metrics", "av_align", "--workers", "1", "--quiet"], env=env, cwd=root)
    return root, folder, missing, env, done


def _table(stdout: str) -> dict[str, list[str]]:
    """The plain table's rows by their first cell, cells split where two spaces or more separate them."""
    lines = stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("metric "))
    header = re.split(r"\s{2,}", lines[start].strip())
    assert header == ["metric", "mean", "95% CI", "n", "failed", "lowest", "highest"]
    return {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in lines[start + 1:] if line)}


def test_score_dir_names_the_model_and_records_the_missing_item(scored):
    root, _, missing, _, done = scored
    assert done.returncode == 0, done.stderr
    run = root / "runs" / "My Model"  # the default --out, printed
    assert "-> runs/My Model" in done.stdout
    results = json.loads((run / "results.json").read_text())
    assert results["model"]["name"] == results["model"]["label"] == "My Model"
    assert results["counts"] == {**results["counts"], "expected": 6, "scored": 5, "failed": 1}
    failures = pd.read_csv(run / "failures.csv")
    assert failures["sample_id"].tolist() == [missing]
    assert f"no video for item {missing}" in failures["error"][0]  # the pairing's reason reaches the run
    assert "1 item(s) have no video" in done.stderr and "not-an-item.mp4" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_plain_table_holds_the_numbers_of_results_json(scored):
    root, *_, done = scored
    run = root / "runs" / "My Model"
    record = json.loads((run / "results.json").read_text())["metrics"]["av_align"]
    row = _table(done.stdout)[f"AV-Align ↑ [{record['preset']} v{record['version']}]"]
    assert abs(float(row[1]) - record["value"]) <= 5e-4
    lo, hi = (float(x) for x in re.fullmatch(r"\[(\S+), (\S+)\]", row[2]).groups())
    assert abs(lo - record["ci95"][0]) <= 5e-4 and abs(hi - record["ci95"][1]) <= 5e-4
    assert (int(row[3]), int(row[4])) == (record["n"], 1)
    values = pd.read_parquet(run / "samples.parquet").query("metric == 'av_align'").set_index("sample_id")["value"]
    lowest = values[values == values.min()].index.min()
    highest = values[values == values.max()].index.min()
    assert row[5].split() == [lowest, f"{values[lowest]:.3f}"] and row[6].split() == [highest, f"{values[highest]:.3f}"]
    assert "\x1b[" not in done.stdout and "━" not in done.stdout  # no colours, no box drawing in a pipe


def test_packing_the_run_carries_the_name_to_the_model_card(scored):
    root, *_ = scored
    bundle = root / "bundle.zip"
    done = run_installed(["pack", str(root / "runs" / "My Model"), "--out", str(bundle)], cwd=root)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(bundle) as zf:
        card = yaml.safe_load(zf.read("model_card.yaml"))
        assert card["name"] == "My Model"
        assert json.loads(zf.read("results.json"))["model"]["label"] == "My Model"


def test_a_folder_with_no_item_video_is_one_line(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "holiday.mp4").write_bytes(b"not scored")
    done = run_installed(["score", str(folder), "--benchmark", "synthetic:tiny", "--out", str(tmp_path / "run"),
                          "--quiet"])
    ids = sorted(load_benchmark("synthetic:tiny").item_ids)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert str(folder) in line and f"{ids[0]}.mp4, {ids[1]}.mp4" in line and "holiday.mp4" in line


def test_dir_and_inputs_together_are_refused(tmp_path):
    done = run_installed(["score", str(tmp_path), "--inputs", str(tmp_path), "--benchmark", "synthetic:tiny"])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "one of them" in done.stderr


def test_version_is_the_installed_distribution():
    done = run_installed(["--version"])
    assert done.returncode == 0 and done.stdout.strip() == f"avbench {version('avbench')}"


def test_on_a_terminal_the_table_is_drawn_by_rich(scored):
    """`avbench av-align` under a pseudo-terminal (its clips' signals are cached by the score run)."""
    root, folder, _, env, _ = scored
    avbench = shutil.which("avbench")
    pid, fd = pty.fork()
    if pid == 0:  # the child: a user's terminal
        os.chdir(root)
        os.execve(avbench, [avbench, "av-align", str(folder / "clip0000.mp4"), "--workers", "1", "--quiet"],
                  {**os.environ, **env, "COLUMNS": "160", "TERM": "xterm"})
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    text = out.decode()
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "━" in text or "─" in text  # rich's box drawing
    assert "clip0000" in text and "AV-Align" in text
