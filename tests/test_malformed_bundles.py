"""Tampered and malformed submission bundles (area `bundle`), each made from a real packed demo run
(the tiny benchmark's real clips, AV-Align), edited, its CHECKSUMS rewritten to match where that
makes the tamper consistent, and submitted through the installed `avbench submit` in a fresh
process. A refused bundle gets one line naming the member and the problem, and the store stays
empty; an accepted one enters with nothing of the bundle's unverifiable word in its entry."""
from __future__ import annotations

import io
import json
import statistics
from dataclasses import dataclass
from importlib.metadata import version
from typing import Callable

import pyarrow.parquet as pq
import pytest
import yaml

from avbench.benchmark.scoring.pipeline import config_hash
from avbench.metrics.cache import cache_key
from leaderboard_support import bundle_members, demo_bundles, edit_json, edit_samples, edit_yaml, write_bundle
from malformed_support import ERROR, SCORED, Case, assert_clear_error, assert_no_traceback, assert_real_number, avbench

Members = dict[str, bytes]


@dataclass(frozen=True)
class Tamper:
    """How to make a case's bundle from the genuine one, and what its one error line must hold."""

    edit: Callable[[Members], Members | None]
    needles: tuple[str, ...] = ()
    source: str = "real.zip"
    checksums: bool = True  # rewrite CHECKSUMS to match the edited members


CASES: list[Case] = []
TAMPERS: dict[str, Tamper] = {}


def case(name: str, outcome: str, *needles: str, source: str = "real.zip", checksums: bool = True):
    def register(edit: Callable[[Members], Members | None]) -> Callable:
        CASES.append(Case(name, "bundle", outcome))
        TAMPERS[name] = Tamper(edit, needles, source, checksums)
        return edit
    return register


def results(edit: Callable[[dict], None]) -> Callable[[Members], None]:
    return lambda members: edit_json(members, "results.json", edit)


def without_items(edit: Callable[[Members], None]) -> Callable[[Members], None]:
    """`edit`, on the bundle less the custom benchmark's items.csv."""
    def apply(members: Members) -> None:
        del members["items.csv"]
        edit(members)
    return apply


def consistent(members: Members) -> None:
    """config_hash and run_id made to match an edited config.yaml, as `score` would have written them."""
    chash = config_hash(yaml.safe_load(members["config.yaml"]))

    def rehash(r: dict) -> None:
        r["config_hash"] = chash
        r["run_id"] = f"sha256:{cache_key({'config_hash': chash, 'inputs': r['inputs']['manifest_sha256']})}"
    edit_json(members, "results.json", rehash)


def relabel(members: Members, old: str, new: str) -> None:
    members["manifest.csv"] = members["manifest.csv"].replace(f",{old},".encode(), f",{new},".encode())


def card(fields: dict) -> Callable[[Members], None]:
    def edit(members: Members) -> None:
        members["model_card.yaml"] = yaml.safe_dump({"name": "real", **fields}).encode()
    return edit


# --- results.json edited (CHECKSUMS rewritten): every field is written again from the run's files ---

case("by-category-value-edited", ERROR, "results.json", "by_category.av_align.dense taps.value")(
    results(lambda r: r["by_category"]["av_align"]["dense taps"].update(value=0.99)))
case("by-category-class-renamed", ERROR, "results.json", "by_category.av_align")(
    results(lambda r: r["by_category"]["av_align"].update({"drums": r["by_category"]["av_align"].pop("dense taps")})))
case("counts-listed-edited", ERROR, "results.json", "counts.listed")(
    results(lambda r: r["counts"].update(listed=60)))
case("counts-expected-and-failed-edited", ERROR, "results.json", "expects 7 samples")(
    results(lambda r: r["counts"].update(expected=7, failed=1)))
case("metric-title-edited", ERROR, "results.json", "metrics.av_align.title")(
    results(lambda r: r["metrics"]["av_align"].update(title="Sync")))
case("metric-direction-flipped", ERROR, "results.json", "metrics.av_align.higher_is_better")(
    results(lambda r: r["metrics"]["av_align"].update(higher_is_better=False)))
case("metric-parameters-edited", ERROR, "results.json", "metrics.av_align.parameters.audio_span")(
    results(lambda r: r["metrics"]["av_align"]["parameters"].update(audio_span="segment")))
case("flags-made-reportable", ERROR, "results.json", "flags.")(
    results(lambda r: r["flags"].update(reportable=True, reasons=[])))
# (items.csv left out: the name is then looked up among ours; with its items a custom benchmark's
# bundle is checked against them, which the cases after these test)
case("benchmark-named-by-a-path", ERROR, "results.json", "names benchmark '/etc/hostname', not one of ours")(
    without_items(results(lambda r: r["benchmark"].update(name="/etc/hostname"))))
case("benchmark-named-a-huge-synthetic-one", ERROR, "results.json", "names benchmark 'synthetic-50000'")(
    without_items(results(lambda r: r["benchmark"].update(name="synthetic-50000"))))
case("benchmark-renamed-beside-its-items", ERROR, "the bundle scored benchmark /etc/hostname, ours is synthetic-tiny")(
    results(lambda r: r["benchmark"].update(name="/etc/hostname")))
case("run-id-edited", ERROR, "results.json", "run_id")(
    results(lambda r: r.update(run_id="sha256:" + "0" * 64)))
case("model-label-edited", ERROR, "results.json", "model.label")(
    results(lambda r: r["model"].update(label="TempoTokens")))
case("seeds-edited", ERROR, "results.json", "seeds.protocol")(
    results(lambda r: r["seeds"].update(protocol=1)))


# --- the run's other files edited, alone or consistently with results.json ---

@case("manifest-label-edited", ERROR, "samples.parquet", "manifest.csv", "'silence'")
def _(members):
    relabel(members, "sparse taps", "silence")


@case("labels-edited-consistently", ERROR, "manifest.csv", "synthetic-tiny@1 gives 'sparse taps'")
def _(members):
    relabel(members, "sparse taps", "silence")
    edit_samples(members, lambda rows: [{**r, "label": "silence" if r["label"] == "sparse taps" else r["label"]}
                                        for r in rows])
    edit_json(members, "results.json", lambda r: r["by_category"]["av_align"].update(
        {"silence": r["by_category"]["av_align"].pop("sparse taps")}))


@case("benchmark-kind-made-builtin", ERROR, "config.yaml", "benchmark.kind")
def _(members):
    edit_yaml(members, "config.yaml", lambda c: c["benchmark"].update(kind="builtin"))
    edit_json(members, "results.json", lambda r: (r["benchmark"].update(kind="builtin"), r["flags"].update(
        reportable=True, reasons=[], custom_input=False)))
    consistent(members)


@case("protocol-fps-edited", ERROR, "config.yaml", "benchmark.protocol.fps")
def _(members):
    edit_yaml(members, "config.yaml", lambda c: c["benchmark"]["protocol"].update(fps=30))
    edit_json(members, "results.json", lambda r: r["benchmark"]["protocol"].update(fps=30))
    consistent(members)


@case("failures-list-a-scored-sample", ERROR, "failures.csv", "clip0001")
def _(members):
    members["failures.csv"] += b"clip0001,media,corrupt: unreadable\n"


@case("manifest-column-dropped", ERROR, "manifest.csv", "lacks column(s) text")
def _(members):
    lines = members["manifest.csv"].decode().splitlines()
    members["manifest.csv"] = "".join(",".join(line.split(",")[:4] + line.split(",")[5:]) + "\n" for line in lines).encode()


@case("manifest-column-added", ERROR, "manifest.csv", "column(s) note that avbench does not write")
def _(members):
    lines = members["manifest.csv"].decode().splitlines()
    members["manifest.csv"] = "".join(f"{line},{'note' if i == 0 else 'x'}\n" for i, line in enumerate(lines)).encode()


@case("manifest-not-utf8", ERROR, "manifest.csv", "is not UTF-8 text")
def _(members):
    members["manifest.csv"] = members["manifest.csv"].replace(b"sparse taps", b"sparse \xff taps")


@case("samples-value-null", ERROR, "samples.parquet", "value a number")
def _(members):
    edit_samples(members, lambda rows: [{**r, "value": None if r["sample_id"] == "clip0002" else r["value"]}
                                        for r in rows])


@case("config-metrics-a-list", ERROR, "config.yaml", "not a run config avbench writes")
def _(members):
    edit_yaml(members, "config.yaml", lambda c: c.update(metrics=["av_align"]))


@case("checksums-line-garbled", ERROR, "CHECKSUMS", "expected '<sha256>  <member>'", checksums=False)
def _(members):
    members["CHECKSUMS"] = b"not a checksum line\n" + members["CHECKSUMS"]


# --- the model card: checked for its types and against the scored videos ---

case("card-fps-not-the-videos", ERROR, "model_card.yaml", "wrong fps: 24")(card({"fps": 30}))
case("card-resolution-not-the-videos", ERROR, "model_card.yaml", "wrong size: 160x120")(card({"resolution": "1920x1080"}))
case("card-fps-nan", ERROR, "model_card.yaml", "fps: must be a positive number")(card({"fps": float("nan")}))
case("card-unknown-field-with-newline", ERROR, "model_card.yaml", "unknown model card field(s) 'fps\\nx'")(
    card({"fps\nx": 1}))


# --- the archive itself ---

@case("card-both-file-and-folder", ERROR, "model_card.yaml", "is both a file and a folder")
def _(members):
    members["model_card.yaml/x"] = b"name: x\n"


@case("folder-before-file", ERROR, "model_card.yaml", "is both a file and a folder")
def _(members):
    return {"model_card.yaml/x": b"name: x\n", **members}


@case("member-name-with-newline", ERROR, "states/a\\nb.npz", "a control character in its name")
def _(members):
    members["states/a\nb.npz"] = members["states/av_align.npz"]


# --- accepted: what the store records is what verification established ---

@case("genuine", SCORED)
def _(members):
    pass


@case("genuine-with-media", SCORED, source="real-media.zip")
def _(members):
    pass


@case("provenance-edited", SCORED)
def _(members):
    edit_json(members, "results.json", lambda r: r["provenance"].update(avbench_version="9.9", python="2.7"))


@case("counts-unexpected-edited", SCORED)
def _(members):
    edit_json(members, "results.json", lambda r: r["counts"].update(unexpected=40))


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    with demo_bundles(tmp_path_factory, "bundles") as root:
        yield root


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_bundle(packed, tmp_path, case):
    tamper = TAMPERS[case.name]
    members = bundle_members(packed / tamper.source)
    members = tamper.edit(members) or members
    bundle = write_bundle(tmp_path / "bundle.zip", members, checksums=tamper.checksums)
    store = tmp_path / "store"
    done = avbench("submit", str(bundle), "--store", str(store), "--trust", "reference")
    if case.outcome == ERROR:
        line = assert_clear_error(done, *tamper.needles)
        assert line.startswith("avbench submit: error: bundle rejected: ")
        assert not (store / "entries").exists() or not any((store / "entries").iterdir())  # nothing half-added
        return
    assert_no_traceback(done)
    assert done.returncode == 0 and "added real--synthetic-tiny--" in done.stdout, (done.stdout, done.stderr)
    (entry_file,) = (store / "entries").glob("*/entry.json")
    entry = json.loads(entry_file.read_text())
    samples = pq.read_table(io.BytesIO(members["samples.parquet"])).to_pylist()
    mean = statistics.fmean(r["value"] for r in samples if r["metric"] == "av_align")
    assert_real_number(entry["scores"]["av_align"]["value"])
    assert entry["scores"]["av_align"]["value"] == pytest.approx(mean, rel=1e-12)
    assert entry["suite_version"] == version("avbench")  # the verifier's, never the bundle's provenance
    assert entry["extra"]["counts"] == {"expected": 6, "listed": 6, "scored": 6, "failed": 0}
    assert entry["extra"]["rescored"] == (["av_align"] if tamper.source == "real-media.zip" else [])

