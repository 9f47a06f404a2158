"""The one table model behind `avbench report` and the leaderboard, on hand-made runs: ranks among
the contenders only (the controls are references), levels beside each model, the renderers
(Markdown, CSV, LaTeX, HTML) marking best and second, numbered caveats, and the plots' data."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from avbench.benchmark.report.plots import fvd_vs_av_align, level_lines
from avbench.benchmark.report.render_csv import render_csv
from avbench.benchmark.report.render_html import render_html
from avbench.benchmark.report.render_latex import render_latex
from avbench.benchmark.report.render_markdown import render_markdown
from avbench.benchmark.report.run_tables import run_tables
from avbench.benchmark.report.runs import Run
from avbench.benchmark.report.table import Row, Score, build_table, score_cells
from avbench.benchmark.report.write import CSV_FIELDS

TITLES = {"av_align": ("AV-Align", True), "fvd": ("FVD", False), "is": ("IS", True), "clipsim": ("CLIPSIM", True)}


def _run(adapter: str, values: dict[str, float], label: str | None = None, reportable: bool = False) -> Run:
    metrics = {m: {"title": TITLES[m][0], "higher_is_better": TITLES[m][1], "value": v, "ci95": [v - 0.01, v + 0.01],
                   "n": 6, "preset": f"{m}-preset", "version": "1"} for m, v in sorted(values.items())}
    results = {"model": {"name": adapter, "label": label}, "benchmark": {"name": "tiny", "version": "1"},
               "metrics": metrics, "counts": {"scored": 6, "expected": 6},
               "flags": {"reportable": reportable, "reasons": [] if reportable else ["custom benchmark"]}}
    return Run(Path(f"/runs/{label or adapter}"), results)


RUNS = [_run("folder", {"av_align": 0.30, "fvd": 300.0, "is": 2.0, "clipsim": 0.2}, "a", reportable=True),
        _run("folder", {"av_align": 0.20, "fvd": 100.0}, "b"),
        _run("folder", {"av_align": 0.10, "fvd": 200.0}, "c"),
        _run("real", {"av_align": 0.90, "fvd": 0.0}), _run("shuffled-audio", {"av_align": 0.05})]


def test_ranks_are_among_contenders_and_the_second_is_underlined():
    (table,) = run_tables(RUNS)
    assert [r.label for r in table.rows] == ["a", "b", "c", "real", "shuffled-audio"]
    assert [r.reference for r in table.rows] == [None, None, None, "real", "chance"]
    rank = {(r.label, k): c.rank for r in table.rows for k, c in r.cells.items()}
    assert [rank[(m, "av_align")] for m in "abc"] == [1, 2, None]  # real (0.90) is a reference: never best
    assert [rank[(m, "fvd")] for m in "abc"] == [None, 1, 2] and rank[("real", "fvd")] is None
    assert rank[("a", "is")] is None  # one value ranks nobody
    md = render_markdown([table])
    assert "| a | 6/6 | **0.300 ± 0.010** |" in md and "| b | 6/6 | <u>0.200 ± 0.010</u> |" in md
    assert "| *real* | 6/6 | 0.900 ± 0.010 |" in md
    tex = render_latex([table])
    assert r"\textbf{0.300 $\pm$ 0.010}" in tex and r"\underline{0.200 $\pm$ 0.010}" in tex
    assert r"\textbf{100.0 $\pm$" in tex and r"\underline{200.0 $\pm$" in tex  # lower is better
    html = render_html([table], [])
    assert "<b>0.300 ± 0.010</b>" in html and "<u>0.200 ± 0.010</u>" in html and "<tr class='muted'>" in html


def test_levels_beside_each_model_and_as_lines_in_the_bars():
    (table,) = run_tables(RUNS)
    assert [c.header for c in table.columns] == ["AV-Align ↑", "AV-Align chance", "AV-Align real", "FVD ↓", "IS ↑",
                                                 "CLIPSIM ↑"]
    row = table.rows[1]
    assert (row.cells["av_align:chance"].score.value, row.cells["av_align:real"].score.value) == (0.05, 0.90)
    assert "av_align:chance" not in table.rows[3].cells  # a reference is a level itself
    assert level_lines(table, table.columns[0]) == {"chance": 0.05, "real": 0.90}
    assert "Both on the same benchmark and AV-Align preset." in table.footnotes[2]


def test_report_csv_lists_metrics_in_display_order():
    (table,) = run_tables(RUNS)
    lines = list(csv.DictReader(io.StringIO(render_csv([table], CSV_FIELDS))))
    assert tuple(lines[0]) == CSV_FIELDS
    assert [r["metric"] for r in lines if r["model"] == "a"] == ["av_align", "fvd", "is", "clipsim"]  # not alphabetical
    assert len(lines) == sum(len(run.results["metrics"]) for run in RUNS)  # level columns are not repeated


def test_report_latex_puts_footnotes_under_the_table_with_a_label():
    (table,) = run_tables(RUNS)
    tex = render_latex([table])
    body = tex.split(r"\begin{tabular}")[1].split(r"\end{tabular}")[0]
    assert body.count(r"\midrule") == 2  # under the header, and above the references
    assert body.index(r"\underline{200.0") < body.index(r"\midrule" + "\n" + r"\textit{real}")
    after = tex.split(r"\end{tabular}")[1]
    assert r"{\footnotesize Presets: AV-Align av\_align-preset v1;" in after
    assert r"\caption{tiny@1: best bold, second underlined.}" in after and r"\label{tab:avbench-tiny-1}" in after


def test_caveats_are_numbered_in_every_renderer():
    rows = [Row("x", "X", score_cells({"fvd": Score(1.0, False)}), notes=("preset unstated", "one clip short")),
            Row("y", "Y", score_cells({"fvd": Score(2.0, False)}), notes=("one clip short",), muted=True)]
    table = build_table("bench", rows)
    table.legend.append("Italic rows are not reportable.")
    assert table.caveats() == {"preset unstated": 1, "one clip short": 2}
    md = render_markdown([table])
    assert "| X<sup>1,2</sup> | **1.000** |" in md and "| *Y<sup>2</sup>* | <u>2.000</u> |" in md
    assert md.index("- <sup>2</sup>one clip short") < md.index("- Italic rows are not reportable.")
    assert r"\textit{Y\textsuperscript{2}}" in render_latex([table])
    assert "<td class='l'>X<sup>1,2</sup></td>" in render_html([table], [])


def test_fvd_vs_av_align_needs_two_rows(tmp_path):
    (one,) = run_tables(RUNS[:1])
    assert fvd_vs_av_align(one, tmp_path) == [] and not list(tmp_path.iterdir())
    (table,) = run_tables(RUNS)
    assert fvd_vs_av_align(table, tmp_path) == ["fvd_vs_av_align.png", "fvd_vs_av_align.svg"]


def test_plots_pair_each_row_with_its_own_run_when_labels_repeat_across_benchmarks():
    from avbench.benchmark.report.plots import _run_rows

    runs = []
    for benchmark, value in (("vggsound", 0.3), ("landscape", 0.1)):
        run = _run("folder", {"av_align": value}, "tempotokens")
        run.results["benchmark"]["name"] = benchmark
        runs.append(Run(Path(f"/runs/{benchmark}/tempotokens"), run.results))
    tables = run_tables(runs)
    assert len(tables) == 2
    for table in tables:
        ((row, run),) = _run_rows(table, runs)
        assert table.benchmark.startswith(run.results["benchmark"]["name"] + "@")
        assert row.cells["av_align"].score.value == run.results["metrics"]["av_align"]["value"]
