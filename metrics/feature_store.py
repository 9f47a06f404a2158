"""Stored feature vectors of a set, for metrics that need the samples themselves (KID).

Shards merge by concatenation in merge order; a metric that draws subsets by index (KID) gives
the one-pass result when shards are merged in the order one pass would have seen them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .set_state import SetState, as_feature_rows, load_state_npz, save_state_npz

STORE_FORMAT = "avbench-feature-store/1"


@dataclass
class FeatureStore(SetState):
    """Feature rows `(N, dim)` kept in their own float dtype (float32 network outputs stay exact)."""

    chunks: list[np.ndarray] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(chunk.shape[0] for chunk in self.chunks)

    def update(self, features) -> None:
        """Append a batch `(N, dim)` (numpy or torch)."""
        x = as_feature_rows(features, self.dim)
        self.chunks.append(x.copy())

    def merge(self, other: "FeatureStore") -> None:
        """Append another shard's features after these (in place)."""
        self.check_compatible(other, "merge")
        self.chunks.extend(chunk.copy() for chunk in other.chunks)
        self.adopt_provenance(other)

    def features(self) -> np.ndarray:
        """All rows in order, `(N, dim)`."""
        if not self.chunks:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(self.chunks, axis=0)

    def save(self, path: str | Path) -> None:
        save_state_npz(path, STORE_FORMAT, self, {"features": self.features()})

    @classmethod
    def load(cls, path: str | Path) -> "FeatureStore":
        data = load_state_npz(path, STORE_FORMAT, ("features",))
        features = data["features"]
        if features.ndim != 2:
            raise InputError(path, f"stored features have shape {features.shape}, expected (N, D)")
        return cls(
            dim=features.shape[1], preset=data["preset"], version=data["version"],
            weights_sha256=data["weights_sha256"], chunks=[features] if features.shape[0] else [],
        )
