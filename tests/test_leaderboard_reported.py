"""The paper's tables as data: structure, hand-checked numbers (copied from arXiv:2309.16429v1, Tables 1-3, by
hand, not from the YAML), internal consistency, provenance and caveats on every entry."""
from __future__ import annotations

from avbench.leaderboard.reported import reported_entries, reported_tables
from avbench.leaderboard.store import Entry

METRICS = ["fvd", "clipsim", "isv", "av_align"]


def _by_id() -> dict[str, Entry]:
    return {e.entry_id: e for e in reported_entries()}


def _row(table: str, key: str):
    return next(r for r in reported_tables()[table].rows if r.key == key)


def test_structure():
    tables = reported_tables()
    assert set(tables) == {"tempotokens-table1", "tempotokens-table2", "tempotokens-table3"}
    assert [c[1] for c in tables["tempotokens-table1"].columns] == METRICS
    table_rows = {t: [r for r in tables[t].rows if not r.point] for t in tables}
    assert [len(table_rows[t]) for t in sorted(tables)] == [7, 3, 6]
    assert sum(len(r.values) for rows in table_rows.values() for r in rows) == 64  # every number in Tables 1-3
    entries = reported_entries()
    assert len(entries) == 16 + 2 and len({e.entry_id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.trust == "reported" and entry.source and entry.notes
        assert set(entry.extra["provenance"]) == set(entry.scores) == set(entry.extra["reported"])
        for metric, text in entry.extra["reported"].items():
            assert entry.scores[metric].value == float(text)
            assert entry.scores[metric].higher_is_better is (metric != "fvd")
            assert entry.scores[metric].preset is None  # protocol unknown


def test_hand_checked_values():
    assert _row("tempotokens-table1", "vggsound/ours").values == {"fvd": "923", "clipsim": "0.57", "isv": "11.04",
                                                                    "av_align": "0.35"}
    assert _row("tempotokens-table1", "audioset-drums/tats").values == {"fvd": "303", "clipsim": "0.69", "isv": "2.10",
                                                                          "av_align": "0.28"}
    assert _row("tempotokens-table1", "landscape/mm-diffusion").values["isv"] == "2.85"
    assert _row("tempotokens-table1", "vggsound/modelscope-random").values["fvd"] == "1023"
    assert _row("tempotokens-table2", "text+audio").values == {"fvd": "859", "clipsim": "0.58", "isv": "11.66",
                                                                "av_align": "0.36"}
    assert _row("tempotokens-table3", "win1").values == {"fvd": "998", "clipsim": "0.56", "isv": "9.22", "av_align": "0.36"}
    assert _row("tempotokens-table3", "vec").values["av_align"] == "0.29"
    assert _row("tempotokens-table1", "audioset-drums/ours").provenance["isv"] == "Table 1 / AudioSet-Drums, Ours / IS"


def test_tables_agree_with_each_other():
    t1 = {r.key: r.values for r in reported_tables()["tempotokens-table1"].rows}
    assert _row("tempotokens-table2", "text").values == t1["vggsound/modelscope-text2vid"]
    assert _row("tempotokens-table2", "audio").values == t1["vggsound/ours"]
    assert _row("tempotokens-table3", "win5").values == t1["vggsound/ours"]
    entries = _by_id()
    for entry in entries.values():
        if "same_as" in entry.extra:
            assert entry.scores == entries[entry.extra["same_as"]].scores
    assert {e.extra["same_as"] for e in entries.values() if "same_as" in e.extra} == {
        "tempotokens-aaai24--table1--vggsound-modelscope-text2vid", "tempotokens-aaai24--table1--vggsound-ours"}


def test_reference_points_and_caveats():
    entries = _by_id()
    real = entries["tempotokens-aaai24--vggsound-real-videos"]
    assert real.benchmark == "vggsound" and real.extra["reported"] == {"av_align": "0.51"}
    assert "0.51" in real.extra["quote"] and "arXiv:2309.16429v1" in real.source
    sah = entries["tempotokens-aaai24--vggsound-tempotokens-by-seeing-and-hearing"]
    assert sah.extra["reported"] == {"av_align": "0.423", "fvd": "1866.285"}
    assert "arXiv:2402.17723" in sah.source and "Table 1" in sah.extra["provenance"]["av_align"]
    assert any("do not compare AV-Align across papers" in n for n in sah.notes)
    assert any("3k random VGGSound pairs" in n for n in sah.notes)
    ours = entries["tempotokens-aaai24--table1--vggsound-ours"]
    for caveat in ("AV-Align preset unknown", "protocol unstated", "arXiv:2309.16429v1", "all match",
                   "camera-ready and later arXiv versions remain unchecked"):
        assert any(caveat in n for n in ours.notes), caveat
    assert not any("spot-check" in n for e in entries.values() for n in e.notes)
    assert any("K in {1,2,3,4}" in n for n in entries["tempotokens-aaai24--table3--win4"].notes)
    assert entries["tempotokens-aaai24--table1--landscape-mm-diffusion"].model == {"name": "MM-Diffusion"}


def test_the_file_holds_68_numbers():
    """The caveat says every number of the file was checked: 64 in Tables 1-3, the real-video 0.51
    and Seeing and Hearing's TempoTokens row (AV-Align, FVD, KVD), counted from the YAML itself."""
    import yaml

    from avbench.leaderboard.reported import REPORTED

    data = yaml.safe_load((REPORTED / "tempotokens-aaai24.yaml").read_text(encoding="utf-8"))
    in_tables = [v for table in data["tables"] for row in table["rows"] for v in row["values"]]
    in_points = [v for p in data["points"] for v in (*p["values"].values(), *p.get("other", {}).values())]
    assert (len(in_tables), len(in_points)) == (64, 4)
    assert "All 68 numbers" in (REPORTED / "tempotokens-aaai24.yaml").read_text(encoding="utf-8")
