"""The one table model of avbench (`avbench report` and the layers above): per benchmark, a column
per metric (title, direction, presets), a row per model with its scores, each cell ranked best or
second among the contenders, and the footnotes a reader needs. A row is a contender or a
reference (a control such as the real clips: shown for comparison, never ranked). The renderers
(`render_*.py`) and the plots (`plots.py`) read this model; its owners turn their records into rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from avbench.metrics.catalogue import metric_class, metric_names
from avbench.metrics.errors import AvbenchError


def metric_order(names: Iterable[str]) -> list[str]:
    """`names` without repeats, in the catalogue's order (alignment, then quality, then text;
    others alphabetically after them; results.json keeps its keys sorted)."""
    rank = {name: k for k, name in enumerate(metric_names())}
    return sorted(dict.fromkeys(names), key=lambda n: (rank.get(n, len(rank)), n))


def metric_title(name: str) -> str:
    """The display title of metric `name` (for scores that name none, such as a paper's number)."""
    try:
        return metric_class(name).title
    except AvbenchError:  # a metric of a plug-in not installed here
        return name


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
        """A score from its JSON form: a results.json metric, or a score stored as one."""
        ci = data.get("ci95")
        return cls(value=data.get("value"), higher_is_better=bool(data["higher_is_better"]),
                   ci95=None if ci is None else (float(ci[0]), float(ci[1])), n=data.get("n"),
                   preset=data.get("preset"), version=data.get("version"), title=data.get("title"))

    @property
    def half_width(self) -> float | None:
        return None if self.ci95 is None else (self.ci95[1] - self.ci95[0]) / 2

    @property
    def preset_label(self) -> str:
        """"preset vVERSION" as footnotes name it; "unstated" for a paper's number."""
        if self.preset is None:
            return "unstated"
        return self.preset if self.version is None else f"{self.preset} v{self.version}"


@dataclass(frozen=True)
class Column:
    """A metric column, or a level column: the score of one reference (e.g. AV-Align's chance
    level) beside each contender with the same preset."""

    key: str  # the metric, or "<metric>:<level>" for a level column
    metric: str
    title: str
    higher_is_better: bool | None  # None for a level column: never ranked
    presets: tuple[str, ...]  # `Score.preset_label` of every row that has the metric
    level: str | None = None  # the reference a level column shows (see `Row.reference`)

    @property
    def arrow(self) -> str:
        return {True: "↑", False: "↓", None: ""}[self.higher_is_better]

    @property
    def header(self) -> str:
        return f"{self.title} {self.level or self.arrow}"


@dataclass(frozen=True)
class TextColumn:
    """A column of text beside the scores that a table's owner adds (e.g. the report's sample
    counts, a trust level, the mean win rate); never ranked."""

    header: str
    text: Callable[["Row"], str]
    align: str = "r"  # "l" or "r"
    after_scores: bool = False


@dataclass
class Cell:
    score: Score
    rank: int | None = None  # 1 = best, 2 = second best among the contenders' distinct values, else None


@dataclass
class Row:
    """One model in a table."""

    key: str  # unique in its table (e.g. a run folder)
    label: str  # the model as the table names it
    cells: dict[str, Cell]  # column key -> cell; a column the row has no score for has no cell
    reference: str | None = None  # None for a contender; else the reference it is: real, chance, shifted
    notes: tuple[str, ...] = ()  # caveats, numbered beside the label
    muted: bool = False  # set in italics: a reference, or rows the table's legend explains
    paper: bool = False  # numbers copied from a paper: squares and "(paper)" in plots
    hatch: str = ""  # fill pattern of its bars in plots
    win_rate: float | None = None  # HELM mean win rate, where the table's owner ranks by it
    fields: dict[str, Any] = field(default_factory=dict)  # facts exported beside the scores (CSV, JSON)

    @property
    def is_reference(self) -> bool:
        return self.reference is not None


@dataclass
class Table:
    benchmark: str
    columns: list[Column]
    rows: list[Row]
    text_columns: list[TextColumn] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)  # what the rows' marks mean (e.g. italics), after the caveats

    @property
    def metric_columns(self) -> list[Column]:
        return [c for c in self.columns if c.level is None]

    def caveats(self) -> dict[str, int]:
        """Every row's caveat -> its number, in order of first appearance."""
        numbers: dict[str, int] = {}
        for row in self.rows:
            for note in row.notes:
                numbers.setdefault(note, len(numbers) + 1)
        return numbers


def score_cells(scores: dict[str, Score]) -> dict[str, Cell]:
    return {metric: Cell(score) for metric, score in scores.items()}


def build_table(benchmark: str, rows: list[Row], text_columns: list[TextColumn] | None = None) -> Table:
    """A table of `rows` (contenders in the given order, then references): a column per metric
    the rows have, cells ranked. The owner adds footnotes (and level columns, win rates)."""
    rows = [r for r in rows if not r.is_reference] + [r for r in rows if r.is_reference]
    table = Table(benchmark, _metric_columns(rows), rows, list(text_columns or []))
    for column in table.columns:
        _rank(column, rows)
    return table


def _metric_columns(rows: list[Row]) -> list[Column]:
    columns = []
    for metric in metric_order(m for r in rows for m in r.cells):
        scores = [r.cells[metric].score for r in rows if metric in r.cells]
        directions = {s.higher_is_better for s in scores}
        if len(directions) > 1:
            keys = ", ".join(r.key for r in rows if metric in r.cells)
            raise AvbenchError(f"metric {metric}: rows {keys} disagree on whether higher is better")
        title = next((s.title for s in scores if s.title), None) or metric_title(metric)
        presets = tuple(sorted({s.preset_label for s in scores}))
        columns.append(Column(metric, metric, title, directions.pop(), presets))
    return columns


def _rank(column: Column, rows: list[Row]) -> None:
    """Mark the best and second-best distinct values of the contenders (two or more values)."""
    cells = [r.cells[column.key] for r in rows if not r.is_reference and column.key in r.cells
             and r.cells[column.key].score.value is not None]
    if column.higher_is_better is None or len(cells) < 2:
        return
    top = sorted({c.score.value for c in cells}, reverse=column.higher_is_better)[:2]
    for cell in cells:
        cell.rank = top.index(cell.score.value) + 1 if cell.score.value in top else None


def presets_note(table: Table) -> str:
    return "Presets: " + "; ".join(f"{c.title} {', '.join(c.presets)}" for c in table.metric_columns) + "."


def has_ci(table: Table) -> bool:
    return any(cell.score.ci95 for row in table.rows for cell in row.cells.values())
