"""Reference rows on the leaderboard: the real videos and the chance-level controls are drawn
below the contenders, left out of the ranking and the mean win rate (hand-computed with and
without them), each contender's AV-Align is placed between chance and real, and only our own
runs and the paper's transcribed rows can be references (never a submission, whatever its name)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from avbench.benchmark.report.table import Score
from avbench.leaderboard.entry_tables import build_tables, reference_of
from avbench.leaderboard.reported import reported_entries
from avbench.leaderboard.site import build_site
from avbench.leaderboard.store import Entry, add_entry


def _entry(entry_id: str, av_align: float, fvd: float | None = None, trust: str = "verified",
           adapter: str | None = None, preset: str = "tempotokens-2025", name: str | None = None) -> Entry:
    scores = {"av_align": Score(av_align, True, None, 10, preset, "1", "AV-Align")}
    if fvd is not None:
        scores["fvd"] = Score(fvd, False, None, 10, "fvd/i3d", "1", "FVD")
    return Entry(entry_id=entry_id, trust=trust, model={"name": name or entry_id.upper()}, benchmark="vggsound",
                 scores=scores, source="test", extra={"adapter": adapter} if adapter else {})


CONTENDERS = [_entry("a", 0.40, 300.0), _entry("b", 0.30, 200.0), _entry("c", 0.20, 500.0)]
REFERENCES = [_entry("real", 0.55, 10.0, trust="reference", adapter="real"),
              _entry("chance", 0.10, trust="reference", adapter="shuffled-audio"),
              _entry("shifted", 0.15, trust="reference", adapter="shifted")]


def test_win_rates_hand_computed_with_and_without_reference_rows():
    # av_align: a beats b and c (1), b beats c (1/2), c none (0); fvd (lower better): b 1, a 1/2, c 0.
    by_hand = {"a": (1 + 0.5) / 2, "b": (0.5 + 1) / 2, "c": 0.0}
    for entries in (CONTENDERS, CONTENDERS + REFERENCES):
        (table,) = build_tables(entries)
        rates = {r.key: r.win_rate for r in table.rows}
        assert {k: rates[k] for k in by_hand} == pytest.approx(by_hand)
    assert [r.key for r in table.rows] == ["a", "b", "c", "chance", "real", "shifted"]  # references below, by name
    assert {r.key: r.reference for r in table.rows if r.is_reference} == {"real": "real", "chance": "chance",
                                                                          "shifted": "shifted"}
    assert all(rates[k] is None for k in ("real", "chance", "shifted"))
    # ranks (best, second) are the contenders' own: the real videos' 0.55 and FVD 10 take neither
    assert [table.rows[k].cells["av_align"].rank for k in range(3)] == [1, 2, None]
    assert [table.rows[k].cells["fvd"].rank for k in range(3)] == [2, 1, None]
    assert any("Reference rows" in n and "not ranked" in n for n in table.footnotes)


def test_av_align_between_chance_and_real():
    other_preset = _entry("d", 0.35, preset="tempotokens-2023")  # no reference with its preset: no position
    (table,) = build_tables(CONTENDERS + REFERENCES + [other_preset])
    rows = {r.key: r for r in table.rows}
    for key, x in (("a", 0.40), ("b", 0.30), ("c", 0.20)):
        assert rows[key].fields["av_align_position"] == pytest.approx((x - 0.10) / (0.55 - 0.10))
        assert rows[key].cells["av_align:chance"].score.value == 0.10
        assert rows[key].cells["av_align:real"].score.value == 0.55
    assert rows["d"].fields["av_align_position"] is None and "av_align:real" not in rows["d"].cells
    assert all(rows[k].fields["av_align_position"] is None for k in ("real", "chance", "shifted"))
    assert [c.key for c in table.columns] == ["av_align", "av_align:chance", "av_align:real", "fvd"]
    assert any("shuffled-audio control" in n for n in table.footnotes)
    assert any("(x − chance) / (real − chance)" in n for n in table.footnotes)
    (only_real,) = build_tables(CONTENDERS + REFERENCES[:1])  # one level only: no position, no column
    assert all(r.fields["av_align_position"] is None for r in only_real.rows)
    assert "AV-Align chance→real" not in [c.header for c in only_real.text_columns]


def test_only_our_runs_and_the_papers_rows_are_references():
    impostors = [_entry("x", 0.9, name="Real videos (ground truth)", adapter="real"),  # a verified submission
                 _entry("y", 0.9, trust="self-reported", name="shuffled-audio", adapter="shuffled-audio"),
                 _entry("z", 0.9, trust="reference", adapter="reference", name="real"),  # our TempoTokens run
                 _entry("w", 0.9, trust="reference", name="real")]  # no generator recorded
    assert [reference_of(e) for e in impostors] == [None] * 4
    paper = {e.entry_id: e for e in reported_entries()}
    real = paper["tempotokens-aaai24--vggsound-real-videos"]
    assert reference_of(real) == "real"
    assert [e.entry_id for e in paper.values() if reference_of(e)] == [real.entry_id]
    vggsound = next(t for t in build_tables(list(paper.values())) if t.benchmark == "vggsound")
    # the real videos' single 0.51 once topped this tab with a win rate of 1.000
    assert vggsound.rows[-1].key == real.entry_id and vggsound.rows[-1].win_rate is None
    assert vggsound.rows[0].label == "TempoTokens (text + audio, \"A video of <audio tokens> <class>\")"
    assert all(r.fields["av_align_position"] is None for r in vggsound.rows)  # the paper has no chance row


def test_site_data_marks_the_reference_rows(tmp_path):
    store = tmp_path / "store"
    for entry in CONTENDERS + REFERENCES:
        add_entry(store, entry)
    build_site(store, tmp_path / "site", include_reported=False)
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text(encoding="utf-8"))
    (bench,) = data["benchmarks"]
    rows = {r["entry_id"]: r for r in bench["rows"]}
    assert {k: r["reference"] for k, r in rows.items()} == {"a": None, "b": None, "c": None, "real": "real",
                                                            "chance": "chance", "shifted": "shifted"}
    assert rows["a"]["av_align_position"] == pytest.approx(0.30 / 0.45) and rows["real"]["win_rate"] is None
    assert rows["a"]["scores"]["av_align:real"]["value"] == 0.55
    assert [(c["metric"], c["level"]) for c in bench["columns"]] == [
        ("av_align", None), ("av_align:chance", "chance"), ("av_align:real", "real"), ("fvd", None)]
    lines = list(csv.DictReader(io.StringIO((tmp_path / "site" / "leaderboard.csv").read_text(encoding="utf-8"))))
    assert {(r["entry_id"], r["reference"]) for r in lines if r["metric"] == "av_align"} == {
        ("a", ""), ("b", ""), ("c", ""), ("real", "real"), ("chance", "chance"), ("shifted", "shifted")}
    app = (tmp_path / "site" / "app.js").read_text(encoding="utf-8")
    assert "row.reference" in app and "av_align_position" in app
