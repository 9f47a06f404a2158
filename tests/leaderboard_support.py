"""Leaderboard test helpers: a store made of harness runs (a stand-in for `pack` + `submit`:
the run's files, plus its media as `media/<sample_id>.<ext>`, copied into a bundle folder),
hand-made `reported` entries, a packed bundle's members read, edited and written again
(CHECKSUMS rewritten to match, as a tamperer would), and a leaderboard repository's workflow jobs
run as GitHub would run them."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

import pytest

from avbench.benchmark import run_dir as rd
from avbench.benchmark.report.runs import scores_from_results
from avbench.benchmark.report.table import Score
from avbench.leaderboard.store import Entry, add_entry


def add_run(store: Path, run: Path, entry_id: str, model: dict, trust: str = "reference", media: bool = True,
            work: Path | None = None) -> Entry:
    """Add the harness run `run` to `store` as an entry (bundle with the run's files and, if
    `media`, its videos and audio named by sample id)."""
    results = json.loads((run / rd.RESULTS).read_text())
    bundle = (work or run.parent) / f"bundle-{entry_id}"
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.mkdir(parents=True)
    for name in (rd.RESULTS, rd.SAMPLES, rd.MANIFEST):
        shutil.copyfile(run / name, bundle / name)
    shutil.copytree(run / rd.STATES, bundle / rd.STATES)
    if media:
        (bundle / "media").mkdir()
        for row in rd.read_manifest(run):
            for column in ("video_path", "audio_path"):
                if row[column]:
                    source = (run / row[column]).resolve()
                    shutil.copyfile(source, bundle / "media" / f"{row['sample_id']}{source.suffix}")
    entry = Entry(entry_id=entry_id, trust=trust, model=model, benchmark=results["benchmark"]["name"],
                  scores=scores_from_results(results), source=f"run {run.name}",
                  benchmark_version=results["benchmark"]["version"], suite_version="0.1.0",
                  reportable=results["flags"]["reportable"], extra={"reasons": results["flags"]["reasons"]})
    add_entry(store, entry, bundle)
    shutil.rmtree(bundle)
    return entry


def reported(entry_id: str, model: str, benchmark: str, values: dict[str, float], notes: tuple[str, ...] = ()) -> Entry:
    """A paper row: the paper's metrics (AV-Align, FVD, CLIPSIM, IS), no CI, protocol unstated."""
    meta = {"av_align": (True, "AV-Align"), "fvd": (False, "FVD"), "clipsim": (True, "CLIPSIM"), "is": (True, "IS")}
    return Entry(entry_id=entry_id, trust="reported", model={"name": model}, benchmark=benchmark,
                 scores={m: Score(v, meta[m][0], title=meta[m][1]) for m, v in values.items()},
                 source="Yariv et al. 2023, arXiv:2309.16429v1, Table 1", notes=notes)


def bundle_members(bundle: Path) -> dict[str, bytes]:
    """Member name -> bytes of a bundle zip, in archive order."""
    with zipfile.ZipFile(bundle) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_bundle(path: Path, members: dict[str, bytes], checksums: bool = True,
                 infos: list[zipfile.ZipInfo] | None = None) -> Path:
    """A bundle of `members` (CHECKSUMS recomputed unless `checksums` is False) plus raw `infos`."""
    members = dict(members)
    if checksums:
        members["CHECKSUMS"] = "".join(f"{hashlib.sha256(members[n]).hexdigest()}  {n}\n"
                                       for n in sorted(members) if n != "CHECKSUMS").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for info in infos or []:
            zf.writestr(info, b"x")
    return path


def edit_json(members: dict[str, bytes], name: str, edit: Callable[[Any], None]) -> None:
    data = json.loads(members[name])
    edit(data)
    members[name] = json.dumps(data, indent=2, sort_keys=True).encode()


def edit_yaml(members: dict[str, bytes], name: str, edit: Callable[[Any], None]) -> None:
    data = yaml.safe_load(members[name])
    edit(data)
    members[name] = yaml.safe_dump(data).encode()


def edit_samples(members: dict[str, bytes], edit: Callable[[list[dict]], list[dict]]) -> None:
    """samples.parquet's rows through `edit` (which returns the new rows), in the same schema."""
    table = pq.read_table(io.BytesIO(members["samples.parquet"])).to_pylist()
    rows = edit(table)
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(io.BytesIO(members["samples.parquet"]))), buf)
    members["samples.parquet"] = buf.getvalue()


@contextmanager
def demo_bundles(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A folder holding `real.zip` and `real-media.zip` (with media): the tiny benchmark's real
    clips scored with AV-Align and packed, in the cache every test (and every `avbench` process
    a test starts) uses."""
    from avbench.benchmark.definition import load_benchmark
    from avbench.benchmark.generate import generate
    from avbench.benchmark.scoring.run import score_run
    from avbench.leaderboard.bundle import pack

    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp(name)
        mp.setenv("AVBENCH_CACHE", str(tmp_path_factory.getbasetemp() / "avbench-cache"))
        bench = load_benchmark("synthetic:tiny")
        generate("real", bench, root / "gen", progress=False)
        score_run(bench, root / "gen", root / "run", metric_names=["av_align"], workers=1, progress=False)
        pack(root / "run", root / "real.zip")
        pack(root / "run", root / "real-media.zip", with_media=True)
        yield root


def workflow(repo: Path) -> dict:
    """The workflow `avbench leaderboard init` writes, as read from the repository `repo`."""
    return yaml.safe_load((repo / ".github" / "workflows" / "leaderboard.yml").read_text(encoding="utf-8"))


def run_workflow_job(checkout: Path, job: str, env: dict[str, str], base: str = "main"
                     ) -> list[subprocess.CompletedProcess]:
    """The `run:` steps of a workflow job, in order, as GitHub would run them in `checkout` (bash,
    the step's env with `github.base_ref` = `base`), less the install step (avbench is installed
    here); stops at the first step that fails."""
    done = []
    for step in workflow(checkout)["jobs"][job]["steps"]:
        if "run" not in step or step.get("id") == "install":
            continue
        step_env = {k: str(v).replace("${{ github.base_ref }}", base) for k, v in step.get("env", {}).items()}
        result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=checkout, env={**env, **step_env},
                                capture_output=True, text=True, timeout=300, check=False)
        done.append(result)
        if result.returncode != 0:
            break
    return done
