"""Benchmarks as data: a versioned YAML (protocol, metric presets, layout) plus an items CSV.

Built-in definitions live in `benchmark/definitions/` (`vggsound`, `landscape`,
`audioset-drums`, `custom`); any other YAML of the same form can be loaded by path. The items
of a benchmark are the rows of its CSV; `data_root` (the user's local copy of the dataset)
and the YAML's `layout` templates say where each item's video and audio are.
"""
from __future__ import annotations

import hashlib
import math
import os
import string
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from avbench.metrics.csv_files import read_csv
from avbench.metrics.errors import AvbenchError, InputError

from .generators import BenchmarkItem
from .sources import SourceSpec
from .yaml_files import read_yaml_mapping

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
DATA_ENV = "AVBENCH_DATA"  # folder holding one <benchmark name>/ copy per dataset
SCHEMA = "benchmark.schema.json"  # what a definition YAML must be (schemas/)


@dataclass(frozen=True)
class Protocol:
    """What a benchmark pins. Seconds, frames per second, pixels, Hz; None = not pinned (not checked).

    `duration`: audio each item conditions on; `fps`, `frames`, `width`, `height`: the expected
    output video; `audio_sample_rate`: the conditioning audio handed to a generator;
    `reference_split`: what the set metrics compare against; `seed`: root of the per-item seeds.
    """

    duration: float | None = None
    fps: float | None = None
    frames: int | None = None
    width: int | None = None
    height: int | None = None
    audio_sample_rate: int | None = None
    samples_per_item: int = 1
    reference_split: str = "test"
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> "Protocol":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InputError(source, f"unknown protocol field(s): {', '.join(sorted(unknown))}")
        protocol = cls(**data)
        if protocol.samples_per_item != 1:
            raise InputError(source, "samples_per_item other than 1 is not supported yet")
        return protocol

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OutputSpec:
    """What every scored video must be (None = not checked): frames per second, frame count,
    pixels, and duration in seconds (tolerance: one frame)."""

    fps: float | None = None
    frames: int | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    @classmethod
    def of_protocol(cls, protocol: Protocol) -> "OutputSpec":
        return cls(protocol.fps, protocol.frames, protocol.width, protocol.height, protocol.duration)

    def overridden(self, changes: dict[str, Any] | None) -> "OutputSpec":
        if not changes:
            return self
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise AvbenchError(f"unknown output spec field(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Benchmark:
    """A loaded benchmark definition with its item rows (`rows`, in file order)."""

    name: str
    version: str
    kind: str  # "builtin" or "custom"
    title: str
    protocol: Protocol
    metrics: dict[str, dict[str, Any]]
    layout: dict[str, str | None]
    text_template: str
    rows: tuple[dict[str, str], ...]
    items_sha256: str
    definition_path: str
    data_root: Path | None
    label_join: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    sources: SourceSpec | None = None  # where the clips come from (`avbench data prepare`)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def item_ids(self) -> list[str]:
        return [r["item_id"] for r in self.rows]

    def item_seed(self, item_id: str) -> int:
        """Seed of one item: independent of order and sharding."""
        digest = hashlib.sha256(f"{self.protocol.seed}:{item_id}".encode()).hexdigest()
        return int(digest[:8], 16)

    def _path(self, template: str | None, row: dict[str, str]) -> Path | None:
        if template is None:
            return None
        relative = template.format(**row)  # load_benchmark checked the template names columns of every row
        if not relative:
            return None
        path = Path(relative)
        if path.is_absolute():
            return path
        if self.data_root is None:
            raise AvbenchError(f"benchmark {self.name}: no data_root given (set `data_root:` in the config, "
                               f"--data-root, or ${DATA_ENV}/{self.name})")
        return self.data_root / path

    def items(self) -> list[BenchmarkItem]:
        """Every item, in file order; its video is the dataset's own clip."""
        out = []
        for row in self.rows:
            video = self._path(self.layout.get("video"), row)
            audio = self._path(self.layout.get("audio"), row) or video
            if audio is None:
                raise InputError(self.definition_path, f"item {row['item_id']}: no audio and no video path")
            out.append(BenchmarkItem(
                item_id=row["item_id"], audio_path=audio, duration=_duration(self.protocol, row),
                seed=self.item_seed(row["item_id"]), start=float(row.get("start") or 0.0),
                label=row.get("label") or None, text=row.get("text") or None, video_path=video,
            ))
        return out

    def describe(self) -> dict[str, Any]:
        """The record of this benchmark in results and configs."""
        return {"name": self.name, "version": self.version, "kind": self.kind, "split": self.protocol.reference_split,
                "items_sha256": self.items_sha256, "n_items": len(self.rows), "protocol": self.protocol.to_dict()}


def _duration(protocol: Protocol, row: dict[str, str]) -> float:
    if protocol.duration is not None:
        return float(protocol.duration)
    value = row.get("duration")
    return float(value) if value else math.nan


def benchmark_names() -> list[str]:
    """Names of the built-in benchmarks (and `synthetic:tiny`, generated on first use)."""
    return sorted(p.stem for p in DEFINITIONS.glob("*.yaml")) + ["synthetic:tiny"]


def _check_seconds(values: dict[str, str], path: Path, line: int) -> None:
    """An items row's `start` (at least 0) and `duration` (more than 0), in seconds, where given:
    a value float() cannot read, or NaN, would otherwise stop a run mid-way or cut no segment."""
    for column, positive in (("start", False), ("duration", True)):
        text = values.get(column, "")
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise InputError(path, f"line {line}: {column} {text!r} is not a {'positive' if positive else 'non-negative'} "
                                   "number of seconds")


def _read_items(path: Path) -> tuple[list[dict[str, str]], str]:
    table = read_csv(path, "items file")
    rows, seen = [], set()
    for row in table.rows(("item_id",), nonempty=True):
        values = {k: v.strip() for k, v in row.values.items()}
        if not values["item_id"]:
            raise InputError(path, f"line {row.line}: empty item_id")
        if values["item_id"] in seen:
            raise InputError(path, f"line {row.line}: duplicate item_id {values['item_id']!r}")
        _check_seconds(values, path, row.line)
        seen.add(values["item_id"])
        rows.append(values)
    return rows, table.sha256


def _folder_rows(folder: Path) -> list[dict[str, str]]:
    """Items of a plain folder of clips, paired with audio by the stem rules. An entry named like
    a video that is no readable file (a broken link, a folder `x.mp4`) is an item too: it fails
    as one, with its reason, wherever its file is read."""
    from avbench.metrics.media import pair_videos

    rows = []
    for pair in pair_videos([folder]):
        rows.append({"item_id": str(pair.video.relative_to(folder).with_suffix("")).replace(os.sep, "/"),
                     "video_path": str(pair.video.relative_to(folder)),
                     "audio_path": "" if pair.audio is None else os.path.relpath(pair.audio, folder)})
    ids = [r["item_id"] for r in rows]
    if not ids:
        raise InputError(folder, "holds no video files (items of a folder are its videos)")
    if len(set(ids)) != len(ids):
        raise InputError(folder, "two clips share a stem; give an items CSV instead")
    return rows


def _join_labels(rows: list[dict[str, str]], items: Path, labels_csv: Path, join: tuple[str, ...]
                 ) -> list[dict[str, str]]:
    """Add `label` to rows (read from `items`) from a headerless `ytid,start_seconds,label[,split]`
    CSV (official VGGSound), matching the rows' `join` columns (id, start seconds)."""
    table: dict[tuple[str, float], str] = {}
    for line, rec in read_csv(labels_csv, "labels").records:
        if len(rec) < 3:
            raise InputError(labels_csv, f"line {line}: expected ytid,start_seconds,label[,split]")
        try:
            table[(rec[0].strip(), float(rec[1]))] = rec[2].strip()
        except ValueError:
            if line == 1:
                continue  # a header row
            raise InputError(labels_csv, f"line {line}: start seconds {rec[1]!r} is not a number") from None
    key_col, start_col = join
    joined = []
    for row in rows:
        try:
            key = (row[key_col], float(row[start_col]))
        except KeyError as exc:
            raise InputError(items, f"the label join needs column {exc}, which the items lack") from None
        except ValueError:
            raise InputError(items, f"item {row['item_id']}: {start_col} {row[start_col]!r} is not a number") from None
        joined.append({**row, "label": table.get(key, row.get("label", ""))})
    return joined


def _resolve_definition(name_or_path: str | Path) -> Path:
    from . import synthetic_benchmark

    if str(name_or_path).startswith(synthetic_benchmark.PREFIX):
        return synthetic_benchmark.resolve(str(name_or_path))
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    name = str(name_or_path).split("@", 1)[0]
    builtin = DEFINITIONS / f"{name}.yaml"
    if builtin.is_file():
        return builtin
    raise AvbenchError(f"unknown benchmark {name_or_path!r}; built-in: {', '.join(benchmark_names())}, "
                       "or give the path of a benchmark YAML")


def _metric_options(path: Path, listed: Any) -> dict[str, dict[str, Any]]:
    """The YAML's `metrics:` (metric → options) under the catalogue's names (`av-align` is
    `av_align`), so options and results are keyed by one spelling; an unknown metric, a name
    given twice is an InputError naming the file (the schema has checked the options are mappings)."""
    from avbench.metrics.catalogue import canonical, metric_names

    known, out = metric_names(), {}
    for key, options in listed.items():
        name = canonical(str(key))
        if name not in known:
            raise InputError(path, f"metrics: unknown metric {key!r}; known: {', '.join(known)}")
        if name in out:
            raise InputError(path, f"metrics: {name} is listed twice")
        out[name] = dict(options or {})
    return out


def _template_fields(path: Path, key: str, template: str | None, fields: set[str], fields_of: str) -> set[str]:
    """The fields a template of the YAML (`key`) names, each one of `fields` (those of
    `fields_of`) as a plain `{field}`: a bad template is found at load, not when the first item
    (or the last) is formatted."""
    try:
        parts = list(string.Formatter().parse(template or ""))
    except ValueError as exc:
        raise InputError(path, f"{key}: {template!r} is not a template ({exc})") from None
    named = set()
    for _, name, spec, conversion in parts:
        if name is not None and (spec or conversion):
            raise InputError(path, f"{key}: {template!r}: write each field as a plain {{name}}")
        if name is not None and name not in fields:
            raise InputError(path, f"{key}: {template!r} names {{{name}}}, which is none of {fields_of} "
                                   f"({', '.join(sorted(fields))})")
        if name is not None:
            named.add(name)
    return named


@lru_cache(maxsize=32)
def _load_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, "benchmark YAML", SCHEMA)


def load_benchmark(name_or_path: str | Path, data_root: str | Path | None = None, items: str | Path | None = None,
                   labels: str | Path | None = None, protocol: dict[str, Any] | None = None) -> Benchmark:
    """A benchmark by built-in name (optionally `name@version`) or YAML path.

    `data_root`: the user's copy of the dataset (default `$AVBENCH_DATA/<name>`); `items`: an
    items CSV or a folder of clips (custom benchmarks); `labels`: a label table to join (VGGSound);
    `protocol`: overrides of protocol fields (custom benchmarks only: a built-in protocol is fixed).
    """
    path = _resolve_definition(name_or_path)
    data = _load_yaml(path)
    name, version = str(data["name"]), str(data["version"])
    # Only definitions shipped in the package are built-in, whatever a user's YAML claims.
    kind = "builtin" if path.resolve().parent == DEFINITIONS and data["kind"] == "builtin" else "custom"
    if "@" in str(name_or_path) and str(name_or_path).split("@", 1)[1] != version:
        raise AvbenchError(f"benchmark {name} is at version {version}, not {str(name_or_path).split('@', 1)[1]}")
    proto_data = dict(data["protocol"] or {})
    if protocol:
        if kind != "custom":
            raise AvbenchError(f"benchmark {name} is built in: its protocol cannot be overridden (use `custom`)")
        proto_data.update(protocol)
    proto = Protocol.from_dict(proto_data, str(path))

    source = items if items is not None else data.get("items")
    if source is None:
        raise AvbenchError(f"benchmark {name}: give the items (an items CSV or a folder of clips)")
    source_path = Path(source) if Path(source).is_absolute() or items is not None else path.parent / source
    if source_path.is_dir():
        rows = _folder_rows(source_path)
        digest = hashlib.sha256("\n".join(f"{r['item_id']},{r['video_path']},{r['audio_path']}" for r in rows).encode()).hexdigest()
        default_root: Path | None = source_path
    else:
        rows, digest = _read_items(source_path)
        default_root = source_path.parent if kind == "custom" else None
    join = tuple((data.get("labels") or {}).get("join") or ())
    if labels is not None:
        if not join:
            raise AvbenchError(f"benchmark {name} takes no label table")
        rows = _join_labels(rows, source_path, Path(labels), join)
    layout = dict(data["layout"])
    for key in ("video", "audio"):
        _template_fields(path, f"layout.{key}", layout.get(key), set(rows[0]), f"the columns of the items {source_path}")
    sources = SourceSpec.from_definition(data["sources"], path) if data.get("sources") else None
    text_template = str(data.get("text_template", "a video of {label}"))
    if "label" not in _template_fields(path, "text_template", text_template, {"label"}, "the fields of a caption"):
        raise InputError(path, f"text_template: {text_template!r} does not name {{label}}: every item's caption "
                               "would be the same")

    if data_root is None and kind != "custom" and os.environ.get(DATA_ENV):
        data_root = Path(os.environ[DATA_ENV]) / name
    root = Path(data_root) if data_root is not None else default_root
    return Benchmark(
        name=name, version=version, kind=kind, title=str(data.get("title", name)), protocol=proto,
        metrics=_metric_options(path, data["metrics"]), layout=layout, text_template=text_template, rows=tuple(rows),
        items_sha256=digest,
        definition_path=str(path), data_root=root, label_join=join,
        notes={k: str(data[k]) for k in ("source", "duplicates") if k in data}, sources=sources,
    )


def recorded_custom_benchmark(record: dict[str, Any], items: str | Path) -> Benchmark:
    """The custom benchmark a run scored, from its record (config.yaml's `benchmark`: name,
    version, protocol) and the items CSV `items` it names: ids, labels, captions and the items'
    sha256, with no layout or data root (it checks a run's ids and counts; it generates nothing)."""
    path = Path(items)
    rows, digest = _read_items(path)
    return Benchmark(name=str(record["name"]), version=str(record["version"]), kind="custom",
                     title=str(record["name"]), protocol=Protocol.from_dict(dict(record["protocol"]), str(path)),
                     metrics={}, layout={}, text_template="a video of {label}", rows=tuple(rows),
                     items_sha256=digest, definition_path=str(path), data_root=None)
