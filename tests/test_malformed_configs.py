"""The malformed-input suite for what a user writes: run configs and benchmark definitions
(area `config`), manifests, items and label CSVs, and folders of clips (area `manifest`).

Each case builds its input in `tmp_path`, runs it through the installed `avbench` in a fresh
process and checks its outcome class (tests/malformed_support.py): one line naming the file and
the key or line (ERROR, for a whole input, or an item's failure record while the others score),
or a real score (SCORED) equal to AV-Align computed in this process on the same files.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Callable

import pytest

from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align.metric import av_align_clip
from malformed_support import (ERROR, SCORED, Case, assert_clear_error, assert_clear_record, assert_no_traceback,
                               assert_real_number, avbench)

CASES: list[Case] = []
CHECKS: dict[str, Callable[[Path], None]] = {}


def case(name: str, area: str, outcome: str) -> Callable:
    """Declare the check below as the case `name`."""
    def register(check: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES.append(Case(name, area, outcome))
        CHECKS[name] = check
        return check
    return register


# Visual events of the clips c0, c1, c2, and those without a sound: each clip scores differently,
# so a mean tells which clips it took.
EVENTS = (((8, 20, 33, 41), ()), ((6, 14, 22, 30, 38), ()), ((10, 25), (10,)))


def clips(folder: Path, n: int = 2) -> list[Path]:
    """`n` (at most 3) small clips `c<i>.mp4` with their `c<i>.wav` in `folder`; the videos."""
    return [write_clip(SyntheticClip(name=f"c{i}", width=64, height=48, seed=i, event_frames=events,
                                     silent_event_frames=silent), folder)[0]
            for i, (events, silent) in enumerate(EVENTS[:n])]


def expected_score(videos: list[Path]) -> float:
    """Mean AV-Align of the clips against their wav, computed here (no pairing, no manifest, no cache)."""
    return float(sum(av_align_clip(v, v.with_suffix(".wav")).score for v in videos) / len(videos))


# --- run configs and benchmark definitions --------------------------------------------------

VALID_CONFIG = """\
benchmark: custom
items: clips
metrics: [av_align]
models: [{name: real}]
report: {formats: [csv], plots: false}
workers: 1
"""

BENCHMARK = """\
name: mine
version: "1"
kind: custom
items: items.csv
layout: {video: "{item_id}.mp4", audio: "{item_id}.wav"}
protocol: {duration: null, fps: null, frames: null, width: null, height: null}
metrics: {av_align: {preset: tempotokens-2025}}
"""


def run_config(tmp_path: Path, text: str) -> tuple[Path, Path, object]:
    """Write `cfg.yaml` and run it: (config, output folder, finished process)."""
    config, out = tmp_path / "cfg.yaml", tmp_path / "out"
    config.write_text(text, encoding="utf-8")
    return config, out, avbench("run", str(config), "--out", str(out), "--quiet")


def with_benchmark(tmp_path: Path, definition: str) -> str:
    """A run config of the benchmark YAML `definition` (items: two clips) and its files."""
    videos = clips(tmp_path)
    (tmp_path / "bench.yaml").write_text(definition)
    (tmp_path / "items.csv").write_text("item_id\n" + "".join(f"{v.stem}\n" for v in videos))
    return VALID_CONFIG.replace("benchmark: custom\nitems: clips\n", "benchmark: bench.yaml\n")


def refused(tmp_path: Path, file: str, old: str, new: str, problem: str) -> None:
    """With `old` replaced by `new` in `file` (the run config cfg.yaml or its benchmark bench.yaml),
    the run is refused in one line naming the file and the key, before anything is generated."""
    config = with_benchmark(tmp_path, BENCHMARK.replace(old, new) if file == "bench.yaml" else BENCHMARK)
    assert old in (BENCHMARK if file == "bench.yaml" else config)
    _, out, done = run_config(tmp_path, config.replace(old, new) if file == "cfg.yaml" else config)
    assert_clear_error(done, str(tmp_path / file), problem)
    assert not (out / "generated").exists()


# (case, file, text replaced in it, its replacement, what the one error line says)
for name, *edit in [
    ("run config: report is a boolean", "cfg.yaml", "{formats: [csv], plots: false}", "true",
     "report: must be a mapping or empty, got true"),
    ("run config: models is a number", "cfg.yaml", "[{name: real}]", "3", "models: must be a list, got 3"),
    ("run config: a model entry without a name", "cfg.yaml", "{name: real}", "{label: mine}",
     "models[0]: 'name' is a required property"),
    ("run config: protocol fps is text", "cfg.yaml", "workers: 1\n", "workers: 1\nprotocol: {fps: abc}\n",
     'protocol.fps: must be a number or empty, got "abc"'),
    ("run config: protocol seed is 1.0", "cfg.yaml", "workers: 1\n", "workers: 1\nprotocol: {seed: 1.0}\n",
     "protocol.seed: must be an integer, got 1.0"),
    ("run config: a model's output fps is .nan", "cfg.yaml", "{name: real}", "{name: real, output: {fps: .nan}}",
     "models[0].output.fps: must be a number or empty, got NaN"),
    ("run config: misspelt key", "cfg.yaml", "metrics:", "metric:", "unknown key(s) 'metric'; known: name, "),
    ("run config: workers 0", "cfg.yaml", "workers: 1", "workers: 0", "workers: 0 is less than the minimum of 1"),
    ("run config: unknown report format, refused before generating", "cfg.yaml", "[csv]", "[pdf]",
     "report.formats: unknown report format(s) pdf"),
    ("run config: not YAML", "cfg.yaml", "benchmark: bench.yaml", "benchmark: [bench.yaml", "not a readable run config"),
    ("benchmark YAML: version 1.10 (reads as a float)", "bench.yaml", 'version: "1"', "version: 1.10",
     "version: must be a string or an integer, got 1.1"),
    ("benchmark YAML: layout template not closed", "bench.yaml", "{item_id}.mp4", "{item_id.mp4",
     "layout.video: '{item_id.mp4' is not a template"),
    ("benchmark YAML: layout names a column the items lack", "bench.yaml", "{item_id}.mp4", "{clip}.mp4",
     "layout.video: '{clip}.mp4' names {clip}, which is none of the columns"),
    ("benchmark YAML: caption template names {lable}", "bench.yaml", "kind: custom\n",
     'kind: custom\ntext_template: "a video of {lable}"\n', "text_template: 'a video of {lable}' names {lable}"),
    ("benchmark YAML: caption template without {label}", "bench.yaml", "kind: custom\n",
     'kind: custom\ntext_template: "a video"\n', "text_template: 'a video' does not name {label}"),
    ("benchmark YAML: no layout", "bench.yaml", 'layout: {video: "{item_id}.mp4", audio: "{item_id}.wav"}\n', "",
     "'layout' is a required property"),
]:
    case(name, "config", ERROR)(lambda tmp_path, edit=edit: refused(tmp_path, *edit))


@case("benchmark YAML and run config saved with a byte-order mark", "config", SCORED)
def _(tmp_path):
    config = with_benchmark(tmp_path, BENCHMARK)
    (tmp_path / "bench.yaml").write_text("\ufeff" + BENCHMARK, encoding="utf-8")
    _, out, done = run_config(tmp_path, "\ufeff" + config)
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    value = json.loads((out / "runs" / "real" / "results.json").read_text())["metrics"]["av_align"]["value"]
    assert_real_number(value)
    assert value == pytest.approx(expected_score(sorted(tmp_path.glob("c*.mp4"))), rel=1e-9)


# --- manifests, items and labels CSVs ---------------------------------------------------------

def manifest(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode(encoding))
    return path


def av_align_manifest(tmp_path: Path, path: Path) -> tuple[object, Path]:
    out = tmp_path / "r.json"
    return avbench("av-align", "--manifest", str(path), "--json", str(out), "--quiet", "--workers", "1"), out


def refused_manifest(tmp_path: Path, text: str, encoding: str, problem: str) -> None:
    path = manifest(tmp_path, text, encoding)
    done, _ = av_align_manifest(tmp_path, path)
    assert_clear_error(done, str(path), problem)


@case("manifest saved with a byte-order mark", "manifest", SCORED)
def _(tmp_path):
    videos = clips(tmp_path)
    rows = "".join(f"{v.stem},{v.name},{v.stem}.wav\n" for v in videos)
    done, out = av_align_manifest(tmp_path, manifest(tmp_path, "\ufeffsample_id,video_path,audio_path\n" + rows))
    assert_no_traceback(done)
    record = json.loads(out.read_text())
    assert [c["sample_id"] for c in record["clips"]] == ["c0", "c1"] and record["failures"] == []
    assert_real_number(record["mean"])
    assert record["mean"] == pytest.approx(expected_score(videos), rel=1e-9)


# (case, the manifest's text, its encoding, what its one error line says)
for name, *manifest_text in [
    ("manifest: header only", "sample_id,video_path,audio_path\n", "utf-8", "manifest has a header and no rows"),
    ("manifest: empty file", "", "utf-8", "manifest is empty"),
    ("manifest: a column named twice", "sample_id,video_path,video_path,audio_path\nc0,c0.mp4,c1.mp4,\n", "utf-8",
     "manifest header names column(s) 'video_path' twice"),
    ("manifest: Latin-1 text", "sample_id,video_path,audio_path\ncafé,café.mp4,\n", "latin-1", "manifest is not UTF-8 text"),
    ("manifest: a NUL byte", "sample_id,video_path,audio_path\nc0,c0\x00.mp4,\n", "utf-8",
     "manifest is not text (a NUL byte on line 2)"),
    ("manifest: a caption with an unquoted comma", "sample_id,video_path,audio_path,text\nc0,c0.mp4,c0.wav,a dog, barking\n",
     "utf-8", "line 2: 5 fields for 4 columns"),
]:
    case(name, "manifest", ERROR)(lambda tmp_path, given=manifest_text: refused_manifest(tmp_path, *given))


@case("inputs manifest: a row with more fields than columns, the other items scored", "manifest", ERROR)
def _(tmp_path):
    videos = clips(tmp_path / "clips", 3)
    bench = ["--benchmark", "custom", "--items", str(tmp_path / "clips")]
    done = avbench("generate", "--model", "real", *bench, "--out", str(tmp_path / "gen"), "--quiet")
    assert done.returncode == 0, done.stderr
    generated = tmp_path / "gen" / "manifest.csv"
    lines = generated.read_text().splitlines()
    generated.write_text("\n".join([*lines[:2], lines[2] + ",extra", *lines[3:]]) + "\n")
    run = tmp_path / "run"
    done = avbench("score", *bench, "--inputs", str(tmp_path / "gen"), "--out", str(run), "--quiet", "--workers", "1")
    assert_no_traceback(done)
    failures = list(csv.DictReader((run / "failures.csv").open()))
    broken = lines[2].split(",")[0]
    assert [f["sample_id"] for f in failures] == [broken]
    columns = len(lines[0].split(","))
    assert_clear_record(failures[0]["error"], str(generated), f"line 3: {columns + 1} fields for {columns} columns")
    results = json.loads((run / "results.json").read_text())
    assert results["counts"]["scored"] == 2
    kept = [v for v in videos if v.stem != broken]
    assert results["metrics"]["av_align"]["value"] == pytest.approx(expected_score(kept), rel=1e-9)


@case("items CSV saved with a byte-order mark", "manifest", SCORED)
def _(tmp_path):
    config = with_benchmark(tmp_path, BENCHMARK)
    items = tmp_path / "items.csv"
    items.write_text("\ufeff" + items.read_text(), encoding="utf-8")
    _, out, done = run_config(tmp_path, config)
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "runs" / "real" / "results.json").read_text())
    assert results["counts"]["scored"] == 2
    assert results["metrics"]["av_align"]["value"] == pytest.approx(expected_score(sorted(tmp_path.glob("c*.mp4"))),
                                                                    rel=1e-9)


@case("items CSV: start seconds is text", "manifest", ERROR)
def _(tmp_path):
    config = with_benchmark(tmp_path, BENCHMARK)
    (tmp_path / "items.csv").write_text("item_id,start\nc0,0\nc1,ten\n")
    _, _, done = run_config(tmp_path, config)
    assert_clear_error(done, str(tmp_path / "items.csv"), "line 3: start 'ten' is not a non-negative number of seconds")


# --- folders of clips ---------------------------------------------------------------------------

def av_align_folder(tmp_path: Path, folder: Path) -> dict:
    """`avbench av-align FOLDER --json`: its record, after checking the run finished."""
    out = tmp_path / "r.json"
    done = avbench("av-align", str(folder), "--json", str(out), "--quiet", "--workers", "1")
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


@case("av-align folder: a broken symbolic link named x.mp4", "manifest", ERROR)
def _(tmp_path):
    videos = clips(tmp_path / "clips")
    (tmp_path / "clips" / "x.mp4").symlink_to(tmp_path / "gone.mp4")
    record = av_align_folder(tmp_path, tmp_path / "clips")
    (failure,) = record["failures"]
    assert failure["sample_id"] == "x"
    assert_clear_record(failure["error"], str(tmp_path / "clips" / "x.mp4"), "broken symbolic link", "gone.mp4")
    assert record["mean"] == pytest.approx(expected_score(videos), rel=1e-9)


@case("av-align folder: a folder named x.mp4", "manifest", ERROR)
def _(tmp_path):
    videos = clips(tmp_path / "clips")
    (tmp_path / "clips" / "x.mp4").mkdir()
    record = av_align_folder(tmp_path, tmp_path / "clips")
    (failure,) = record["failures"]
    assert_clear_record(failure["error"], str(tmp_path / "clips" / "x.mp4"), "video file is a folder")
    assert record["mean"] == pytest.approx(expected_score(videos), rel=1e-9)


@case("av-align folder: the audio beside a clip is a broken link", "manifest", ERROR)
def _(tmp_path):
    videos = clips(tmp_path / "clips")
    wav = videos[1].with_suffix(".wav")
    wav.unlink()
    wav.symlink_to(tmp_path / "gone.wav")  # not the clip's own track instead: that would be another number
    record = av_align_folder(tmp_path, tmp_path / "clips")
    (failure,) = record["failures"]
    assert failure["sample_id"] == "c1"
    assert_clear_record(failure["error"], str(wav), "audio file is a broken symbolic link")
    assert record["mean"] == pytest.approx(expected_score(videos[:1]), rel=1e-9)


@case("generate --model folder: an item's video is a broken link", "manifest", ERROR)
def _(tmp_path):
    clips(tmp_path / "items")
    generated = tmp_path / "generated"
    clips(generated)
    (generated / "c1.mp4").unlink()
    (generated / "c1.mp4").symlink_to(tmp_path / "gone.mp4")
    done = avbench("generate", "--model", "folder", "--option", f"path={generated}", "--benchmark", "custom",
                   "--items", str(tmp_path / "items"), "--out", str(tmp_path / "gen"), "--quiet")
    assert_no_traceback(done)
    failures = list(csv.DictReader((tmp_path / "gen" / "generate_failures.csv").open()))
    assert [f["sample_id"] for f in failures] == ["c1"]
    assert_clear_record(failures[0]["error"], str(generated / "c1.mp4"), "video file of item c1 is a broken symbolic link")


@case("run on a folder of clips holding a broken link: an item that fails", "manifest", ERROR)
def _(tmp_path):
    videos = clips(tmp_path / "clips")
    (tmp_path / "clips" / "c9.mp4").symlink_to(tmp_path / "gone.mp4")
    named = [name for name in os.listdir(tmp_path / "clips") if name.endswith(".mp4")]
    _, out, done = run_config(tmp_path, VALID_CONFIG)
    assert_no_traceback(done)
    results = json.loads((out / "runs" / "real" / "results.json").read_text())
    assert results["counts"]["expected"] == len(named) == 3 and results["counts"]["scored"] == 2
    assert "c9" in {row["sample_id"] for row in csv.DictReader((out / "runs" / "real" / "failures.csv").open())}
    assert f"generation failed for c9: {tmp_path / 'clips' / 'c9.mp4'}" in done.stderr
    assert_real_number(results["metrics"]["av_align"]["value"])
    assert results["metrics"]["av_align"]["value"] == pytest.approx(expected_score(videos), rel=1e-9)


@case("score-files folder: a broken link and a folder named like videos", "manifest", ERROR)
def _(tmp_path):
    videos = clips(tmp_path / "clips")
    (tmp_path / "clips" / "x.mp4").symlink_to(tmp_path / "gone.mp4")
    (tmp_path / "clips" / "y.mp4").mkdir()
    out = tmp_path / "scores.json"
    done = avbench("score-files", str(tmp_path / "clips"), "--metrics", "av_align", "--json", str(out), "--quiet")
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    errors = {f["sample_id"]: f["error"] for f in record["failures"]}
    assert sorted(errors) == ["x", "y"]
    assert_clear_record(errors["x"], str(tmp_path / "clips" / "x.mp4"), "broken symbolic link", "gone.mp4")
    assert_clear_record(errors["y"], str(tmp_path / "clips" / "y.mp4"), "video file is a folder")
    assert record["results"]["av_align"]["n"] == 2
    assert record["results"]["av_align"]["value"] == pytest.approx(expected_score(videos), rel=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_config_or_manifest(case: Case, tmp_path: Path) -> None:
    CHECKS[case.name](tmp_path)
