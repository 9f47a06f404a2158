"""Benchmarks as data: a versioned YAML (protocol, metric presets, layout) plus an items CSV.

Built-in definitions live in `benchmark/definitions/` (`vggsound`, `landscape`,
`audioset-drums`, `custom`); any other YAML of the same form can be loaded by path. The items
of a benchmark are the rows of its CSV; `data_root` (the user's local copy of the dataset)
and the YAML's `layout` templates say where each item's video and audio are.
"""
from __future__ import annotations

import csv
import hashlib
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError, InputError

from .generators import BenchmarkItem
from .yaml_files import read_yaml_mapping

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
DATA_ENV = "AVBENCH_DATA"  # folder holding one <benchmark name>/ copy per dataset


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
        try:
            relative = template.format(**row)
        except KeyError as exc:
            raise InputError(self.definition_path, f"layout template {template!r} names unknown column {exc}") from None
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


def _read_items(path: Path) -> tuple[list[dict[str, str]], str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read items ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "items file is not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    if "item_id" not in (reader.fieldnames or []):
        raise InputError(path, "items file lacks an item_id column")
    rows, seen = [], set()
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not row["item_id"]:
            raise InputError(path, f"line {line}: empty item_id")
        if row["item_id"] in seen:
            raise InputError(path, f"line {line}: duplicate item_id {row['item_id']!r}")
        seen.add(row["item_id"])
        rows.append(row)
    return rows, hashlib.sha256(raw).hexdigest()


def _folder_rows(folder: Path) -> list[dict[str, str]]:
    """Items of a plain folder of clips, paired with audio by the stem rules."""
    from avbench.metrics.media import pair_videos

    rows = []
    for pair in pair_videos([folder]):
        rows.append({"item_id": str(pair.video.relative_to(folder).with_suffix("")).replace(os.sep, "/"),
                     "video_path": str(pair.video.relative_to(folder)),
                     "audio_path": "" if pair.audio is None else os.path.relpath(pair.audio, folder)})
    ids = [r["item_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise InputError(folder, "two clips share a stem; give an items CSV instead")
    return rows


def _join_labels(rows: list[dict[str, str]], labels_csv: Path, join: tuple[str, ...]) -> list[dict[str, str]]:
    """Add `label` to rows from a headerless `ytid,start_seconds,label[,split]` CSV (official VGGSound)."""
    table: dict[tuple[str, float], str] = {}
    try:
        with open(labels_csv, newline="", encoding="utf-8") as fh:
            for line, rec in enumerate(csv.reader(fh), start=1):
                if len(rec) < 3:
                    raise InputError(labels_csv, f"line {line}: expected ytid,start_seconds,label[,split]")
                try:
                    table[(rec[0].strip(), float(rec[1]))] = rec[2].strip()
                except ValueError:
                    if line == 1:
                        continue  # a header row
                    raise InputError(labels_csv, f"line {line}: start seconds {rec[1]!r} is not a number") from None
    except OSError as exc:
        raise InputError(labels_csv, f"cannot read labels ({exc.strerror})") from None
    key_col, start_col = join
    return [{**r, "label": table.get((r[key_col], float(r[start_col])), r.get("label", ""))} for r in rows]


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
    given twice or options that are not a mapping are an InputError naming the file."""
    from avbench.metrics.catalogue import canonical, metric_names

    if not isinstance(listed, dict | None):
        raise InputError(path, f"metrics: must map metric names to their options, got {listed!r}")
    known, out = metric_names(), {}
    for key, options in (listed or {}).items():
        name = canonical(str(key))
        if name not in known:
            raise InputError(path, f"metrics: unknown metric {key!r}; known: {', '.join(known)}")
        if name in out:
            raise InputError(path, f"metrics: {name} is listed twice")
        if not isinstance(options, dict | None):
            raise InputError(path, f"metrics: the options of {key} must be a mapping, got {options!r}")
        out[name] = dict(options or {})
    return out


@lru_cache(maxsize=32)
def _load_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, "benchmark YAML")


def load_benchmark(name_or_path: str | Path, data_root: str | Path | None = None, items: str | Path | None = None,
                   labels: str | Path | None = None, protocol: dict[str, Any] | None = None) -> Benchmark:
    """A benchmark by built-in name (optionally `name@version`) or YAML path.

    `data_root`: the user's copy of the dataset (default `$AVBENCH_DATA/<name>`); `items`: an
    items CSV or a folder of clips (custom benchmarks); `labels`: a label table to join (VGGSound);
    `protocol`: overrides of protocol fields (custom benchmarks only: a built-in protocol is fixed).
    """
    path = _resolve_definition(name_or_path)
    data = _load_yaml(path)
    missing = [k for k in ("name", "version", "kind", "protocol", "layout", "metrics") if k not in data]
    if missing:
        raise InputError(path, f"benchmark YAML lacks {', '.join(missing)}")
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
        rows = _join_labels(rows, Path(labels), join)

    if data_root is None and kind != "custom" and os.environ.get(DATA_ENV):
        data_root = Path(os.environ[DATA_ENV]) / name
    root = Path(data_root) if data_root is not None else default_root
    return Benchmark(
        name=name, version=version, kind=kind, title=str(data.get("title", name)), protocol=proto,
        metrics=_metric_options(path, data["metrics"]), layout=dict(data["layout"]),
        text_template=str(data.get("text_template", "a video of {label}")), rows=tuple(rows), items_sha256=digest,
        definition_path=str(path), data_root=root, label_join=join,
        notes={k: str(data[k]) for k in ("source", "duplicates") if k in data},
    )
