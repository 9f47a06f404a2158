"""Tables as a standalone HTML page: the tables (best bold, second underlined, muted rows grey
and italic, caveats numbered), their footnotes, and the plots (PNG beside the page)."""
from __future__ import annotations

import html

from .layout import alignment, caveat_marks, grid_cells, grid_columns
from .table import Table

RANK_MARKUP = {1: "<b>{}</b>", 2: "<u>{}</u>"}
STYLE = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse}"
         "th,td{padding:.3em .8em;border-bottom:1px solid #ccc;text-align:right}th.l,td.l{text-align:left}"
         "tr.muted td{color:#555;font-style:italic}img{max-width:100%;margin:1em 0}li{margin:.2em 0}")


def _table(table: Table) -> list[str]:
    columns = grid_columns(table)
    side = [" class='l'" if alignment(c) == "l" else "" for c in columns]
    parts = [f"<h2>{html.escape(table.benchmark)}</h2><table><tr><th class='l'>Model</th>"
             + "".join(f"<th{s}>{html.escape(c.header)}</th>" for c, s in zip(columns, side)) + "</tr>"]
    for row in table.rows:
        marks = caveat_marks(table, row)
        name = html.escape(row.label) + (f"<sup>{marks}</sup>" if marks else "")
        cells = "".join(f"<td{s}>{RANK_MARKUP.get(rank, '{}').format(html.escape(text))}</td>"
                        for (text, rank), s in zip(grid_cells(table, row), side))
        css = " class='muted'" if row.muted else ""
        parts.append(f"<tr{css}><td class='l'>{name}</td>{cells}</tr>")
    notes = [html.escape(n) for n in table.footnotes]
    notes += [f"<sup>{number}</sup>{html.escape(note)}" for note, number in table.caveats().items()]
    notes += [html.escape(line) for line in table.legend]
    parts.append("</table><ul>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    return parts


def render_html(tables: list[Table], plots: list[str]) -> str:
    parts = ["<!doctype html>", "<html><head><meta charset='utf-8'><title>avbench report</title>",
             f"<style>{STYLE}</style></head><body>", "<h1>avbench report</h1>"]
    for table in tables:
        parts += _table(table)
    parts += [f"<img src='{html.escape(plot)}' alt='{html.escape(plot)}'>" for plot in plots]
    parts.append("</body></html>")
    return "\n".join(parts)
