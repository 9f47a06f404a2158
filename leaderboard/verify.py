"""`avbench submit`: verify a bundle and add it to a leaderboard store.

Checks, in order; the first failure rejects the bundle with one reason (`SubmissionRejected`):
1. the archive reads safely (`safe_zip`) and holds exactly the bundle's members;
2. CHECKSUMS lists every member with its sha256;
3. results.json passes the JSON Schema; the model card is valid; config.yaml, manifest.csv,
   failures.csv and samples.parquet have the shape avbench writes (`run_audit.read_run`);
4. the benchmark is one of ours at the same version and items (our definition, not the bundle's
   claim), and every one of its items was scored (manifest and every per-sample metric);
5. every metric was computed by its current preset version in our registry;
6. `reportable` (only our own runs, trust `reference`, may enter non-reportable);
7. `validate_run`: config hash, counts, every aggregate and CI recomputed from samples.parquet and
   states/, and results.json written again from the run's files and compared field by field
   (per-class means, metric records, flags, seeds, run id, sample labels);
8. our definition against what the bundle says of it (`claims`): config.yaml's benchmark record,
   each sample's label and caption, the counts, and the model card's output spec against the
   scored videos;
9. metrics with a reference set (FVD, FID, KID, FAD) recomputed from the submitted states against
   OUR reference state of the benchmark, never the bundle's own `*.reference.npz`;
10. with media: each file's sha256 against manifest.csv, and the per-sample metrics that run on
   CPU (AV-Align) re-scored from the media and compared per sample.

What reaches the store is only what these checks established: the scores (recomputed), our
benchmark's name and version, the counts of a complete run, the flags (recomputed), the model
card (checked against the videos where it describes them) and, as the suite version, the avbench
that verified the bundle; results.json's provenance (the submitter's machine and library
versions) stays in the stored bundle, unshown.

Nothing in a bundle is executed or unpickled: states load with `np.load(allow_pickle=False)`,
samples with pyarrow, YAML with `yaml.safe_load`.
"""
from __future__ import annotations

import math
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from avbench.benchmark import run_dir as rd
from avbench.benchmark.report.runs import scores_from_results
from avbench.benchmark.run_audit import RunFiles, read_run
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fileio import sha256_file

from . import claims
from .bundle import CHECKSUMS, ITEMS, MEDIA, MODEL_CARD, RUN_FILES, media_names, parse_checksums
from .model_card import read_card
from .names import slug
from .safe_zip import Limits, safe_extract
from .store import Entry, add_entry

RESCORABLE = ("av_align",)  # per-sample metrics the store re-scores from submitted media (CPU only)
FRECHET_RTOL = 1e-6  # same states, same reference: only BLAS summation order may differ


class SubmissionRejected(AvbenchError):
    """A bundle failed verification; the message is the one reason, on one line whatever the
    bundle holds (control characters of the names and values it quotes are shown escaped)."""

    def __init__(self, reason: str):
        reason = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in reason)
        super().__init__(f"bundle rejected: {reason}")
        self.reason = reason


@dataclass
class SubmitOptions:
    """How to verify. `benchmark`: our definition to check against (default: the bundle's benchmark
    name, e.g. `vggsound`; `synthetic-tiny` is `synthetic:tiny`); `ref_stats`: our reference
    statistics files by metric; `reference_inputs`: generated real clips to build them from
    (default: the benchmark's `real` control in the cache); `reference_dir`: a folder of reference
    statistics by benchmark, `<reference_dir>/<benchmark name>/<metric>.npz` (a leaderboard
    repository's `reference/`), used for a metric `ref_stats` does not name;
    `allow_unverified_reference`: accept when our reference statistics cannot be resolved, with
    those metrics marked unverified."""

    trust: str = "self-reported"
    benchmark: str | None = None
    data_root: Path | None = None
    ref_stats: dict[str, Path] = field(default_factory=dict)
    reference_inputs: Path | None = None
    reference_dir: Path | None = None
    allow_unverified_reference: bool = False
    limits: Limits = field(default_factory=Limits)
    workers: int | None = 1


@dataclass
class Verified:
    """What verification established, beside the bundle's own files."""

    results: dict[str, Any]
    card: dict[str, Any]
    bundle_sha256: str
    counts: dict[str, int] = field(default_factory=dict)  # of our benchmark, see `claims.counts`
    rescored: list[str] = field(default_factory=list)
    unverified: dict[str, str] = field(default_factory=dict)  # metric -> why not recomputed
    our_references: dict[str, str] = field(default_factory=dict)  # metric -> our reference state sha256


def _member(folder: Path, exc: InputError) -> str:
    """An InputError about an extracted file, worded with the member name instead of our temp path."""
    if exc.path and Path(exc.path).is_relative_to(folder):
        return f"{Path(exc.path).relative_to(folder).as_posix()}: {exc.problem}"
    return str(exc)


def _check_layout(names: list[str]) -> None:
    present = set(names)
    for required in (*RUN_FILES, MODEL_CARD, CHECKSUMS):
        if required not in present:
            raise SubmissionRejected(f"the bundle lacks {required}")
    for name in names:
        top = name.split("/", 1)[0]
        if name in RUN_FILES or name in (MODEL_CARD, CHECKSUMS, ITEMS) or top == MEDIA:
            continue
        if not re.fullmatch(rf"{rd.STATES}/[A-Za-z0-9_-]+(\.reference)?\.npz", name):
            raise SubmissionRejected(f"unexpected member {name!r}")


def _check_checksums(folder: Path, names: list[str]) -> dict[str, str]:
    """Every member's sha256, checked against CHECKSUMS (returned, so no member is hashed twice)."""
    try:
        listed = parse_checksums((folder / CHECKSUMS).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, AvbenchError) as exc:
        raise SubmissionRejected(f"CHECKSUMS unreadable ({exc})") from None
    members = set(names) - {CHECKSUMS}
    for name in sorted(members - listed.keys()):
        raise SubmissionRejected(f"CHECKSUMS does not list {name}")
    for name in sorted(listed.keys() - members):
        raise SubmissionRejected(f"CHECKSUMS lists {name!r}, which the bundle lacks")
    for name in sorted(members):
        actual = sha256_file(folder / name)
        if actual != listed[name]:
            raise SubmissionRejected(f"{name}: sha256 {actual[:12]}… does not match CHECKSUMS ({listed[name][:12]}…)")
    return listed


def our_benchmark_name(bundle_name: str) -> str:
    from avbench.benchmark.synthetic_benchmark import PREFIX

    return PREFIX + bundle_name.split("-", 1)[1] if bundle_name.startswith("synthetic-") else bundle_name


def _check_benchmark(folder: Path, results: dict[str, Any], files: RunFiles, options: SubmitOptions):
    from avbench.benchmark.definition import benchmark_names, load_benchmark, recorded_custom_benchmark

    claimed = results["benchmark"]
    items_csv = folder / ITEMS if (folder / ITEMS).is_file() else None
    name = options.benchmark or our_benchmark_name(claimed["name"])
    if options.benchmark is None and name not in benchmark_names():
        # the bundle's word never names a file to read or a benchmark to generate: ours are listed,
        # and a custom benchmark is checked against the items CSV the bundle carries (data only)
        if items_csv is None or claimed["kind"] != "custom":
            raise SubmissionRejected(f"results.json names benchmark {claimed['name']!r}, not one of ours "
                                     f"({', '.join(benchmark_names())}); check it against its definition with "
                                     "--benchmark, or (a custom benchmark) pack the run with --items CSV")
        try:
            ours = recorded_custom_benchmark(files.config["benchmark"], items_csv)
        except InputError as exc:
            raise SubmissionRejected(_member(folder, exc)) from None
    else:
        try:
            ours = load_benchmark(name, data_root=options.data_root)
        except AvbenchError as exc:
            raise SubmissionRejected(f"benchmark {claimed['name']} is not one we can check against ({exc})") from None
    if items_csv is not None and sha256_file(items_csv) != claimed["items_sha256"]:
        raise SubmissionRejected(f"{ITEMS} (sha256 {sha256_file(items_csv)[:12]}…) is not the items file the run "
                                 f"scored ({claimed['items_sha256'][:12]}…)")
    if ours.name != claimed["name"]:
        raise SubmissionRejected(f"the bundle scored benchmark {claimed['name']}, ours is {ours.name}")
    if str(claimed["version"]) != ours.version:
        raise SubmissionRejected(f"the bundle scored {ours.name}@{claimed['version']}; the current version is "
                                 f"{ours.id}: rescore on the current benchmark")
    if claimed["items_sha256"] != ours.items_sha256:
        raise SubmissionRejected(f"the bundle's items of {ours.id} (sha256 {claimed['items_sha256'][:12]}…) are not "
                                 f"ours ({ours.items_sha256[:12]}…)")
    items = ours.item_ids
    if results["counts"]["expected"] != len(items):
        raise SubmissionRejected(f"results.json expects {results['counts']['expected']} samples; "
                                 f"{ours.id} has {len(items)} items")
    manifest, samples = files.manifest, files.samples
    ids = [r["sample_id"] for r in manifest]
    if len(set(ids)) != len(ids):
        raise SubmissionRejected("manifest.csv lists a sample twice")
    foreign = sorted(set(ids) - set(items))
    if foreign:
        raise SubmissionRejected(f"manifest.csv: sample {foreign[0]} is not an item of {ours.id}")
    missing = sorted(set(items) - set(ids))
    if missing:
        raise SubmissionRejected(f"{len(ids)} of the {len(items)} items of {ours.id} were scored (missing: "
                                 f"{', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}); every item must be")
    for name, record in results["metrics"].items():
        if record["kind"] != "per-sample":
            continue
        rows = [r["sample_id"] for r in samples if r["metric"] == name]
        if sorted(rows) != sorted(items):
            absent = sorted(set(items) - set(rows))
            raise SubmissionRejected(f"samples.parquet has {len(rows)} {name} rows for the {len(items)} items of "
                                     f"{ours.id}" + (f" (missing: {absent[0]})" if absent else " (a sample repeats)"))
    return ours, manifest, samples


def _metrics(results: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Our metric objects for the bundle's metrics (without the bundle's runtime options: no file
    path of a submission is ever opened), with every version checked against ours."""
    from avbench.benchmark.scoring.pipeline import recorded_metric

    out = {}
    for name, record in results["metrics"].items():
        spec = config["metrics"].get(name)
        if spec is None:
            raise SubmissionRejected(f"{name}: in results.json but not in config.yaml")
        try:
            metric = recorded_metric(name, spec["options"])
        except AvbenchError as exc:
            raise SubmissionRejected(f"{name}: not a metric of this avbench ({exc})") from None
        ours = (metric.preset.name, metric.preset.version)
        for where, preset, version in (("results.json", record["preset"], record["version"]),
                                       ("config.yaml", spec["preset"], spec["version"])):
            if (preset, str(version)) != ours:
                raise SubmissionRejected(f"{name}: {where} says preset {preset} version {version}; the current "
                                         f"version is {ours[0]} version {ours[1]}: rescore with this avbench")
        out[name] = metric
    return out


def _our_reference(name: str, metric: Any, clips: Any, options: SubmitOptions):
    """Fill the metric's reference set with ours (statistics file or the benchmark's real clips)."""
    from avbench.benchmark.scoring import reference as ref
    from avbench.metrics.metric import MapContext

    stored = None if options.reference_dir is None else options.reference_dir / clips.benchmark.name / f"{name}.npz"
    if name in options.ref_stats:
        return ref.from_stats(metric, options.ref_stats[name])
    if stored is not None and stored.is_file():
        return ref.from_stats(metric, stored)
    return ref.build(metric, clips, MapContext(workers=options.workers, progress=False))


def _check_references(folder: Path, results: dict[str, Any], metrics: dict[str, Any], benchmark: Any,
                      options: SubmitOptions, verified: Verified) -> None:
    from avbench.benchmark.scoring.reference import RealClips

    clips = RealClips(benchmark, options.reference_inputs, progress=False)
    for name, metric in metrics.items():
        if not metric.needs_reference:
            continue
        record = results["metrics"][name]
        try:
            reference = _our_reference(name, metric, clips, options)
        except AvbenchError as exc:
            why = f"our reference statistics of {benchmark.id} for {name} are not available here ({exc})"
            if not options.allow_unverified_reference:
                raise SubmissionRejected(f"{why}; give --ref-stats {name}=FILE, or --allow-unverified-reference "
                                         f"to accept with {name} marked unverified") from None
            verified.unverified[name] = why
            continue
        try:
            metric.set_state(metric.load_state(rd.state_path(folder, name)))
            value = metric.compute()
        except InputError as exc:
            raise SubmissionRejected(_member(folder, exc)) from None
        except AvbenchError as exc:
            raise SubmissionRejected(f"{name}: cannot be recomputed against our reference statistics ({exc})") from None
        ours = value.value if math.isfinite(value.value) else None
        claimed = record["value"]
        if (ours is None) != (claimed is None) or (ours is not None and not math.isclose(ours, claimed, rel_tol=FRECHET_RTOL,
                                                                                        abs_tol=FRECHET_RTOL)):
            theirs = (record.get("reference") or {}).get("state_sha256", "?")
            raise SubmissionRejected(
                f"{name}: recomputed against our reference statistics of {benchmark.id} (state sha256 "
                f"{reference.sha256[:12]}…) it is {ours}, the bundle says {claimed} (its reference state "
                f"{theirs[:12]}…): a different reference set?")
        verified.our_references[name] = reference.sha256


def _check_media(folder: Path, digests: dict[str, str], manifest: list[dict[str, str]], samples: list[dict[str, Any]],
                 metrics: dict[str, Any], options: SubmitOptions, verified: Verified) -> None:
    from avbench.metrics.metric import MapContext, Sample
    from avbench.metrics.scoring import add_samples

    media = {n for n in digests if n.startswith(f"{MEDIA}/")}
    if not media:
        return
    expected: dict[str, dict[str, str]] = {}
    for row in manifest:
        expected[row["sample_id"]] = media_names(row)
    listed = {n for named in expected.values() for n in named.values()}
    for name in sorted(media - listed):
        raise SubmissionRejected(f"{name}: not the media of any sample in manifest.csv")
    for name in sorted(listed - media):
        raise SubmissionRejected(f"the bundle has media but lacks {name}")
    inputs = []
    for row in manifest:
        named = expected[row["sample_id"]]
        for kind, name in named.items():
            if digests[name] != row[f"{kind}_sha256"]:
                raise SubmissionRejected(f"{name}: sha256 differs from manifest.csv's {kind}_sha256")
        inputs.append(Sample(row["sample_id"], folder / named["video"], folder / named["audio"] if "audio" in named else None,
                             row["label"] or None, row["text"] or None, row["video_sha256"], row["audio_sha256"] or None))
    for name in RESCORABLE:
        if name not in metrics:
            continue
        metric = metrics[name]
        result = metric.map(inputs, MapContext(workers=options.workers, progress=False, use_cache=False))
        for sample_id, error in sorted(result.failures.items()):
            raise SubmissionRejected(f"media re-scored: {name} failed on {sample_id} ({error})")
        metric.reset()
        add_samples(metric, result.features, result.features)
        ours = metric.sample_values()
        theirs = {r["sample_id"]: r["value"] for r in samples if r["metric"] == name}
        for sample_id in sorted(ours):
            a, b = ours[sample_id], theirs[sample_id]
            if not ((math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)):
                raise SubmissionRejected(f"media re-scored: {name} of {sample_id} is {a}, the bundle says {b}")
        verified.rescored.append(name)


def verify_extracted(bundle: Path, folder: Path, names: list[str], options: SubmitOptions) -> Verified:
    """Checks 2-9 on an extracted bundle (see the module docstring)."""
    _check_layout(names)
    digests = _check_checksums(folder, names)
    try:
        results = rd.read_results(folder)
    except InputError as exc:
        raise SubmissionRejected(_member(folder, exc)) from None
    errors = rd.schema_errors(results)
    if errors:
        raise SubmissionRejected(f"results.json does not match the schema: {errors[0]}")
    try:
        card = read_card(folder / MODEL_CARD)
    except InputError as exc:
        raise SubmissionRejected(_member(folder, exc)) from None
    try:
        files = read_run(folder)
    except InputError as exc:
        raise SubmissionRejected(_member(folder, exc)) from None
    verified = Verified(results, card, sha256_file(bundle))
    benchmark, manifest, samples = _check_benchmark(folder, results, files, options)
    metrics = _metrics(results, files.config)
    flags = results["flags"]
    # A custom benchmark is never "reportable" (not a published one), yet it is submittable when the
    # bundle carries its items; any other reason keeps a submission out.
    custom = benchmark.kind == "custom"
    blocking = [r for r in flags["reasons"] if not (custom and r.startswith(f"custom benchmark {benchmark.name}:"))]
    if options.trust != "reference" and (blocking or (not custom and not flags["reportable"])):
        raise SubmissionRejected(f"results.json is not reportable ({'; '.join(blocking) or 'no reason given'}); "
                                 "only our own runs (--trust reference) may enter a store non-reportable")
    if options.trust != "reference" and custom and ITEMS not in names:
        raise SubmissionRejected(f"custom benchmark {benchmark.name}: the bundle lacks its {ITEMS}; pack the run "
                                 "with --items CSV (the items file it scored)")
    from avbench.benchmark.validate import validate_run

    problems = validate_run(folder)
    if problems:
        raise SubmissionRejected(problems[0].replace(str(folder) + "/", ""))
    problems = (claims.benchmark_problems(benchmark, files.config) + claims.item_problems(benchmark, manifest)
                + claims.counts_problems(benchmark, results, manifest, files.failures)
                + claims.card_problems(card, manifest))
    if problems:
        raise SubmissionRejected(problems[0])
    verified.counts = claims.counts(benchmark, manifest)
    _check_references(folder, results, metrics, benchmark, options, verified)
    _check_media(folder, digests, manifest, samples, metrics, options, verified)
    if options.trust == "verified" and not verified.rescored:
        raise SubmissionRejected("trust verified needs the store to re-score the media: pack the run --with-media")
    return verified


def entry_id(model: str, benchmark: str, bundle_sha256: str) -> str:
    """`<model>--<benchmark>--<first 10 hex of the bundle sha256>`, reduced to [A-Za-z0-9._-]."""
    return f"{slug(f'{model}--{benchmark}')[:100]}--{bundle_sha256[:10]}"


def make_entry(verified: Verified, trust: str) -> Entry:
    from avbench.metrics.versions import library_versions

    results = verified.results
    notes = [] if results["flags"]["reportable"] else [f"not reportable: {r}" for r in results["flags"]["reasons"]]
    notes += [f"{m}: not recomputed against our reference statistics ({why})" for m, why in verified.unverified.items()]
    return Entry(
        entry_id=entry_id(verified.card["name"], results["benchmark"]["name"], verified.bundle_sha256),
        trust=trust, model=verified.card, benchmark=results["benchmark"]["name"],
        scores=scores_from_results(results), source=f"bundle sha256:{verified.bundle_sha256}",
        benchmark_version=str(results["benchmark"]["version"]),
        # the avbench that verified it (its preset versions are the bundle's), not the bundle's word
        suite_version=library_versions()["avbench"], reportable=bool(results["flags"]["reportable"]),
        notes=tuple(notes), added_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        # the generator that made the videos: with trust `reference`, a control is a reference row
        extra={"adapter": results["model"]["name"], "run_id": results["run_id"], "config_hash": results["config_hash"],
               "counts": verified.counts,
               "rescored": verified.rescored, "unverified": sorted(verified.unverified),
               "reference_state_sha256": verified.our_references},
    )


def submit(bundle: str | Path, store: str | Path, options: SubmitOptions | None = None, replace: bool = False) -> Entry:
    """Verify `bundle` (a zip from `avbench pack`) and add it to `store`; returns the entry.
    Raises `SubmissionRejected` with the reason on the first failed check."""
    from .store import TRUST_LEVELS

    options = options or SubmitOptions()
    if options.trust not in TRUST_LEVELS[:3]:
        raise AvbenchError(f"--trust must be one of {', '.join(TRUST_LEVELS[:3])}, not {options.trust!r}")
    bundle = Path(bundle)
    if not bundle.is_file():
        raise InputError(bundle, "no such bundle file")
    folder = Path(tempfile.mkdtemp(prefix="avbench-submit-"))
    try:
        names = safe_extract(bundle, folder, options.limits)
        verified = verify_extracted(bundle, folder, names, options)
        entry = make_entry(verified, options.trust)
        add_entry(store, entry, folder, replace=replace)
        return entry
    except InputError as exc:
        if exc.path == str(bundle):
            raise SubmissionRejected(exc.problem) from None
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
