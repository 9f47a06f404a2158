"""`avbench reproduce`: a tiny run beside the paper's rows; Δ = ours − reported; missing runs
show "—"; protocol choices the paper leaves open are flagged."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from avbench.benchmark.cli import main
from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.generate import generate
from avbench.benchmark.scoring.run import score_run
from avbench.leaderboard.reproduce import compare, parse_runs, render
from avbench.metrics.errors import AvbenchError
from single_thread import one_thread  # noqa: F401  (module fixture)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("reproduce")
        mp.setenv("AVBENCH_CACHE", str(tmp_path_factory.getbasetemp() / "avbench-cache"))
        bench = load_benchmark("synthetic:tiny")
        generate("real", bench, root / "gen", progress=False)
        results = score_run(bench, root / "gen", root / "run", metric_names=["av_align"], workers=1, progress=False)
        yield root / "run", results


def test_rows_matched_and_differences(run):
    path, results = run
    comparison = compare("tempotokens-table1", [("vggsound/real-videos", path)])
    cells = {(c.row_key, c.metric): c for c in comparison.cells}
    real = cells[("vggsound/real-videos", "av_align")]
    ours = results["metrics"]["av_align"]["value"]
    assert real.reported == "0.51" and real.ours == ours and real.delta == pytest.approx(ours - 0.51, abs=1e-15)
    assert "benchmark differs (ours synthetic-tiny@1)" in real.protocol and "preset unknown" in real.protocol
    assert "tempotokens-2025 v1" in real.protocol
    missing = cells[("vggsound/ours", "fvd")]
    assert (missing.ours, missing.delta, missing.protocol) == (None, None, "no run")
    assert len(comparison.cells) == 7 * 4 + 1
    items = {i.name: i for i in comparison.protocol["vggsound/real-videos"]}
    assert (items["fps"].ours, items["fps"].status) == ("24", "unknown") and "released code: 12" in items["fps"].paper
    assert (items["sample count"].ours, items["resolution"].ours) == ("6", "160x120")
    assert items["benchmark"].status == "differs"


def test_markdown_shows_dashes_never_zero(run):
    text = render(compare("tempotokens-table1", [("vggsound/real-videos", run[0])]), "md")
    ours = run[1]["metrics"]["av_align"]["value"]
    assert f"| Real videos (ground truth) | AV-Align | 0.51 | {ours:.3f} | {ours - 0.51:+.3f} |" in text
    assert "| VGGSound, Ours (TempoTokens) | FVD | 923 | — | — | no run |" in text
    assert "| AudioSet-Drums, TATS | IS | 2.10 | — | — | no run |" in text
    assert "- fps: 24 | not stated (released code: 12) | unknown" in text


def test_csv_and_json(run):
    comparison = compare("tempotokens-table1", [("vggsound/real-videos", run[0])])
    rows = list(csv.DictReader(io.StringIO(render(comparison, "csv"))))
    assert len(rows) == 29 and rows[0]["ours"] == "" and rows[0]["delta"] == ""
    last = rows[-1]
    assert float(last["ours"]) == run[1]["metrics"]["av_align"]["value"] and last["reported"] == "0.51"
    data = json.loads(render(comparison, "json"))
    assert data["table"] == "tempotokens-table1" and data["cells"][-1]["ours"] == float(last["ours"])
    assert data["protocol"]["vggsound/real-videos"][0] == {"name": "benchmark", "ours": "synthetic-tiny@1",
                                                          "paper": "vggsound", "status": "differs"}


def test_matching_errors(run):
    with pytest.raises(AvbenchError, match=r"model real on synthetic-tiny matches 0 rows of tempotokens-table3"):
        compare("tempotokens-table3", [(None, run[0])])
    with pytest.raises(AvbenchError, match=r"tempotokens-table2 has no row 'nope'"):
        compare("tempotokens-table2", [("nope", run[0])])
    with pytest.raises(AvbenchError, match=r"unknown table 'table9'"):
        compare("table9", [])
    assert parse_runs(["a/b=runs/x", "runs/y"]) == [("a/b", Path("runs/x")), (None, Path("runs/y"))]


def test_cli(run, capsys):
    assert main(["reproduce", "tempotokens-table2", "--runs", f"text+audio={run[0]}", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "tempotokens-table2,text+audio,\"TempoTokens (text + audio" in out
    assert main(["reproduce", "tempotokens-table3", "--runs", str(run[0])]) == 2
    assert "avbench reproduce: error:" in capsys.readouterr().err
