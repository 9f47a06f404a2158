"""Submission bundles: `avbench pack RUN_DIR` → one zip.

    results.json  config.yaml  samples.parquet  manifest.csv  failures.csv   the run's own files
    states/<metric>.npz  states/<metric>.reference.npz                        mergeable states
    model_card.yaml                                                           who made the videos, how
    items.csv   (with --items) a custom benchmark's items file, as the run scored it (sha256 checked)
    media/<sample_id><ext>  (with --with-media) each sample's video and audio, checked against manifest.csv
    CHECKSUMS                                                                 sha256 of every other member

A run is packed only if `validate_run` finds nothing wrong (schema, config hash, every aggregate
recomputed from samples.parquet and states/). Members are written in a fixed order with a fixed
timestamp, so packing the same run twice gives the same bytes (and the same bundle hash).
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path
from typing import Iterator

import yaml

from avbench.benchmark import run_dir as rd
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fileio import atomic_write, sha256_file

from .model_card import card_from_run, read_card, validate_card

MODEL_CARD = "model_card.yaml"
CHECKSUMS = "CHECKSUMS"
ITEMS = "items.csv"
MEDIA = "media"
RUN_FILES = (rd.RESULTS, rd.CONFIG, rd.SAMPLES, rd.MANIFEST, rd.FAILURES)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SAMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_CHUNK = 1 << 20


def media_names(row: dict[str, str]) -> dict[str, str]:
    """Bundle member names of a manifest row's media: {"video": ..., "audio": ...} (no "audio" when
    the video's own track is the audio). Raises when the sample id cannot be a file name."""
    sample_id = row["sample_id"]
    if not _SAMPLE_ID.match(sample_id) or ".." in sample_id:
        raise AvbenchError(f"sample id {sample_id!r} cannot name a media file of a bundle")
    video_ext = Path(row["video_path"]).suffix.lower()
    names = {"video": f"{MEDIA}/{sample_id}{video_ext}"}
    if row.get("audio_path"):
        audio_ext = Path(row["audio_path"]).suffix.lower()
        names["audio"] = f"{MEDIA}/{sample_id}{'.audio' if audio_ext == video_ext else ''}{audio_ext}"
    return names


def checksums_text(digests: dict[str, str]) -> str:
    """`CHECKSUMS`: one `<sha256>  <member>` line per member (sha256sum format), sorted by name."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def parse_checksums(text: str) -> dict[str, str]:
    out = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest) or not name:
            raise AvbenchError(f"CHECKSUMS line {number}: expected '<sha256>  <member>'")
        if name in out:
            raise AvbenchError(f"CHECKSUMS line {number}: {name!r} listed twice")
        out[name] = digest
    return out


def _run_members(run: Path, with_media: bool) -> Iterator[tuple[str, Path, str | None]]:
    """(member name, file, sha256 the manifest expects of it, for media) of the bundle of `run`."""
    for name in RUN_FILES:
        yield name, run / name, None
    for state in sorted((run / rd.STATES).glob("*.npz")):
        yield f"{rd.STATES}/{state.name}", state, None
    if not with_media:
        return
    for row in rd.read_manifest(run):
        for kind, name in media_names(row).items():
            path = (run / row[f"{kind}_path"]).resolve()
            if not path.is_file():
                raise InputError(path, f"{kind} of sample {row['sample_id']} is missing (manifest.csv of {run})")
            yield name, path, row[f"{kind}_sha256"]


def _items_file(results: dict, items: str | Path) -> Path:
    """`items`, checked to be the items file of the run's custom benchmark (same sha256)."""
    benchmark, path = results["benchmark"], Path(items)
    if benchmark["kind"] != "custom":
        raise AvbenchError(f"--items: benchmark {benchmark['name']} is built in; only a custom benchmark's bundle "
                           "carries its items")
    if not path.is_file():
        raise InputError(path, "no such items file")
    if sha256_file(path) != benchmark["items_sha256"]:
        raise InputError(path, f"not the items file the run scored (sha256 differs from results.json's "
                               f"{benchmark['items_sha256'][:12]}…)")
    return path


def recorded_items(run: Path, results: dict) -> Path | None:
    """The items CSV a custom benchmark's definition names (as the run's config.yaml records the
    definition), when it is still the file the run scored (same sha256); else None."""
    if results["benchmark"]["kind"] != "custom":
        return None
    definition = rd.read_config(run)["benchmark"].get("definition")
    try:
        named = (yaml.safe_load(Path(definition).read_text(encoding="utf-8")) or {}).get("items") if definition else None
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(named, str):  # items given on the command line (`--items`): not recorded
        return None
    path = Path(named) if Path(named).is_absolute() else Path(definition).parent / named
    return path if path.is_file() and sha256_file(path) == results["benchmark"]["items_sha256"] else None


def pack(run: str | Path, out: str | Path, model_card: str | Path | None = None, with_media: bool = False,
         items: str | Path | None = None) -> Path:
    """Write the bundle of the finished run directory `run` to `out` (a .zip, atomically).

    `model_card`: a model_card.yaml (default: a card with the run's model label and output spec);
    `items`: the items CSV of a custom benchmark, carried so a store can check the run's ids and
    counts against it (default: the one its definition names, if unchanged since the run)."""
    from avbench.benchmark.validate import validate_run

    run = Path(run)
    problems = validate_run(run)
    if problems:
        more = f" (and {len(problems) - 1} more: run `avbench validate {run}`)" if len(problems) > 1 else ""
        raise AvbenchError(f"{run}: not packed, the run does not check out: {problems[0]}{more}")
    results = rd.read_results(run)
    items_file = _items_file(results, items) if items is not None else recorded_items(run, results)
    card = read_card(model_card) if model_card else validate_card(card_from_run(results), run / rd.RESULTS)
    out = Path(out)
    digests: dict[str, str] = {}
    with atomic_write(out) as fh, zipfile.ZipFile(fh, "w") as zf:
        def write(name: str, chunks: Iterator[bytes], compress: bool) -> None:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            digest = hashlib.sha256()
            with zf.open(info, "w", force_zip64=True) as member:
                for chunk in chunks:
                    digest.update(chunk)
                    member.write(chunk)
            digests[name] = digest.hexdigest()

        def read(path: Path) -> Iterator[bytes]:
            with open(path, "rb") as src:
                yield from iter(lambda: src.read(_CHUNK), b"")

        for name, path, expected in _run_members(run, with_media):
            write(name, read(path), compress=not name.startswith(f"{MEDIA}/"))
            if expected is not None and digests[name] != expected:  # hashed while written: read once
                raise InputError(path, f"{name} changed since it was scored (sha256 differs from manifest.csv)")
        if items_file is not None:
            write(ITEMS, read(items_file), compress=True)
        write(MODEL_CARD, iter([yaml.safe_dump(card, sort_keys=False, allow_unicode=True).encode("utf-8")]), True)
        sums = checksums_text(digests).encode("utf-8")
        write(CHECKSUMS, iter([sums]), True)
    return out
