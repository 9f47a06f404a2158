"""Tables as Markdown: a section per benchmark; per metric the best value bold and the second
underlined; italic rows are references (or what the table's legend says); caveats numbered."""
from __future__ import annotations

from .layout import alignment, caveat_marks, grid_cells, grid_columns
from .table import Table

RANK_MARKUP = {1: "**{}**", 2: "<u>{}</u>"}


def render_markdown(tables: list[Table]) -> str:
    out = []
    for table in tables:
        columns = grid_columns(table)
        out.append(f"## {table.benchmark}\n")
        out.append("| " + " | ".join(["Model", *(c.header for c in columns)]) + " |")
        out.append("|---|" + "".join("---:|" if alignment(c) == "r" else "---|" for c in columns))
        for row in table.rows:
            marks = caveat_marks(table, row)
            name = row.label + (f"<sup>{marks}</sup>" if marks else "")
            name = f"*{name}*" if row.muted else name
            cells = [RANK_MARKUP.get(rank, "{}").format(text) for text, rank in grid_cells(table, row)]
            out.append("| " + " | ".join([name, *cells]) + " |")
        out.append("")
        out += [f"- {note}" for note in table.footnotes]
        out += [f"- <sup>{number}</sup>{note}" for note, number in table.caveats().items()]
        out += [f"- {line}" for line in table.legend]
        out.append("")
    return "\n".join(out)
