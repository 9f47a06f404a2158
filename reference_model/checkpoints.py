"""Resolving and loading the reference model's weight files (registered in `weight_files`)."""
from __future__ import annotations

from pathlib import Path

from avbench.metrics import weights
from avbench.metrics.errors import WeightsError

from .beats import BEATs, beats_from_checkpoint
from .mapper import AudioTokenMapper, mapper_from_state_dict
from .weight_files import BEATS_WEIGHTS, mapper_weights_name


def resolve_weights(
    dataset: str,
    beats_path: str | Path | None = None,
    mapper_path: str | Path | None = None,
    offline: bool | None = None,
) -> tuple[Path, Path]:
    """Verified paths of the BEATs checkpoint and the `dataset` mapper; one WeightsError naming
    every missing file and how to get it."""
    paths, problems = [], []
    for name, path in ((BEATS_WEIGHTS, beats_path), (mapper_weights_name(dataset), mapper_path)):
        try:
            paths.append(weights.resolve(name, path=path, offline=offline))
        except WeightsError as exc:
            problems.append(str(exc))
    if problems:
        raise WeightsError(" | ".join(problems))
    return paths[0], paths[1]


def load_beats(path: Path) -> BEATs:
    """BEATs from a resolved checkpoint file (strict, classifier head dropped)."""
    try:
        return beats_from_checkpoint(weights.load_file(weights.get_spec(BEATS_WEIGHTS), path))
    except ValueError as exc:
        raise WeightsError(f"{path}: {exc}") from None


def load_mapper(dataset: str, path: Path) -> AudioTokenMapper:
    """The `dataset` mapper from a resolved `learned_embeds.pth` (strict)."""
    try:
        return mapper_from_state_dict(weights.load_file(weights.get_spec(mapper_weights_name(dataset)), path))
    except ValueError as exc:
        raise WeightsError(f"{path}: {exc}") from None
