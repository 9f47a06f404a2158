"""Strided shards of a run (`--shard i/N`, i = 0..N-1): shard i takes the ids at positions
i, i+N, i+2N, ... of the sorted id list, with no padding, so shard sizes differ by at most one
and the union of all shards is the whole run."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from avbench.metrics.errors import AvbenchError


@dataclass(frozen=True)
class Shard:
    index: int  # 0-based
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise AvbenchError(f"--shard must look like i/N (e.g. 0/4), got {text!r}") from None
        if count < 1 or not 0 <= index < count:
            raise AvbenchError(f"--shard {text}: need 0 <= i < N")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def select(ids: Sequence[str], shard: Shard | None = None, limit: int | None = None) -> list[str]:
    """The ids a run (or one shard of it) works on: the first `limit` of the sorted ids, strided."""
    ordered = sorted(ids)
    if limit is not None:
        if limit < 1:
            raise AvbenchError(f"--limit must be positive, got {limit}")
        ordered = ordered[:limit]
    return ordered if shard is None else ordered[shard.index::shard.count]
