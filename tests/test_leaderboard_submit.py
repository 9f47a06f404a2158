"""`avbench pack` and `avbench submit` on runs the harness made on the tiny benchmark: a genuine
bundle enters the store; every tampered bundle is rejected with its reason."""
from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from avbench.benchmark.cli import main
from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.generate import generate
from avbench.metrics.keyed_state import KeyedState
from avbench.benchmark.scoring.run import score_run
from avbench.leaderboard.bundle import pack
from avbench.leaderboard.model_card import validate_card
from avbench.leaderboard.safe_zip import Limits
from avbench.leaderboard.store import read_entries
from avbench.leaderboard.verify import SubmissionRejected, SubmitOptions, entry_id, submit
from avbench.metrics.errors import AvbenchError, InputError
from leaderboard_support import bundle_members, edit_json, edit_samples, edit_yaml, write_bundle
from single_thread import one_thread  # noqa: F401  (module fixture)

REFERENCE = SubmitOptions(trust="reference")  # the tiny benchmark is custom, so only our own runs enter


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The tiny benchmark's `real` and `shifted` controls, scored with AV-Align (and FAD on
    random VGGish weights: its reference is the real clips, or, wrongly, the model's own)."""
    from random_networks import install_random_weights

    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("submit")
        mp.setenv("AVBENCH_CACHE", str(tmp_path_factory.getbasetemp() / "avbench-cache"))
        mp.setenv("AVBENCH_OFFLINE", "1")
        install_random_weights(mp, root / "weights", ("vggish",))
        bench = load_benchmark("synthetic:tiny")
        for model in ("real", "shifted"):
            generate(model, bench, root / "gen" / model, progress=False)
        kw = dict(workers=1, progress=False)
        score_run(bench, root / "gen" / "real", root / "runs" / "real", metric_names=["av_align"], **kw)
        fad = dict(metric_names=["av_align", "fad"], metric_options={"fad": {"preset": "fad/google"}}, **kw)
        score_run(bench, root / "gen" / "shifted", root / "runs" / "fad", reference=root / "gen" / "real", **fad)
        score_run(bench, root / "gen" / "shifted", root / "runs" / "fad-wrong", reference=root / "gen" / "shifted", **fad)
        bundles = root / "bundles"
        pack(root / "runs" / "real", bundles / "real.zip")
        pack(root / "runs" / "real", bundles / "real-media.zip", with_media=True)
        pack(root / "runs" / "fad", bundles / "fad.zip")
        pack(root / "runs" / "fad-wrong", bundles / "fad-wrong.zip")
        yield SimpleNamespace(root=root, bench=bench, bundles=bundles, mp=mp)


def _tampered(env, tmp_path, change, source: str = "real.zip", checksums: bool = True) -> Path:
    members = bundle_members(env.bundles / source)
    change(members)
    return write_bundle(tmp_path / "tampered.zip", members, checksums)


def _rejected(bundle: Path, store: Path, options: SubmitOptions = REFERENCE) -> str:
    with pytest.raises(SubmissionRejected) as info:
        submit(bundle, store, options)
    assert not (store / "entries").exists() or not any((store / "entries").iterdir())  # nothing half-added
    return str(info.value)


# --- genuine bundles ----------------------------------------------------------------------------

def test_pack_holds_the_run_and_checksums(env):
    members = bundle_members(env.bundles / "real-media.zip")
    run = env.root / "runs" / "real"
    for name in ("results.json", "samples.parquet", "manifest.csv", "failures.csv", "config.yaml", "states/av_align.npz"):
        assert members[name] == (run / name).read_bytes()
    listed = dict(line.split("  ")[::-1] for line in members["CHECKSUMS"].decode().splitlines())
    assert listed.keys() == set(members) - {"CHECKSUMS"}
    assert all(hashlib.sha256(members[n]).hexdigest() == d for n, d in listed.items())
    manifest = {r.split(",")[0]: r.split(",") for r in members["manifest.csv"].decode().splitlines()[1:]}
    assert hashlib.sha256(members["media/clip0003.mp4"]).hexdigest() == manifest["clip0003"][5]
    assert hashlib.sha256(members["media/clip0003.wav"]).hexdigest() == manifest["clip0003"][6]
    assert yaml.safe_load(members["model_card.yaml"]) == {"name": "real", "duration": 2.0}
    again = pack(run, env.root / "again.zip", with_media=True)
    assert again.read_bytes() == (env.bundles / "real-media.zip").read_bytes()  # deterministic bytes


def test_reference_bundle_with_media_enters_rescored(env, tmp_path):
    bundle = env.bundles / "real-media.zip"
    entry = submit(bundle, tmp_path / "store", REFERENCE)
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert entry.entry_id == f"real--synthetic-tiny--{digest[:10]}" == entry_id("real", "synthetic-tiny", digest)
    assert entry.trust == "reference" and entry.reportable is False
    assert entry.notes == ("not reportable: custom benchmark synthetic-tiny: not a published benchmark",)
    assert entry.extra["rescored"] == ["av_align"]
    results = json.loads((env.root / "runs" / "real" / "results.json").read_text())
    assert entry.scores["av_align"].value == results["metrics"]["av_align"]["value"]
    assert entry.scores["av_align"].ci95 == tuple(results["metrics"]["av_align"]["ci95"])
    assert read_entries(tmp_path / "store") == [entry]
    stored = tmp_path / "store" / "entries" / entry.entry_id / "bundle"
    assert (stored / "media" / "clip0000.mp4").is_file() and (stored / "results.json").is_file()
    with pytest.raises(AvbenchError, match="already holds entry"):
        submit(bundle, tmp_path / "store", REFERENCE)
    assert submit(bundle, tmp_path / "store", REFERENCE, replace=True).entry_id == entry.entry_id


def test_frechet_recomputed_against_our_reference(env, tmp_path):
    entry = submit(env.bundles / "fad.zip", tmp_path / "store", REFERENCE)
    results = json.loads((env.root / "runs" / "fad" / "results.json").read_text())
    assert entry.extra["reference_state_sha256"]["fad"] == results["metrics"]["fad"]["reference"]["state_sha256"]
    assert entry.scores["fad"].value == results["metrics"]["fad"]["value"] > 0


def test_wrong_reference_set_rejected(env, tmp_path):
    # The bundle is self-consistent (validate_run passes): only our own reference state catches it.
    from avbench.benchmark.validate import validate_run

    assert validate_run(env.root / "runs" / "fad-wrong") == []
    reason = _rejected(env.bundles / "fad-wrong.zip", tmp_path / "store")
    assert "fad: recomputed against our reference statistics of synthetic-tiny@1" in reason
    assert "a different reference set?" in reason


def test_reference_statistics_unavailable(env, tmp_path):
    missing = SubmitOptions(trust="reference", ref_stats={"fad": tmp_path / "none.npz"})
    reason = _rejected(env.bundles / "fad.zip", tmp_path / "store", missing)
    assert "our reference statistics of synthetic-tiny@1 for fad are not available here" in reason
    assert "--allow-unverified-reference" in reason
    missing.allow_unverified_reference = True
    entry = submit(env.bundles / "fad.zip", tmp_path / "store", missing)
    assert entry.extra["unverified"] == ["fad"] and any(n.startswith("fad: not recomputed") for n in entry.notes)


def test_reference_statistics_from_a_leaderboard_folder(env, tmp_path):
    """`reference_dir/<benchmark>/<metric>.npz` (a leaderboard repository's `reference/`) is what a
    set metric is verified against when `ref_stats` names no file for it: no real clips needed."""
    from avbench.benchmark import run_dir as rd

    folder = tmp_path / "reference" / "synthetic-tiny"
    folder.mkdir(parents=True)
    options = SubmitOptions(trust="reference", reference_dir=tmp_path / "reference",
                            reference_inputs=tmp_path / "no-real-clips")
    stats = folder / "fad.npz"
    stats.write_bytes(rd.state_path(env.root / "runs" / "fad-wrong", "fad", reference=True).read_bytes())
    assert "a different reference set?" in _rejected(env.bundles / "fad.zip", tmp_path / "store", options)
    stats.write_bytes(rd.state_path(env.root / "runs" / "fad", "fad", reference=True).read_bytes())
    entry = submit(env.bundles / "fad.zip", tmp_path / "store", options)
    results = json.loads((env.root / "runs" / "fad" / "results.json").read_text())
    assert "unverified" not in entry.extra or not entry.extra["unverified"]
    assert entry.scores["fad"].value == results["metrics"]["fad"]["value"] > 0


# --- tampering: each rejected with its reason ---------------------------------------------------

def test_changed_per_sample_value(env, tmp_path):
    def edit(rows):
        rows[2]["value"] += 0.125
        return rows
    bundle = _tampered(env, tmp_path, lambda m: edit_samples(m, edit))
    assert _rejected(bundle, tmp_path / "s") == "bundle rejected: av_align: samples.parquet disagrees with states/"


def test_changed_aggregate(env, tmp_path):
    bundle = _tampered(env, tmp_path, lambda m: edit_json(
        m, "results.json", lambda r: r["metrics"]["av_align"].update(value=r["metrics"]["av_align"]["value"] + 0.01)))
    assert "av_align: states/ give 0.89" in _rejected(bundle, tmp_path / "s")


def test_changed_ci(env, tmp_path):
    bundle = _tampered(env, tmp_path, lambda m: edit_json(
        m, "results.json", lambda r: r["metrics"]["av_align"].update(ci95=[0.5, 0.99])))
    assert "av_align: states/ give the 95% CI" in _rejected(bundle, tmp_path / "s")


def test_missing_sample(env, tmp_path):
    def drop(members):
        lines = members["manifest.csv"].decode().splitlines(keepends=True)
        members["manifest.csv"] = "".join(l for l in lines if not l.startswith("clip0003,")).encode()
        edit_samples(members, lambda rows: [r for r in rows if r["sample_id"] != "clip0003"])
    reason = _rejected(_tampered(env, tmp_path, drop), tmp_path / "s")
    assert reason == ("bundle rejected: 5 of the 6 items of synthetic-tiny@1 were scored (missing: clip0003); "
                      "every item must be")


def test_missing_sample_row_only(env, tmp_path):
    bundle = _tampered(env, tmp_path, lambda m: edit_samples(m, lambda rows: rows[1:]))
    assert _rejected(bundle, tmp_path / "s") == ("bundle rejected: samples.parquet has 5 av_align rows for the 6 "
                                                  "items of synthetic-tiny@1 (missing: clip0000)")


def test_changed_state(env, tmp_path):
    def edit(members):
        path = tmp_path / "state.npz"
        path.write_bytes(members["states/av_align.npz"])
        state = KeyedState.load(path)
        state.payloads["clip0001"]["score"] = np.float64(0.0)
        state.save(path)
        members["states/av_align.npz"] = path.read_bytes()
    assert "av_align: states/ give" in _rejected(_tampered(env, tmp_path, edit), tmp_path / "s")


def test_wrong_checksum(env, tmp_path):
    def edit(members):
        members["failures.csv"] += b"\n"
    members = bundle_members(env.bundles / "real.zip")
    listed = hashlib.sha256(members["failures.csv"]).hexdigest()
    actual = hashlib.sha256(members["failures.csv"] + b"\n").hexdigest()
    reason = _rejected(_tampered(env, tmp_path, edit, checksums=False), tmp_path / "s")
    assert reason == f"bundle rejected: failures.csv: sha256 {actual[:12]}… does not match CHECKSUMS ({listed[:12]}…)"


def test_unlisted_member(env, tmp_path):
    members = bundle_members(env.bundles / "real.zip")
    members["states/extra.npz"] = b"not listed"
    bundle = write_bundle(tmp_path / "b.zip", members, checksums=False)
    assert _rejected(bundle, tmp_path / "s") == "bundle rejected: CHECKSUMS does not list states/extra.npz"


@pytest.mark.parametrize("name, why", [
    ("../evil.txt", "a '..' path part (path traversal)"),
    ("states/../../evil.txt", "a '..' path part (path traversal)"),
    ("/etc/evil", "an absolute path"),
    ("C:/evil", "an absolute path"),
    ("states\\evil.npz", "a backslash in its path"),
])
def test_unsafe_member_names(env, tmp_path, name, why):
    bundle = write_bundle(tmp_path / "b.zip", bundle_members(env.bundles / "real.zip"), infos=[zipfile.ZipInfo(name)])
    assert _rejected(bundle, tmp_path / "s") == f"bundle rejected: member {name!r} is refused: {why}"
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_member(env, tmp_path):
    link = zipfile.ZipInfo("states/link.npz")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bundle = write_bundle(tmp_path / "b.zip", bundle_members(env.bundles / "real.zip"), infos=[link])
    assert _rejected(bundle, tmp_path / "s") == "bundle rejected: member 'states/link.npz' is refused: a symlink"


def test_device_member(env, tmp_path):
    fifo = zipfile.ZipInfo("states/fifo.npz")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    bundle = write_bundle(tmp_path / "b.zip", bundle_members(env.bundles / "real.zip"), infos=[fifo])
    assert "is refused: not a regular file (mode 0o10000)" in _rejected(bundle, tmp_path / "s")


def test_duplicate_member(env, tmp_path):
    dup = zipfile.ZipInfo("results.json")
    with pytest.warns(UserWarning, match="Duplicate name"):
        bundle = write_bundle(tmp_path / "b.zip", bundle_members(env.bundles / "real.zip"), infos=[dup])
    assert _rejected(bundle, tmp_path / "s") == "bundle rejected: member 'results.json' appears twice"


def test_oversized_member(env, tmp_path):
    size = len(bundle_members(env.bundles / "real.zip")["results.json"])
    small = SubmitOptions(trust="reference", limits=Limits(max_member_bytes=3000))
    reason = _rejected(env.bundles / "real.zip", tmp_path / "s", small)
    assert reason == f"bundle rejected: member 'results.json' is {size} bytes, over the limit of 3000"


def test_zip_bomb_ratio(env, tmp_path):
    members = bundle_members(env.bundles / "real.zip")
    members["media/clip0000.mp4"] = bytes(8 << 20)  # 8 MiB of zeros deflate ~1000x
    reason = _rejected(write_bundle(tmp_path / "b.zip", members), tmp_path / "s")
    assert "member 'media/clip0000.mp4' expands" in reason and "over the ratio limit of 200 (zip bomb?)" in reason


def test_old_metric_version(env, tmp_path):
    def edit(members):
        edit_json(members, "results.json", lambda r: r["metrics"]["av_align"].update(version="0"))
        edit_yaml(members, "config.yaml", lambda c: c["metrics"]["av_align"].update(version="0"))
    reason = _rejected(_tampered(env, tmp_path, edit), tmp_path / "s")
    assert reason == ("bundle rejected: av_align: results.json says preset tempotokens-2025 version 0; the current "
                      "version is tempotokens-2025 version 1: rescore with this avbench")


def test_old_benchmark_version(env, tmp_path):
    bundle = _tampered(env, tmp_path, lambda m: edit_json(m, "results.json", lambda r: r["benchmark"].update(version="0")))
    assert "scored synthetic-tiny@0; the current version is synthetic-tiny@1" in _rejected(bundle, tmp_path / "s")


def test_a_custom_benchmark_without_its_items_self_reported(env, tmp_path):
    assert "items.csv" in bundle_members(env.bundles / "real.zip")  # pack carries them by default
    without = _tampered(env, tmp_path, lambda m: m.pop("items.csv"))
    reason = _rejected(without, tmp_path / "s", SubmitOptions())
    assert reason == ("bundle rejected: custom benchmark synthetic-tiny: the bundle lacks its items.csv; pack the run "
                      "with --items CSV (the items file it scored)")


def test_non_reportable_self_reported(env, tmp_path):
    bundle = _tampered(env, tmp_path, lambda m: edit_json(m, "results.json", lambda r: r["flags"].update(
        reasons=[*r["flags"]["reasons"], "--limit 3: a subset of the benchmark"])))
    reason = _rejected(bundle, tmp_path / "s", SubmitOptions())
    assert "results.json is not reportable (--limit 3: a subset of the benchmark); only our own runs" in reason


def test_verified_needs_media(env, tmp_path):
    bundle = pack(env.root / "runs" / "real", tmp_path / "items.zip",
                  items=Path(env.bench.definition_path).parent / "items.csv")
    reason = _rejected(bundle, tmp_path / "s", SubmitOptions(trust="verified"))
    assert reason.endswith("trust verified needs the store to re-score the media: pack the run --with-media")
    entry = submit(bundle, tmp_path / "s", SubmitOptions())  # self-reported, with its items
    assert entry.trust == "self-reported" and entry.reportable is False


def test_schema_violation(env, tmp_path):
    bundle = _tampered(env, tmp_path, lambda m: edit_json(m, "results.json", lambda r: r.pop("counts")))
    assert _rejected(bundle, tmp_path / "s") == ("bundle rejected: results.json does not match the schema: (root): "
                                                  "'counts' is a required property")


def test_media_that_does_not_match_the_manifest(env, tmp_path):
    def edit(members):
        members["media/clip0002.wav"] = members["media/clip0001.wav"]
    reason = _rejected(_tampered(env, tmp_path, edit, source="real-media.zip"), tmp_path / "s")
    assert reason == "bundle rejected: media/clip0002.wav: sha256 differs from manifest.csv's audio_sha256"


def test_media_rescored_disagrees(env, tmp_path):
    # Two samples' media and manifest hashes swapped: every hash checks, the re-scored values do not.
    def edit(members):
        for ext in (".mp4", ".wav"):
            a, b = f"media/clip0000{ext}", f"media/clip0001{ext}"
            members[a], members[b] = members[b], members[a]
        lines = members["manifest.csv"].decode().splitlines(keepends=True)
        rows = {l.split(",")[0]: l.split(",") for l in lines[1:]}
        for k in (5, 6):
            rows["clip0000"][k], rows["clip0001"][k] = rows["clip0001"][k], rows["clip0000"][k]
        members["manifest.csv"] = (lines[0] + "".join(",".join(rows[i]) for i in sorted(rows))).encode()
    reason = _rejected(_tampered(env, tmp_path, edit, source="real-media.zip"), tmp_path / "s")
    assert reason.startswith("bundle rejected: media re-scored: av_align of clip0000 is ")


# --- pack refuses, model cards, the CLI ---------------------------------------------------------

def test_pack_refuses_a_run_that_disagrees(env, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(env.root / "runs" / "real", run)
    results = json.loads((run / "results.json").read_text())
    results["metrics"]["av_align"]["value"] = 0.5
    (run / "results.json").write_text(json.dumps(results))
    with pytest.raises(AvbenchError, match=r"run: not packed, the run does not check out: av_align: states/ give"):
        pack(run, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_pack_refuses_media_changed_since_scoring(env, tmp_path):
    import shutil

    for part in ("gen", "runs"):  # the manifest names the media relative to the run folder
        shutil.copytree(env.root / part / "real", tmp_path / part / "real")
    wav = tmp_path / "gen" / "real" / "clip0002.wav"
    data = bytearray(wav.read_bytes())
    data[-2:] = bytes([data[-2] ^ 0xFF, data[-1]])  # one sample changed, the header intact
    wav.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"clip0002\.wav: media/clip0002\.wav changed since it was scored"):
        pack(tmp_path / "runs" / "real", tmp_path / "b.zip", with_media=True)
    assert not (tmp_path / "b.zip").exists()
    pack(tmp_path / "runs" / "real", tmp_path / "b.zip")  # without media the run still packs


@pytest.mark.parametrize("card, problem", [
    ({"link": "https://x.org"}, "the model card has no name (field `name` is required)"),
    ({"name": "m", "fsp": 8}, "unknown model card field(s) fsp; known: name, link, type"),
    ({"name": "m", "fps": -8}, "model card field fps: must be a positive number (got -8)"),
    ({"name": "m", "frames": 2.5}, "model card field frames: must be a positive integer (got 2.5)"),
    ({"name": "m", "type": "weights"}, "model card field type: must be one of open, closed, api"),
    ({"name": "m", "link": "ftp://x"}, "model card field link: must be an http(s) URL"),
    ({"name": "m", "resolution": "384"}, "model card field resolution: must be WIDTHxHEIGHT"),
])
def test_model_card_errors(card, problem):
    with pytest.raises(InputError, match=None) as info:
        validate_card(card, "card.yaml")
    assert str(info.value).startswith(f"card.yaml: {problem}")


def test_model_card_normalised():
    import datetime as dt

    card = validate_card({"name": "TempoTokens", "type": "Open", "release_date": dt.date(2023, 9, 28), "fps": 12,
                          "frames": 24, "resolution": "384x384", "params": "35M", "sampled_by": None}, "card.yaml")
    assert card == {"name": "TempoTokens", "type": "open", "release_date": "2023-09-28", "fps": 12, "frames": 24,
                    "resolution": "384x384", "params": "35M"}


def test_cli_pack_template_and_submit(env, tmp_path, capsys):
    run = env.root / "runs" / "real"
    assert main(["pack", str(run), "--card-template", str(tmp_path / "card.yaml")]) == 0
    card = yaml.safe_load((tmp_path / "card.yaml").read_text())
    assert card["name"] == "real" and card["duration"] == 2.0 and "link" in card
    card.update(link="https://example.org/real", type="open")
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(card))
    assert main(["pack", str(run), "--out", str(tmp_path / "b.zip"), "--model-card", str(tmp_path / "card.yaml")]) == 0
    capsys.readouterr()
    # the items file the tiny benchmark's definition names travels in the bundle: self-reported enters
    items = Path(env.bench.definition_path).parent / "items.csv"
    assert bundle_members(tmp_path / "b.zip")["items.csv"] == items.read_bytes()
    assert main(["submit", str(tmp_path / "b.zip"), "--store", str(tmp_path / "store")]) == 0
    assert "added real--synthetic-tiny--" in capsys.readouterr().out
    (entry,) = read_entries(tmp_path / "store")
    assert entry.model == {"name": "real", "link": "https://example.org/real", "type": "open", "duration": 2.0}
