"""One table per benchmark from leaderboard entries: a row per entry, a column per metric (in
the report's metric order, with its direction), best and second-best marked per column, the
mean win rate per row, and the footnotes a reader needs (presets, versions, caveats).
Every output (site, CSV, JSON, LaTeX, plots) renders this one model."""
from __future__ import annotations

from dataclasses import dataclass, field

from avbench.benchmark.report.table import METRIC_TITLES, Score, metric_order
from avbench.metrics.errors import AvbenchError

from .store import Entry
from .win_rate import mean_win_rates

# Tab order: the paper's benchmarks first, custom ones after them alphabetically.
PUBLISHED_BENCHMARKS = ("vggsound", "landscape", "audioset-drums")


@dataclass(frozen=True)
class Column:
    metric: str
    title: str
    higher_is_better: bool
    presets: tuple[str, ...]  # "preset vVERSION" of every entry that has the metric; "unstated" for a paper number

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"

    @property
    def header(self) -> str:
        return f"{self.title} {self.arrow}"


@dataclass(frozen=True)
class Cell:
    score: Score
    rank: int | None = None  # 1 = best, 2 = second best (among distinct values of the column), else None

    @property
    def half_width(self) -> float | None:
        ci = self.score.ci95
        return None if ci is None else (ci[1] - ci[0]) / 2


@dataclass
class Row:
    entry: Entry
    cells: dict[str, Cell]  # metric -> cell; a metric the entry lacks has no cell
    win_rate: float | None = None

    @property
    def model(self) -> str:
        return str(self.entry.model["name"])

    @property
    def reasons(self) -> list[str]:
        """Why the entry is not reportable (its `extra["reasons"]`, else its notes)."""
        if self.entry.reportable:
            return []
        return list(self.entry.extra.get("reasons") or self.entry.notes)


@dataclass
class BenchmarkTable:
    benchmark: str
    columns: list[Column]
    rows: list[Row]
    footnotes: list[str] = field(default_factory=list)


def benchmark_order(names) -> list[str]:
    rank = {name: k for k, name in enumerate(PUBLISHED_BENCHMARKS)}
    return sorted(dict.fromkeys(names), key=lambda n: (rank.get(n, len(rank)), n))


def _preset_label(score: Score) -> str:
    if score.preset is None:
        return "unstated"
    return score.preset if score.version is None else f"{score.preset} v{score.version}"


def _columns(entries: list[Entry]) -> list[Column]:
    columns = []
    for metric in metric_order(m for e in entries for m in e.scores):
        scores = [e.scores[metric] for e in entries if metric in e.scores]
        directions = {s.higher_is_better for s in scores}
        if len(directions) > 1:
            ids = ", ".join(e.entry_id for e in entries if metric in e.scores)
            raise AvbenchError(f"metric {metric}: entries {ids} disagree on whether higher is better")
        title = next((s.title for s in scores if s.title), METRIC_TITLES.get(metric, metric))
        columns.append(Column(metric, title, directions.pop(), tuple(sorted({_preset_label(s) for s in scores}))))
    return columns


def _ranks(values: dict[int, float], higher_is_better: bool) -> dict[int, int]:
    """Row index -> 1 (best) or 2 (second) over the distinct values; needs two or more values."""
    if len(values) < 2:
        return {}
    distinct = sorted(set(values.values()), reverse=higher_is_better)[:2]
    return {i: distinct.index(v) + 1 for i, v in values.items() if v in distinct}


def _footnotes(benchmark: str, columns: list[Column], rows: list[Row]) -> list[str]:
    notes = []
    suites = sorted({r.entry.suite_version for r in rows if r.entry.suite_version})
    versions = sorted({r.entry.benchmark_version for r in rows if r.entry.benchmark_version})
    if suites:
        notes.append(f"avbench suite version {', '.join(suites)}.")
    if versions:
        notes.append(f"{benchmark} version {', '.join(versions)}.")
    notes.append("Presets: " + "; ".join(f"{c.title} {', '.join(c.presets)}" for c in columns) + ".")
    mixed = [c.title for c in columns if len(c.presets) > 1]
    if mixed:
        notes.append(f"{', '.join(mixed)}: rows computed with different presets (or unstated ones) are not "
                     "strictly comparable.")
    if any(cell.score.ci95 for r in rows for cell in r.cells.values()):
        notes.append("± is the half-width of the 95% confidence interval over samples.")
    notes.append("Mean win rate (HELM): per metric, the fraction of the other models of this table beaten "
                 "(ties count half), averaged over the metrics the model has; missing metrics are left out.")
    return notes


def _without_repeats(group: list[Entry]) -> tuple[list[Entry], list[str]]:
    """`group` less the entries that repeat another entry of it (`extra["same_as"]`, e.g. a paper
    table re-printing Table 1's row): listed twice they would count twice in the win rate."""
    by_id = {e.entry_id: e for e in group}
    kept, notes = [], []
    for entry in group:
        original = by_id.get(entry.extra.get("same_as") or "")
        if original is None:
            kept.append(entry)
            continue
        where = " / ".join(str(entry.extra[k]) for k in ("table", "row") if entry.extra.get(k))
        notes.append(f"Not listed twice: {entry.model['name']}{f' ({where})' if where else ''} repeats the numbers "
                     f"of {original.model['name']}.")
    return kept, notes


def build_tables(entries: list[Entry]) -> list[BenchmarkTable]:
    """One table per benchmark; rows sorted by mean win rate (best first, "—" last), then model name.
    An entry repeating another one's numbers is left out of the table (named in a footnote)."""
    tables = []
    for benchmark in benchmark_order(e.benchmark for e in entries):
        group, repeats = _without_repeats([e for e in entries if e.benchmark == benchmark])
        columns = _columns(group)
        rows = [Row(e, {m: Cell(s) for m, s in e.scores.items()}) for e in group]
        for column in columns:
            values = {i: r.cells[column.metric].score.value for i, r in enumerate(rows)
                      if column.metric in r.cells and r.cells[column.metric].score.value is not None}
            for i, rank in _ranks(values, column.higher_is_better).items():
                rows[i].cells[column.metric] = Cell(rows[i].cells[column.metric].score, rank)
        rates = mean_win_rates({r.entry.entry_id: {m: c.score.value for m, c in r.cells.items()} for r in rows},
                               {c.metric: c.higher_is_better for c in columns})
        for row in rows:
            row.win_rate = rates[row.entry.entry_id]
        rows.sort(key=lambda r: (r.win_rate is None, -(r.win_rate or 0.0), r.model, r.entry.entry_id))
        tables.append(BenchmarkTable(benchmark, columns, rows, _footnotes(benchmark, columns, rows) + repeats))
    return tables
