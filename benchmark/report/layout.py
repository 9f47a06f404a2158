"""The grid every text renderer writes: after the label, the table's text columns, its score
columns, then the text columns that go after the scores; each cell's text and rank."""
from __future__ import annotations

from .numbers import format_score
from .table import Column, Row, Table, TextColumn


def grid_columns(table: Table) -> list[Column | TextColumn]:
    return ([c for c in table.text_columns if not c.after_scores] + list(table.columns)
            + [c for c in table.text_columns if c.after_scores])


def alignment(column: Column | TextColumn) -> str:
    """"l" or "r": scores are right-aligned."""
    return column.align if isinstance(column, TextColumn) else "r"


def grid_cells(table: Table, row: Row) -> list[tuple[str, int | None]]:
    """`row`'s (text, rank) under each of `grid_columns(table)`; "—" where it has no score."""
    cells = []
    for column in grid_columns(table):
        if isinstance(column, TextColumn):
            cells.append((column.text(row), None))
        else:
            cell = row.cells.get(column.key)
            cells.append((format_score(cell.score if cell else None), cell.rank if cell else None))
    return cells


def caveat_marks(table: Table, row: Row) -> str:
    """The numbers of `row`'s caveats ("1,3"), "" when it has none."""
    numbers = table.caveats()
    return ",".join(map(str, sorted({numbers[note] for note in row.notes})))
