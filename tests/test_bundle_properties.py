"""Property tests (Hypothesis) of what `avbench submit` parses from a bundle: CHECKSUMS text, the
zip's member names, model_card.yaml and results.json. Whatever a submitter puts there is accepted
as valid or refused with one line (an AvbenchError, as the CLI prints it): never another
exception, never a half-extracted archive, and what is accepted can be stored."""
from __future__ import annotations

import copy
import json
import math
import re
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from avbench.leaderboard.bundle import CHECKSUMS, checksums_text, parse_checksums
from avbench.leaderboard.model_card import FIELDS, read_card, validate_card
from avbench.leaderboard.safe_zip import safe_extract
from avbench.leaderboard.verify import SubmitOptions, make_entry, verify_extracted
from avbench.metrics.errors import AvbenchError
from avbench.metrics.fileio import sha256_file
from leaderboard_support import demo_bundles

FAST = settings(max_examples=300, deadline=None, database=None)


def assert_one_line(exc: Exception) -> None:
    assert isinstance(exc, AvbenchError), repr(exc)
    assert str(exc) and not set(str(exc)) & set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), str(exc)


# --- CHECKSUMS ----------------------------------------------------------------------------------

_HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
_LINE = st.builds("{}  {}".format, _HEX, st.text(max_size=20)) | st.text(max_size=80)


@FAST
@given(st.lists(_LINE, max_size=6).map("\n".join) | st.text())
def test_checksums_text_parses_or_is_refused_in_one_line(text):
    try:
        listed = parse_checksums(text)
    except Exception as exc:  # noqa: BLE001 - the property: nothing but a one-line AvbenchError
        assert_one_line(exc)
        return
    assert all(re.fullmatch("[0-9a-f]{64}", digest) and name for name, digest in listed.items())
    assert parse_checksums(checksums_text(listed)) == listed  # what is accepted is written back the same


# --- zip member names ---------------------------------------------------------------------------

# Names built from a few parts, so that names nest, repeat and clash (`a`, `a/b`, `A/b/`), and
# from any text.
_PART = st.sampled_from(["a", "A", "b", "..", ".", "", "c:", "x\\y", "n\nl", "\x00"]) | st.text(max_size=6)
_NAME = st.lists(_PART, min_size=1, max_size=3).map("/".join) | st.text(max_size=30)


@FAST
@given(st.lists(_NAME, min_size=1, max_size=6))
def test_member_names_extract_safely_or_are_refused_in_one_line(names):
    with tempfile.TemporaryDirectory() as tmp:
        archive, dest = Path(tmp) / "bundle.zip", Path(tmp) / "out"
        dest.mkdir()
        with warnings.catch_warnings(), zipfile.ZipFile(archive, "w") as zf:
            warnings.simplefilter("ignore")  # duplicate names are part of the input
            for name in names:
                zf.writestr(zipfile.ZipInfo(name), b"x")
        try:
            extracted = safe_extract(archive, dest)
        except Exception as exc:  # noqa: BLE001
            assert_one_line(exc)
            assert sorted(p.name for p in Path(tmp).iterdir()) == ["bundle.zip", "out"]  # nothing beside dest
            return
        for name in extracted:
            target = (dest / name).resolve()
            assert dest.resolve() in target.parents and target.read_bytes() == b"x"


# --- model_card.yaml ----------------------------------------------------------------------------

_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates()
_VALUE = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=6)
_CARD = st.dictionaries(st.sampled_from(list(FIELDS)) | st.text(max_size=12), _VALUE, max_size=6)


@FAST
@given(_CARD.map(lambda card: yaml.safe_dump(card, allow_unicode=True)) | st.text())
def test_model_card_is_valid_or_refused_in_one_line(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model_card.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            card = read_card(path)
        except Exception as exc:  # noqa: BLE001
            assert_one_line(exc)
            return
    assert set(card) <= set(FIELDS) and card["name"]
    json.dumps(card, allow_nan=False)  # the store writes it as strict JSON
    assert validate_card(card, "again") == card


# --- results.json -------------------------------------------------------------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=6)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A packed demo run (the tiny benchmark's real clips, AV-Align), extracted."""
    with demo_bundles(tmp_path_factory, "properties") as root:
        folder = root / "extracted"
        folder.mkdir()
        names = safe_extract(root / "real.zip", folder)
        yield SimpleNamespace(archive=root / "real.zip", folder=folder, names=names,
                              results=json.loads((folder / "results.json").read_text()))


def _paths(node, prefix=()):
    """Every path into a JSON document (the root first)."""
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def _nudged(value):
    """A value of the same JSON type, changed (so that the schema still holds, mostly)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1 if isinstance(value, int) else value * 1.001 + 1e-6
    if isinstance(value, str):
        return value + "x"
    return value


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_results_json_is_verified_or_refused_in_one_line(bundle, data):
    results = copy.deepcopy(bundle.results)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        path = data.draw(st.sampled_from(list(_paths(results))), label="path")
        action = data.draw(st.sampled_from(["nudge", "replace", "delete"]), label="action")
        parent = results
        for key in path[:-1]:
            parent = parent[key]
        if not path:
            results = data.draw(_JSON, label="document")
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = _nudged(parent[path[-1]]) if action == "nudge" else data.draw(_JSON, label="value")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bundle"
        shutil.copytree(bundle.folder, folder)
        (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")  # NaN, Infinity as JSON allows
        listed = parse_checksums((folder / CHECKSUMS).read_text())
        listed["results.json"] = sha256_file(folder / "results.json")
        (folder / CHECKSUMS).write_text(checksums_text(listed))
        try:
            verified = verify_extracted(bundle.archive, folder, bundle.names, SubmitOptions(trust="reference"))
        except Exception as exc:  # noqa: BLE001
            assert_one_line(exc)
            event(f"refused: {str(exc)[17:60]}")  # --hypothesis-show-statistics: which checks refused
            return
    event("accepted")
    entry = make_entry(verified, "reference")
    json.dumps(entry.to_dict(), allow_nan=False)  # the store writes it as strict JSON
    genuine = bundle.results["metrics"]["av_align"]
    score = entry.scores["av_align"]
    assert math.isclose(score.value, genuine["value"], rel_tol=1e-9) and score.n == genuine["n"]
    assert (score.title, score.higher_is_better) == (genuine["title"], genuine["higher_is_better"])
