"""`avbench leaderboard build`: HELM mean win rate and best/second marks on hand-computed cases,
LaTeX structure, CSV columns, the site's JSON and data.js against the store, plots, the
per-sample browser (AV-Align recomputed from the bundle's media equals the submitted values),
the atomic replacement of SITE, and (marker `browser`) the site in headless Chromium."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import struct
import sys
import tempfile
import types
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from avbench.benchmark.cli import main
from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.generate import generate
from avbench.benchmark.report.plots import pareto_front
from avbench.benchmark.report.render_latex import render_latex
from avbench.benchmark.report.table import Score
from avbench.benchmark.scoring.run import score_run
from avbench.leaderboard.entry_tables import build_tables
from avbench.leaderboard.exports import CSV_COLUMNS, DATA_GLOBAL
from avbench.leaderboard.site import build_site
from avbench.leaderboard.site_plots import reproductions
from avbench.leaderboard.store import Entry, add_entry, read_entries
from avbench.leaderboard.win_rate import mean_win_rates, metric_win_rates
from leaderboard_support import add_run, reported
from avbench.metrics.errors import AvbenchError

PAPER = [reported("paper-vggsound-tempotokens", "TempoTokens", "vggsound",
                  {"fvd": 923, "clipsim": 0.57, "is": 11.04, "av_align": 0.35}, ("AV-Align preset unknown",)),
         reported("paper-vggsound-text2vid", "ModelScope Text2Vid", "vggsound",
                  {"fvd": 801, "clipsim": 0.69, "is": 15.55, "av_align": 0.27}, ("protocol unstated",)),
         reported("paper-landscape-mm-diffusion", "MM-Diffusion", "landscape",
                  {"fvd": 922, "clipsim": 0.53, "is": 2.85, "av_align": 0.41})]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A store with two harness runs on the tiny benchmark (`real` with media, `shuffled-audio`
    without) and, via a stand-in `leaderboard.reported`, three paper rows; the site built from it."""
    root = tmp_path_factory.mktemp("leaderboard")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(root / "cache"))
        mp.setenv("AVBENCH_OFFLINE", "1")
        mp.setitem(sys.modules, "avbench.leaderboard.reported", types.SimpleNamespace(reported_entries=lambda: list(PAPER)))
        bench = load_benchmark("synthetic:tiny")
        store = root / "store"
        for model, media in (("real", True), ("shuffled-audio", False)):
            generate(model, bench, root / "gen" / model, progress=False)
            score_run(bench, root / "gen" / model, root / "runs" / model, workers=1, progress=False)
            add_run(store, root / "runs" / model, f"{model}--tiny", {"name": model, "link": "https://example.org/m"},
                    media=media, work=root)
        summary = build_site(store, root / "site", max_peak_plots=4)
        yield SimpleNamespace(root=root, store=store, site=root / "site", summary=summary,
                              entries=read_entries(store) + PAPER)


def _read_data_js(site: Path) -> dict:
    text = (site / "data.js").read_text(encoding="utf-8")
    prefix = f"window.{DATA_GLOBAL} = "
    assert text.startswith(prefix) and text.rstrip().endswith(";")
    return json.loads(text[len(prefix):].rstrip().rstrip(";"))


# --- mean win rate, ranks, Pareto front: hand-computed ---------------------------------------

def test_mean_win_rate_hand_computed_with_a_tie_and_missing_metrics():
    table = {"A": {"av_align": 0.5, "fvd": 100.0}, "B": {"av_align": 0.3, "fvd": 200.0},
             "C": {"av_align": 0.3, "fvd": None}, "D": {"av_align": 0.1, "fvd": 50.0}, "E": {"kid": 1.0}}
    rates = mean_win_rates(table, {"av_align": True, "fvd": False, "kid": False})
    # av_align: A beats 3 of 3; B and C beat D and tie each other (half a win) -> 1.5/3; D 0.
    # fvd (C missing): D beats A and B -> 1; A beats B -> 1/2; B 0.  kid: one value, ranks nobody.
    assert rates.pop("E") is None
    assert rates == pytest.approx({"A": (1 + 0.5) / 2, "B": (0.5 + 0) / 2, "C": 0.5, "D": (0 + 1) / 2})
    assert metric_win_rates({"x": 2.0, "y": 2.0}, True) == {"x": 0.5, "y": 0.5}
    assert metric_win_rates({"x": 2.0}, True) == {}


def _entry(entry_id, model, scores, benchmark="vggsound", trust="verified", **kw):
    meta = {"av_align": (True, "AV-Align"), "fvd": (False, "FVD")}
    return Entry(entry_id=entry_id, trust=trust, model={"name": model}, benchmark=benchmark,
                 scores={m: Score(v, meta[m][0], ci, 10, f"{m}-preset", "1", meta[m][1]) for m, (v, ci) in scores.items()},
                 source="test", **kw)


def test_best_and_second_follow_each_metric_direction():
    entries = [_entry("a", "A", {"av_align": (0.5, (0.4, 0.6)), "fvd": (300.0, None)}),
               _entry("b", "B", {"av_align": (0.7, None), "fvd": (100.0, None)}),
               _entry("c", "C", {"av_align": (0.7, None), "fvd": (200.0, None)}),
               _entry("d", "D", {"av_align": (0.2, None)})]
    (table,) = build_tables(entries)
    rank = {(r.key, m): c.rank for r in table.rows for m, c in r.cells.items()}
    assert [rank[(k, "av_align")] for k in "abcd"] == [2, 1, 1, None]  # tie for best; the next value is second
    assert [rank[(k, "fvd")] for k in "abc"] == [None, 1, 2]  # lower is better
    assert [r.key for r in table.rows] == ["b", "c", "a", "d"]  # by mean win rate


def test_a_repeated_row_is_listed_once_and_not_counted_twice():
    entries = [_entry("a", "A", {"av_align": (0.5, None)}), _entry("b", "B", {"av_align": (0.3, None)}),
               _entry("a2", "A again", {"av_align": (0.5, None)}, extra={"same_as": "a", "table": "Table 2"})]
    (table,) = build_tables(entries)
    assert [r.key for r in table.rows] == ["a", "b"]
    assert [r.win_rate for r in table.rows] == [1.0, 0.0]  # with the repeat, A would share its win with itself
    assert "Not listed twice: A again (Table 2) repeats the numbers of A." in table.footnotes
    (alone,) = build_tables(entries[2:])  # the row it repeats is not in the table: keep it
    assert [r.key for r in alone.rows] == ["a2"]


def test_pareto_front_lower_fvd_higher_av_align():
    points = [(100.0, 0.3), (200.0, 0.5), (150.0, 0.2), (300.0, 0.5), (50.0, 0.1)]
    assert pareto_front(points) == [4, 0, 1]  # (150, .2) dominated by (100, .3); (300, .5) by (200, .5)


# --- LaTeX ---------------------------------------------------------------------------------

def _balanced(tex: str) -> bool:
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack and tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")


def test_latex_structure_escaping_and_marks():
    entries = [_entry("a", "model_a 50% & #1", {"av_align": (0.5, (0.4, 0.6)), "fvd": (300.0, None)},
                      notes=("variant_x unknown",), suite_version="0.1.0"),
               _entry("b", "B", {"av_align": (0.7, None), "fvd": (100.0, None)}),
               _entry("c", "C", {"av_align": (0.6, None), "fvd": (200.0, None)}, benchmark="my_bench",
                      reportable=False, extra={"reasons": ["custom benchmark my_bench"]}),
               _entry("d", "D", {"av_align": (0.1, None), "fvd": (250.0, None)}, benchmark="my_bench")]
    tex = render_latex(build_tables(entries))
    assert _balanced(tex)
    assert tex.count(r"\begin{tabular}") == 2
    for block in tex.split(r"\begin{tabular}")[1:]:
        body = block.split(r"\end{tabular}")[0]
        assert body.index(r"\toprule") < body.index(r"\midrule") < body.index(r"\bottomrule")
        assert body.count(r"\toprule") == body.count(r"\midrule") == body.count(r"\bottomrule") == 1
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))  # drop comment lines
    plain = re.sub(r"\$[^$]*\$", "", re.sub(r"\\[_%&#$]", "", body))  # drop escaped specials and math
    assert not re.search(r"[_%#$]", plain), "unescaped special character"
    for line in plain.splitlines():  # an & only separates the columns of a table row
        assert line.count("&") in (0, 4), line  # Model, Trust, AV-Align, FVD, Win rate
    assert r"model\_a 50\% \& \#1" in tex and r"variant\_x unknown" in tex and r"my\_bench" in tex
    assert r"AV-Align $\uparrow$" in tex and r"FVD $\downarrow$" in tex
    vgg = tex.split(r"\end{table}")[0]
    assert r"\textbf{0.700}" in vgg and r"\underline{0.500 $\pm$ 0.100}" in vgg  # higher is better
    assert r"\textbf{100.0}" in vgg and r"\underline{300.0}" in vgg  # lower is better
    assert "avbench suite version 0.1.0" in vgg
    assert "Presets: AV-Align av_align-preset v1" in vgg.replace(r"\_", "_")
    own = tex.split(r"\end{table}")[1]
    assert r"\textit{C\textsuperscript{1}}" in own and r"custom benchmark my\_bench." in own and r"\textbf{0.600}" in own and r"\textbf{200.0}" in own


# --- the built site --------------------------------------------------------------------------

def test_site_json_and_data_js_match_the_store(built):
    data = json.loads((built.site / "leaderboard.json").read_text(encoding="utf-8"))
    assert _read_data_js(built.site) == data
    rows = {r["entry_id"]: (b["name"], r) for b in data["benchmarks"] for r in b["rows"]}
    assert set(rows) == {e.entry_id for e in built.entries}
    for entry in built.entries:
        benchmark, row = rows[entry.entry_id]
        assert benchmark == entry.benchmark
        assert (row["trust"], row["reportable"], row["model"], row["notes"]) == (
            entry.trust, entry.reportable, entry.model, list(entry.notes))
        assert set(row["scores"]) == set(entry.scores)
        for metric, score in entry.scores.items():
            shown = row["scores"][metric]
            assert (shown["value"], shown["n"], shown["preset"], shown["version"], shown["higher_is_better"]) == (
                score.value, score.n, score.preset, score.version, score.higher_is_better)
            assert shown["ci95"] == (None if score.ci95 is None else list(score.ci95))
    assert [b["name"] for b in data["benchmarks"]] == ["vggsound", "landscape", "synthetic-tiny"]
    tiny = rows["real--tiny"][1]
    assert tiny["reasons"] == ["custom benchmark synthetic-tiny: not a published benchmark"]
    assert tiny["samples"] == "samples/real--tiny.js" and rows["shuffled-audio--tiny"][1]["samples"] is None


def test_csv_columns_and_values(built):
    rows = list(csv.DictReader(io.StringIO((built.site / "leaderboard.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(len(e.scores) for e in built.entries)
    by_key = {(r["entry_id"], r["metric"]): r for r in rows}
    for entry in built.entries:
        for metric, score in entry.scores.items():
            row = by_key[(entry.entry_id, metric)]
            assert float(row["value"]) == score.value and row["trust"] == entry.trust
            assert (row["ci95_low"], row["ci95_high"]) == (("", "") if score.ci95 is None else tuple(map(repr, score.ci95)))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_plots_are_real_figures_and_empty_ones_are_skipped_with_a_note(built):
    data = json.loads((built.site / "leaderboard.json").read_text(encoding="utf-8"))
    plots = data["plots"] + [p for b in data["benchmarks"] for p in b["plots"]]
    titles = {p["title"] for p in plots}
    assert {"Metrics with 95% CI", "FVD vs AV-Align", "Reported vs reproduced", "Mean win rate ranking"} <= titles
    for plot in plots:
        width, height = _png_size(built.site / plot["png"])
        assert width > 300 and height > 200 and (built.site / plot["png"]).stat().st_size > 8000
        svg = ET.parse(built.site / plot["svg"]).getroot()
        assert svg.tag.endswith("svg") and len(list(svg.iter("{http://www.w3.org/2000/svg}path"))) > 10
    assert any("synthetic-tiny: no FVD vs AV-Align plot" in n for n in data["notes"])  # one model has FVD: skipped
    assert not (built.site / "plots" / "synthetic-tiny" / "fvd_vs_av_align.png").exists()


def test_per_sample_browser_recomputes_av_align_from_the_media(built):
    import pandas as pd

    data = json.loads((built.site / "samples" / "real--tiny.json").read_text(encoding="utf-8"))
    submitted = pd.read_parquet(built.root / "runs" / "real" / "samples.parquet").set_index("sample_id")["value"]
    assert [s["sample_id"] for s in data["samples"]] == sorted(submitted.index)
    plotted = [s for s in data["samples"] if s["peak_plot"]]
    assert len(plotted) == 4 and data["preset"] == "tempotokens-2025"  # --max-peak-plots 4 of 6
    for sample in plotted:
        a = sample["av_align"]
        assert a["agrees"] and a["recomputed"] == pytest.approx(submitted[sample["sample_id"]], abs=1e-12)
        assert _png_size(built.site / sample["peak_plot"])[0] > 500
    site = built.site.resolve()
    for sample in data["samples"]:
        assert sample["scores"]["av_align"] == pytest.approx(submitted[sample["sample_id"]])
        for rel in (sample["video"], sample["audio"]):
            path = (site / rel).resolve()
            assert path.is_file() and site in path.parents  # copied into SITE, never linked outside
    assert (site / "samples" / "real--tiny.js").read_text(encoding="utf-8").startswith("(window.AVBENCH_SAMPLES")


def test_rebuild_replaces_the_site_and_refuses_a_foreign_folder(built, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "avbench.leaderboard.reported", types.SimpleNamespace(reported_entries=lambda: list(PAPER)))
    out = tmp_path / "site"
    assert main(["leaderboard", "build", "--store", str(built.store), "--out", str(out), "--no-reported",
                 "--max-peak-plots", "1"]) == 0
    data = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    assert {r["trust"] for b in data["benchmarks"] for r in b["rows"]} == {"reference"}
    (out / "stale.txt").write_text("old")
    build_site(built.store, out, max_peak_plots=1)
    assert not (out / "stale.txt").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "notes.md").write_text("mine")
    with pytest.raises(AvbenchError, match="not a leaderboard site"):
        build_site(built.store, foreign)
    assert (foreign / "notes.md").read_text() == "mine"


def test_reproductions_pair_paper_rows_with_our_runs(tmp_path):
    ours = _entry("ours-tt", "tempotokens", {"av_align": (0.31, (0.28, 0.34)), "fvd": (950.0, None)})
    other = _entry("ours-x", "Other", {"av_align": (0.2, None)}, extra={"reproduces": "paper-vggsound-text2vid"})
    (table,) = build_tables([ours, other] + PAPER[:2])
    assert sorted((p.key, o.key) for p, o in reproductions(table, [ours, other] + PAPER[:2])) == [
        ("paper-vggsound-tempotokens", "ours-tt"), ("paper-vggsound-text2vid", "ours-x")]
    store = tmp_path / "store"
    for entry in (ours, *PAPER[:2]):
        add_entry(store, entry)
    build_site(store, tmp_path / "site", include_reported=False)
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text(encoding="utf-8"))
    assert any(p["title"] == "Reported vs reproduced" for p in data["plots"])


# --- the site in a browser ---------------------------------------------------------------------

def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.mark.browser
def test_site_in_headless_chromium(built):
    found = _chromium()
    if found is None:
        message = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):  # .ci/run installs them: a skip there would hide a broken site
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Path(os.environ.get("AVBENCH_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="avbench-screens-"))
    shots.mkdir(parents=True, exist_ok=True)
    options = Options()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    try:
        driver.get(built.site.resolve().as_uri() + "/index.html")
        wait = WebDriverWait(driver, 10)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#table tbody tr"))

        def column(metric: str) -> list[str]:
            return [td.text for td in driver.find_elements(By.CSS_SELECTOR, f'#table tbody td[data-metric="{metric}"]')]

        def models() -> list[str]:
            return [tr.get_attribute("data-entry") for tr in driver.find_elements(By.CSS_SELECTOR, "#table tbody tr")]

        assert driver.find_element(By.ID, "table").get_attribute("data-benchmark") == "vggsound"
        before = models()
        assert before == ["paper-vggsound-text2vid", "paper-vggsound-tempotokens"]  # by mean win rate: 0.75, 0.25
        driver.find_element(By.CSS_SELECTOR, '#table th[data-key="av_align"]').click()  # best AV-Align first
        assert models() == ["paper-vggsound-tempotokens", "paper-vggsound-text2vid"] != before
        driver.find_element(By.CSS_SELECTOR, '#table th[data-key="fvd"]').click()  # lowest FVD first
        fvd = [float(t.split()[0]) for t in column("fvd")]
        assert fvd == sorted(fvd)
        driver.find_element(By.CSS_SELECTOR, '#table th[data-key="fvd"]').click()
        assert [float(t.split()[0]) for t in column("fvd")] == sorted(fvd, reverse=True)
        driver.save_screenshot(str(shots / "leaderboard-table.png"))

        driver.find_element(By.CSS_SELECTOR, 'nav button[data-benchmark="synthetic-tiny"]').click()
        assert driver.find_element(By.ID, "table").get_attribute("data-benchmark") == "synthetic-tiny"
        assert set(models()) == {"real--tiny", "shuffled-audio--tiny"}
        assert "not reportable" in driver.find_element(By.ID, "table").text
        driver.save_screenshot(str(shots / "leaderboard-tab.png"))

        driver.find_element(By.CSS_SELECTOR, 'button.samples-link[data-entry="real--tiny"]').click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#samples-table tbody tr"))
        assert len(driver.find_elements(By.CSS_SELECTOR, "#samples-table tbody tr")) == 6
        wait.until(lambda d: d.execute_script("var v = document.querySelector('#sample-detail video');"
                                              "return v && v.readyState >= 1 && v.videoWidth > 0"))
        assert driver.execute_script("return document.querySelector('#sample-detail audio').readyState") >= 1
        assert driver.execute_script("var i = document.querySelector('#sample-detail img');"
                                     "return i && i.complete && i.naturalWidth > 0")
        assert "(agree)" in driver.find_element(By.ID, "sample-detail").text
        driver.set_window_size(1400, 1350)  # video, scores and peak plot in one screenshot
        driver.save_screenshot(str(shots / "leaderboard-samples.png"))
    finally:
        driver.quit()
