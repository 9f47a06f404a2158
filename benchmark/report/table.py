"""What a table of results is made of: a score, and the metrics' display order and titles."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

# Display order of metrics (others follow alphabetically): alignment first, then quality, then
# text; with the titles of columns whose scores name none (a paper's number).
METRIC_TITLES = {"av_align": "AV-Align", "fvd": "FVD", "fid": "FID", "kid": "KID", "fad": "FAD", "is": "IS",
                 "isv": "IS (video)", "clipsim": "CLIPSIM", "clipscore": "CLIPScore"}


def metric_order(names: Iterable[str]) -> list[str]:
    """`names` without repeats, in display order (results.json keeps its keys sorted)."""
    rank = {name: k for k, name in enumerate(METRIC_TITLES)}
    return sorted(dict.fromkeys(names), key=lambda n: (rank.get(n, len(rank)), n))


@dataclass(frozen=True)
class Score:
    """One metric of one model. `ci95` is the 95% interval (None when not reported); `n` the
    number of samples it was computed on; `preset`/`version` pin the computation (None for a
    paper's number whose preset is unknown)."""

    value: float | None
    higher_is_better: bool
    ci95: tuple[float, float] | None = None
    n: int | None = None
    preset: str | None = None
    version: str | None = None
    title: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Score":
        """A score from its JSON form: a leaderboard entry's score or a results.json metric."""
        ci = data.get("ci95")
        return cls(value=data.get("value"), higher_is_better=bool(data["higher_is_better"]),
                   ci95=None if ci is None else (float(ci[0]), float(ci[1])), n=data.get("n"),
                   preset=data.get("preset"), version=data.get("version"), title=data.get("title"))
