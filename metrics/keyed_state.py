"""A mergeable state of per-sample payloads keyed by sample id (AV-Align scores, CLIP cosines,
IS logits, KID features). Computations read it in sorted id order, so a state merged from
shards equals the state of one pass, bit for bit."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import AvbenchError, InputError
from .fileio import atomic_write

FORMAT = "avbench-keyed-state/1"


class KeyedState:
    """`{sample_id: {field: array}}` with the same fields (and per-field trailing shape) for every sample."""

    def __init__(self, metric: str, preset: str, version: str, meta: dict[str, str] | None = None):
        self.metric, self.preset, self.version = metric, preset, version
        self.meta: dict[str, str] = dict(meta or {})  # provenance, e.g. {"weights_sha256": ...}
        self.payloads: dict[str, dict[str, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.payloads)

    def next_id(self) -> str:
        """An id for a sample added without one (in-memory use): ids sort in the order of addition."""
        return f"#{len(self.payloads):09d}"

    def add(self, sample_id: str, payload: dict[str, np.ndarray]) -> None:
        if sample_id in self.payloads:
            raise AvbenchError(f"{self.metric}: sample {sample_id!r} added twice")
        self.payloads[sample_id] = {k: np.asarray(v) for k, v in payload.items()}

    def merge(self, other: "KeyedState") -> "KeyedState":
        if (other.metric, other.preset, other.version) != (self.metric, self.preset, self.version):
            raise AvbenchError(f"cannot merge {other.metric} [{other.preset} {other.version}] into "
                               f"{self.metric} [{self.preset} {self.version}]")
        if other.meta != self.meta and self.payloads and other.payloads:
            raise AvbenchError(f"cannot merge {self.metric} states of different provenance ({other.meta} vs {self.meta})")
        self.meta = self.meta or other.meta
        overlap = self.payloads.keys() & other.payloads.keys()
        if overlap:
            raise AvbenchError(f"{self.metric}: shards overlap on {len(overlap)} sample(s), e.g. {sorted(overlap)[0]}")
        self.payloads.update(other.payloads)
        return self

    def ordered(self) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
        for sample_id in sorted(self.payloads):
            yield sample_id, self.payloads[sample_id]

    def stacked(self, name: str) -> np.ndarray:
        """Field `name` of every sample, in sorted id order, concatenated along axis 0."""
        parts = [np.atleast_1d(p[name]) for _, p in self.ordered()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def save(self, path: str | Path) -> None:
        """`.npz`: ids, and per field the concatenated values plus each sample's row count."""
        ids = sorted(self.payloads)
        fields = sorted(self.payloads[ids[0]]) if ids else []
        arrays: dict[str, np.ndarray] = {"format": np.array(FORMAT), "metric": np.array(self.metric),
                                         "preset": np.array(self.preset), "version": np.array(self.version),
                                         "meta": np.array(json.dumps(self.meta, sort_keys=True)),
                                         "ids": np.array(ids, dtype=str), "fields": np.array(fields, dtype=str)}
        for name in fields:
            parts = [np.atleast_1d(self.payloads[i][name]) for i in ids]
            arrays[f"value:{name}"] = np.concatenate(parts)
            arrays[f"rows:{name}"] = np.array([len(p) for p in parts], dtype=np.int64)
            arrays[f"scalar:{name}"] = np.array(self.payloads[ids[0]][name].ndim == 0)
        with atomic_write(path) as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "KeyedState":
        try:
            with np.load(path, allow_pickle=False) as npz:
                if "format" not in npz.files or str(npz["format"]) != FORMAT:
                    raise InputError(path, "not an avbench per-sample state file")
                state = cls(str(npz["metric"]), str(npz["preset"]), str(npz["version"]), json.loads(str(npz["meta"])))
                ids = [str(i) for i in npz["ids"]]
                columns = {}
                for name in (str(f) for f in npz["fields"]):
                    values, rows = npz[f"value:{name}"], npz[f"rows:{name}"]
                    bounds = np.concatenate([[0], np.cumsum(rows)])
                    scalar = bool(npz[f"scalar:{name}"])
                    columns[name] = [values[bounds[k]] if scalar else values[bounds[k]:bounds[k + 1]] for k in range(len(ids))]
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise InputError(path, f"cannot read the state ({exc})") from None
        for k, sample_id in enumerate(ids):
            state.payloads[sample_id] = {name: col[k] for name, col in columns.items()}
        return state
