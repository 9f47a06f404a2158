"""`generate`: run a generator adapter over a benchmark into a folder of videos + `manifest.csv`.

Resumable: the manifest is append-only (one row per finished sample, written after its files),
so a killed run loses at most the sample in flight and a rerun skips every id already listed
(and first rewrites a manifest that a kill cut mid-line or that lists an id twice). The folder is
locked while generating (`folder_lock`). `generate.json` records the model, options, benchmark
and output spec; a rerun into the same folder with another configuration is refused.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from avbench.metrics.csv_files import parse_csv
from avbench.metrics.errors import AvbenchError, OutputError
from avbench.metrics.fileio import atomic_write, write_error

from avbench.metrics.cache import cache_key
from .definition import Benchmark, OutputSpec
from .folder_lock import writing
from .generators import BenchmarkItem, GeneratedSample, make_generator
from .sharding import Shard, select

GENERATE_RECORD = "generate.json"
MANIFEST = "manifest.csv"
FAILURES = "generate_failures.csv"
MANIFEST_COLUMNS = ("sample_id", "video_path", "audio_path", "label", "text", "seed")


def output_spec(benchmark: Benchmark, generator: Any, override: dict[str, Any] | None = None) -> OutputSpec:
    """The benchmark protocol's output, with the generator's declared fields, then `override`."""
    return OutputSpec.of_protocol(benchmark.protocol).overridden(getattr(generator, "output_spec", None)).overridden(override)


def generation_record(model: str, options: dict[str, Any], benchmark: Benchmark, spec: OutputSpec) -> dict[str, Any]:
    record = {"model": model, "options": options, "benchmark": benchmark.describe(), "output_spec": spec.to_dict()}
    return {**record, "gen_config_hash": cache_key(record)}


def _manifest_rows(path: Path) -> tuple[list[dict[str, str]], bool]:
    """The rows of an append-only manifest, and whether its text is clean (no last line cut off
    by a kill, no blank sample id)."""
    if not path.is_file():
        return [], True
    text = path.read_text(encoding="utf-8")
    clean = not text or text.endswith("\n")
    if not clean:
        text = text[: text.rfind("\n") + 1]
    rows = [row.values for row in parse_csv(text, path, "generated manifest").rows()] if text else []
    return [row for row in rows if row.get("sample_id")], clean and all(row.get("sample_id") for row in rows)


def read_generated(path: Path) -> dict[str, dict[str, str]]:
    """Rows of an append-only manifest by sample id (a later row of an id replaces an earlier
    one); a last line cut off by a kill is ignored."""
    return {row["sample_id"]: row for row in _manifest_rows(path)[0]}


def _repair_manifest(path: Path) -> None:
    """Rewrite a manifest that a kill cut mid-line or that lists an id twice (two generate
    commands at once, before folders were locked) as one row per id, so appends start clean."""
    rows, clean = _manifest_rows(path)
    if clean and len(rows) == len({row["sample_id"] for row in rows}):
        return
    by_id = {row["sample_id"]: row for row in rows}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(by_id[i] for i in sorted(by_id))
    with atomic_write(path, "w") as fh:
        fh.write(buf.getvalue())


def _append_row(path: Path, row: dict[str, Any]) -> None:
    new = not path.is_file() or path.stat().st_size == 0
    try:
        with open(path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise write_error(path, exc) from None


def _relative(path: Path, root: Path) -> str:
    resolved, base = path.resolve(), root.resolve()
    if not resolved.is_relative_to(base):
        raise AvbenchError(f"the generator wrote {path} outside the run folder {root}")
    if not resolved.is_file():
        raise AvbenchError(f"the generator did not write {path}")
    return resolved.relative_to(base).as_posix()


@dataclass
class GenerateOutcome:
    out_dir: Path
    generated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, AvbenchError):
        return str(exc)
    text = str(exc).strip()
    return f"unexpected {type(exc).__name__}: {text.splitlines()[-1] if text else ''}"


def generate(model: str, benchmark: Benchmark, out_dir: str | Path, options: dict[str, Any] | None = None,
             output: dict[str, Any] | None = None, shard: Shard | None = None, limit: int | None = None,
             progress: bool = True, wait: bool = False) -> GenerateOutcome:
    """Generate one sample per benchmark item (of `shard`, the first `limit` ids) into `out_dir`,
    holding its lock (`wait`: for another process to release it, else FolderBusy)."""
    options = dict(options or {})
    generator = make_generator(model, **options)
    with writing(out_dir, wait) as out:
        return _generate(model, generator, benchmark, out, options, output, shard, limit, progress)


def _generate(model: str, generator: Any, benchmark: Benchmark, out: Path, options: dict[str, Any],
              output: dict[str, Any] | None, shard: Shard | None, limit: int | None, progress: bool
              ) -> GenerateOutcome:
    from tqdm import tqdm

    spec = output_spec(benchmark, generator, output)
    if hasattr(generator, "expect_output"):
        generator.expect_output(spec)
    record = generation_record(model, options, benchmark, spec)
    record_path = out / GENERATE_RECORD
    if record_path.is_file():
        previous = json.loads(record_path.read_text(encoding="utf-8"))
        if previous.get("gen_config_hash") != record["gen_config_hash"]:
            raise AvbenchError(f"{out} holds samples of another generation config ({previous.get('model')} on "
                               f"{previous.get('benchmark', {}).get('name')}); use another --out")
    else:
        with atomic_write(record_path, "w") as fh:
            json.dump(record, fh, indent=2, sort_keys=True)

    items = benchmark.items()
    if hasattr(generator, "prepare"):
        generator.prepare(items)
    by_id = {item.item_id: item for item in items}
    todo_ids = select(sorted(by_id), shard, limit)
    manifest = out / MANIFEST
    _repair_manifest(manifest)
    done = read_generated(manifest)
    outcome = GenerateOutcome(out)
    todo = []
    for item_id in todo_ids:
        row = done.get(item_id)
        if row and (out / row["video_path"]).is_file():
            outcome.skipped.append(item_id)
        else:
            todo.append(by_id[item_id])
    bar = tqdm(total=len(todo), desc=f"generate {model}", unit="sample", disable=not progress or not todo)
    for item, result in _results(generator, todo, out):
        bar.update(1)
        try:
            if isinstance(result, BaseException):
                raise result
            row = {"sample_id": item.item_id, "video_path": _relative(Path(result.video_path), out),
                   "audio_path": _relative(Path(result.audio_path), out), "label": item.label or "",
                   "text": item.text or "", "seed": item.seed}
        except OutputError:  # the folder cannot take more files: no later item can be written either
            raise
        except Exception as exc:  # one item's failure is recorded; the run goes on
            outcome.failures[item.item_id] = _one_line(exc)
            continue
        _append_row(manifest, row)
        outcome.generated.append(item.item_id)
    bar.close()
    _write_failures(out / FAILURES, outcome.failures)
    return outcome


BatchResult = tuple[BenchmarkItem, "GeneratedSample | BaseException"]


def _results(generator: Any, todo: list[BenchmarkItem], out: Path) -> Iterator[BatchResult]:
    """(item, sample or the exception it failed with) for every item of `todo`, in order of
    completion: through the generator's `generate_batch` when it has one (a model loaded once
    for many items), else one `generate` call per item. Items a batch does not report fail."""
    if not hasattr(generator, "generate_batch"):
        for item in todo:
            try:
                yield item, generator.generate(item, out)
            except Exception as exc:
                yield item, exc
        return
    pending = {item.item_id: item for item in todo}
    try:
        for item_id, result in generator.generate_batch(todo, out):
            item = pending.pop(item_id, None)
            if item is not None:
                yield item, result
    except Exception as exc:  # the batch itself broke: every item not yet reported fails with it
        for item in list(pending.values()):
            yield item, exc
        return
    for item in pending.values():
        yield item, AvbenchError(f"the {generator.name} batch did not report item {item.item_id}")


def _write_failures(path: Path, failures: dict[str, str]) -> None:
    if not failures:
        path.unlink(missing_ok=True)
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["sample_id", "error"])
    for sample_id in sorted(failures):
        writer.writerow([sample_id, failures[sample_id]])
    with atomic_write(path, "w") as fh:
        fh.write(buf.getvalue())
