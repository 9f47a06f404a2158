"""The leaderboard store round-trips entries and adds them atomically."""
from __future__ import annotations

import json

import pytest

from avbench.benchmark.report.runs import scores_from_results
from avbench.benchmark.report.table import Score
from avbench.leaderboard.store import Entry, add_entry, entry_dir, read_entries
from avbench.metrics.errors import AvbenchError, InputError


def _entry(entry_id: str = "m1--tiny", value: float = 0.5) -> Entry:
    return Entry(entry_id=entry_id, trust="self-reported", model={"name": "Model 1"}, benchmark="tiny",
                 scores={"av_align": Score(value, True, (0.4, 0.6), 6, "tempotokens-2025", "1", "AV-Align")},
                 source="sha256:00", notes=("a caveat",))


def test_round_trip_and_bundle_copy(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "results.json").write_text("{}")
    add_entry(tmp_path / "store", _entry(), bundle)
    (entry,) = read_entries(tmp_path / "store")
    assert entry == _entry()
    assert (entry_dir(tmp_path / "store", "m1--tiny") / "bundle" / "results.json").read_text() == "{}"


def test_existing_id_refused_unless_replaced(tmp_path):
    add_entry(tmp_path, _entry())
    with pytest.raises(AvbenchError, match="already holds entry m1--tiny"):
        add_entry(tmp_path, _entry(value=0.7))
    add_entry(tmp_path, _entry(value=0.7), replace=True)
    assert [e.scores["av_align"].value for e in read_entries(tmp_path)] == [0.7]
    assert sorted(p.name for p in (tmp_path / "entries").iterdir()) == ["m1--tiny"]  # no temp/old folders left


def test_bad_trust_and_ids_refused():
    with pytest.raises(AvbenchError, match="trust must be one of"):
        Entry("x", "trusted", {"name": "m"}, "tiny", {}, "s")
    with pytest.raises(AvbenchError, match="entry id"):
        Entry("../x", "reported", {"name": "m"}, "tiny", {}, "s")


def test_unreadable_entry_names_the_file(tmp_path):
    bad = tmp_path / "entries" / "x" / "entry.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match=r"entries/x/entry.json"):
        read_entries(tmp_path)


def test_scores_from_results():
    results = {"metrics": {"fvd": {"value": 812.5, "higher_is_better": False, "ci95": None, "n": 100,
                                   "preset": "fvd/styleganv", "version": "1", "title": "FVD"}}}
    assert scores_from_results(results) == {"fvd": Score(812.5, False, None, 100, "fvd/styleganv", "1", "FVD")}
