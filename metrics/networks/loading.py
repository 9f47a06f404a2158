"""Strict loading of canonical state dicts into avbench networks, with one-line errors."""
from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from ..errors import WeightsError

# BatchNorm's step counter only matters for training; canonical files differ in whether they carry it.
_IGNORED_SUFFIX = ".num_batches_tracked"


def load_strict(module: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str) -> nn.Module:
    """Load `state_dict` into `module` with `strict=True`; raise WeightsError naming `source` on mismatch.

    `num_batches_tracked` entries are dropped first (and PyTorch fills them in), so a file with or
    without them loads; every other key must match in name and shape.
    """
    if not isinstance(state_dict, Mapping):
        raise WeightsError(f"{source}: expected a state dict (name -> tensor), got {type(state_dict).__name__}")
    # A plain dict (no `_metadata`) makes BatchNorm accept the missing counters.
    plain = {k: v for k, v in state_dict.items() if not k.endswith(_IGNORED_SUFFIX)}
    expected = {k for k in module.state_dict() if not k.endswith(_IGNORED_SUFFIX)}
    missing = sorted(expected - plain.keys())
    unexpected = sorted(plain.keys() - expected)
    if missing or unexpected:
        raise WeightsError(
            f"{source}: key layout does not match {type(module).__name__} "
            f"({len(missing)} missing, e.g. {missing[:3]}; {len(unexpected)} unexpected, e.g. {unexpected[:3]})"
        )
    own = module.state_dict()
    for key, value in plain.items():
        if not isinstance(value, torch.Tensor):
            raise WeightsError(f"{source}: entry {key!r} is a {type(value).__name__}, not a tensor")
        if value.shape != own[key].shape:
            raise WeightsError(f"{source}: {key!r} has shape {tuple(value.shape)}, "
                               f"{type(module).__name__} needs {tuple(own[key].shape)}")
    module.load_state_dict(plain, strict=True)
    return module
