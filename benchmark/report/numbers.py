"""How tables, plots and console summaries write numbers (files such as CSV and JSON keep every digit)."""
from __future__ import annotations

import math

from .table import Score


def format_number(value: float | None) -> str:
    """Three decimals (fewer for large values, three significant digits for small ones); values
    below 1e-9 in magnitude are rounding noise of an exact zero (e.g. a distance of a set to
    itself) and show as 0.000."""
    if value is None or not math.isfinite(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 10:
        return f"{value:.2f}"
    if magnitude >= 0.01:
        return f"{value:.3f}"
    if magnitude < 1e-9:
        return "0.000"
    return f"{value:.3g}"


def format_score(score: Score | None) -> str:
    """The value ± the half-width of its 95% CI (when it has both); "—" when missing."""
    if score is None:
        return "—"
    text = format_number(score.value)
    if score.value is not None and score.half_width is not None:
        text += f" ± {format_number(score.half_width)}"
    return text

