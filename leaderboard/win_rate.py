"""Mean win rate (HELM's aggregate ranking): per metric, the chance that a model beats another
model of the same table picked at random (ties count half), averaged over the metrics the
model has. A missing metric is left out of the mean, never counted as a loss; a metric that
fewer than two models have ranks nobody."""
from __future__ import annotations

from collections import Counter
from typing import Mapping


def metric_win_rates(values: Mapping[str, float], higher_is_better: bool) -> dict[str, float]:
    """Win rate in [0, 1] of each key of `values` (key -> value) against the others; empty when
    fewer than two values are given."""
    if len(values) < 2:
        return {}
    counts = Counter(values.values())
    beaten_so_far, wins = 0, {}
    for value in sorted(counts, reverse=not higher_is_better):  # worst first
        wins[value] = beaten_so_far + (counts[value] - 1) / 2
        beaten_so_far += counts[value]
    return {key: wins[value] / (len(values) - 1) for key, value in values.items()}


def mean_win_rates(table: Mapping[str, Mapping[str, float | None]], higher_is_better: Mapping[str, bool]
                   ) -> dict[str, float | None]:
    """`table`: row id -> {metric -> value (None or absent = missing)}; `higher_is_better`:
    metric -> direction. Returns row id -> mean win rate, None where no metric of the row is
    shared with another row."""
    per_row: dict[str, list[float]] = {row: [] for row in table}
    for metric, higher in higher_is_better.items():
        values = {row: cells[metric] for row, cells in table.items() if cells.get(metric) is not None}
        for row, rate in metric_win_rates(values, higher).items():
            per_row[row].append(rate)
    return {row: (sum(rates) / len(rates) if rates else None) for row, rates in per_row.items()}
