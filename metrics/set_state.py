"""Provenance and `.npz` storage shared by the mergeable states of the set metrics.

A state names the preset (and its version) that produced its features and the sha256 of the
network file; states of different pipelines refuse to merge or to be compared, because a
distance between them would be a silently wrong number.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import InputError
from .fileio import atomic_write


def as_feature_rows(features, dim: int) -> np.ndarray:
    """Features `(N, dim)` from numpy or torch as float32 or float64 numpy, checked finite."""
    if isinstance(features, torch.Tensor):
        features = features.detach().cpu().numpy()
    x = np.asarray(features)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    if x.ndim != 2 or x.shape[1] != dim:
        raise InputError(None, f"features must have shape (N, {dim}), got {tuple(x.shape)}")
    if not np.isfinite(x).all():
        raise InputError(None, "features contain NaN or infinity")
    return x


@dataclass
class SetState:
    dim: int
    preset: str
    version: str
    weights_sha256: str = ""

    def check_compatible(self, other: "SetState", action: str) -> None:
        """Raise InputError unless `other` comes from the same pipeline."""
        mine = (type(self).__name__, self.dim, self.preset, self.version)
        theirs = (type(other).__name__, other.dim, other.preset, other.version)
        if mine != theirs:
            raise InputError(None, f"cannot {action} {theirs[0]} of {theirs[1:]} with {mine[1:]}")
        if self.weights_sha256 and other.weights_sha256 and self.weights_sha256 != other.weights_sha256:
            raise InputError(
                None,
                f"cannot {action} states made with different network weights "
                f"({self.weights_sha256[:12]} vs {other.weights_sha256[:12]})",
            )

    def adopt_provenance(self, other: "SetState") -> None:
        self.weights_sha256 = self.weights_sha256 or other.weights_sha256


def save_state_npz(path: str | Path, fmt: str, state: SetState, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` and `state`'s provenance to `.npz` atomically (no pickled objects)."""
    with atomic_write(path) as fh:
        np.savez(
            fh,
            format=np.array(fmt),
            preset=np.array(state.preset),
            version=np.array(state.version),
            weights_sha256=np.array(state.weights_sha256),
            **arrays,
        )


def load_state_npz(path: str | Path, fmt: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """Read a file written by `save_state_npz`: provenance strings plus the arrays `keys`."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            found = str(npz["format"]) if "format" in npz.files else "none"
            if found != fmt:
                raise InputError(path, f"not a {fmt} file (format {found})")
            out: dict[str, Any] = {k: str(npz[k]) for k in ("preset", "version", "weights_sha256")}
            out.update({k: npz[k] for k in keys})
            return out
    except InputError:
        raise
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise InputError(path, f"cannot read {fmt}: {exc}") from None
