"""One table per benchmark over runs: a row per model, a column per metric (arrow, ± CI half-width),
AV-Align's chance level (`shuffled-audio`) and real-video level (`real`) beside each model,
presets in footnotes; rendered as Markdown, CSV, LaTeX (booktabs) or HTML."""
from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from typing import Any

from .runs import Run, control_level, format_value
from .table import metric_order

LEVELS = (("chance", "shuffled-audio"), ("real", "real"))  # (column suffix, control adapter)
LEVEL_METRIC = "av_align"


@dataclass
class Cell:
    record: dict[str, Any] | None
    best: bool = False


@dataclass
class Column:
    key: str  # metric name, or "<metric>:<level>"
    header: str
    higher_is_better: bool | None


@dataclass
class Row:
    run: Run
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Table:
    benchmark: str
    columns: list[Column]
    rows: list[Row]
    footnotes: list[str]


def _metric_order(runs: list[Run]) -> list[str]:
    return metric_order(m for run in runs for m in run.results["metrics"])


def build_tables(runs: list[Run]) -> list[Table]:
    """One table per benchmark, rows in the given run order (controls last)."""
    tables = []
    for benchmark in dict.fromkeys(r.benchmark for r in runs):
        group = [r for r in runs if r.benchmark == benchmark]
        group = [r for r in group if not r.is_control] + [r for r in group if r.is_control]
        columns, presets = [], {}
        for name in _metric_order(group):
            records = [r.metric(name) for r in group if r.metric(name)]
            first = records[0]
            arrow = "↑" if first["higher_is_better"] else "↓"
            columns.append(Column(name, f"{first['title']} {arrow}", first["higher_is_better"]))
            presets[first["title"]] = sorted({f"{rec['preset']} v{rec['version']}" for rec in records})
            if name == LEVEL_METRIC:
                for suffix, adapter in LEVELS:
                    if any(r.adapter == adapter for r in group):
                        columns.append(Column(f"{name}:{suffix}", f"{first['title']} {suffix}", None))
        rows = []
        for run in group:
            row = Row(run)
            for column in columns:
                name, _, level = column.key.partition(":")
                record = run.metric(name)
                if level:  # a control row is itself a level: its level cells stay empty
                    adapter = dict(LEVELS)[level]
                    record = None if record is None or run.is_control else control_level(
                        runs, benchmark, adapter, name, record["preset"])
                row.cells[column.key] = Cell(record)
            rows.append(row)
        _mark_best(columns, rows)
        tables.append(Table(benchmark, columns, rows, _footnotes(group, presets, columns)))
    return tables


def _mark_best(columns: list[Column], rows: list[Row]) -> None:
    """Bold the best model value per metric column (controls are references, not contenders)."""
    for column in columns:
        if column.higher_is_better is None:
            continue
        contenders = [r.cells[column.key] for r in rows if not r.run.is_control
                      and r.cells[column.key].record and r.cells[column.key].record["value"] is not None]
        if len(contenders) < 2:
            continue
        pick = max if column.higher_is_better else min
        best = pick(c.record["value"] for c in contenders)
        for cell in contenders:
            cell.best = cell.record["value"] == best


def _footnotes(group: list[Run], presets: dict[str, list[str]], columns: list[Column]) -> list[str]:
    notes = ["Presets: " + "; ".join(f"{title} {', '.join(p)}" for title, p in presets.items()) + "."]
    if any(r.metric(c.key) and r.metric(c.key)["ci95"] for r in group for c in columns):
        notes.append("± is the half-width of the seeded percentile-bootstrap 95% CI over samples.")
    if any(":" in c.key for c in columns):
        notes.append("AV-Align chance: the shuffled-audio control (each real video with another item's audio); "
                     "AV-Align real: the dataset's own clips. Both on the same benchmark and AV-Align variant.")
    unreportable: dict[str, list[str]] = {}
    for run in group:
        if not run.results["flags"]["reportable"]:
            unreportable.setdefault("; ".join(run.results["flags"]["reasons"]), []).append(run.model)
    notes += [f"Not reportable: {', '.join(models)} ({reasons})." for reasons, models in unreportable.items()]
    return notes


def _counts(run: Run) -> str:
    c = run.results["counts"]
    return f"{c['scored']}/{c['expected']}"


def render_markdown(tables: list[Table]) -> str:
    out = []
    for table in tables:
        out.append(f"## {table.benchmark}\n")
        out.append("| Model | n | " + " | ".join(c.header for c in table.columns) + " |")
        out.append("|---|---:|" + "---:|" * len(table.columns))
        for row in table.rows:
            name = f"*{row.run.model}*" if row.run.is_control else row.run.model
            cells = []
            for column in table.columns:
                cell = row.cells[column.key]
                text = format_value(cell.record)
                cells.append(f"**{text}**" if cell.best else text)
            out.append(f"| {name} | {_counts(row.run)} | " + " | ".join(cells) + " |")
        out.append("")
        out += [f"- {note}" for note in table.footnotes]
        out.append("")
    return "\n".join(out)


def render_csv(tables: list[Table]) -> str:
    """Machine-readable: one row per run × metric with the raw numbers."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["benchmark", "model", "adapter", "metric", "preset", "version", "value", "ci95_low", "ci95_high",
                     "n", "higher_is_better", "scored", "expected", "reportable", "run_dir"])
    for table in tables:
        for row in table.rows:
            r = row.run
            for name, rec in r.results["metrics"].items():
                ci = rec["ci95"] or [None, None]
                writer.writerow([table.benchmark, r.model, r.adapter, name, rec["preset"], rec["version"],
                                 "" if rec["value"] is None else repr(rec["value"]),
                                 "" if ci[0] is None else repr(ci[0]), "" if ci[1] is None else repr(ci[1]),
                                 rec["n"], rec["higher_is_better"], r.results["counts"]["scored"],
                                 r.results["counts"]["expected"], r.results["flags"]["reportable"], str(r.path)])
    return buf.getvalue()


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(text: str) -> str:
    text = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return text.replace("↑", r"$\uparrow$").replace("↓", r"$\downarrow$").replace("±", r"$\pm$").replace("—", "--")


def render_latex(tables: list[Table]) -> str:
    """booktabs tables, best model value bold, controls in italics, footnotes below."""
    out = ["% requires \\usepackage{booktabs}"]
    for table in tables:
        out += [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l r " + "r " * len(table.columns) + "}",
                r"\toprule", "Model & $n$ & " + " & ".join(latex_escape(c.header) for c in table.columns) + r" \\",
                r"\midrule"]
        first_control = True
        for row in table.rows:
            if row.run.is_control and first_control and row is not table.rows[0]:
                out.append(r"\midrule")
            first_control = first_control and not row.run.is_control
            name = latex_escape(row.run.model)
            name = rf"\textit{{{name}}}" if row.run.is_control else name
            cells = []
            for column in table.columns:
                cell = row.cells[column.key]
                text = latex_escape(format_value(cell.record))
                cells.append(rf"\textbf{{{text}}}" if cell.best else text)
            out.append(f"{name} & {_counts(row.run)} & " + " & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}",
                rf"\caption{{{latex_escape(table.benchmark)}. " + " ".join(latex_escape(n) for n in table.footnotes) + "}",
                r"\end{table}", ""]
    return "\n".join(out)


def render_html(tables: list[Table], plots: list[str]) -> str:
    """A standalone page: the tables, their footnotes and the plots (PNG beside the page)."""
    parts = ["<!doctype html>", "<html><head><meta charset='utf-8'><title>avbench report</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse}"
             "th,td{padding:.3em .8em;border-bottom:1px solid #ccc;text-align:right}th:first-child,"
             "td:first-child{text-align:left}tr.control td{color:#555;font-style:italic}"
             "img{max-width:100%;margin:1em 0}li{margin:.2em 0}</style></head><body>", "<h1>avbench report</h1>"]
    for table in tables:
        parts.append(f"<h2>{html.escape(table.benchmark)}</h2><table><tr><th>Model</th><th>n</th>"
                     + "".join(f"<th>{html.escape(c.header)}</th>" for c in table.columns) + "</tr>")
        for row in table.rows:
            cells = []
            for column in table.columns:
                cell = row.cells[column.key]
                text = html.escape(format_value(cell.record))
                cells.append(f"<td>{'<b>' + text + '</b>' if cell.best else text}</td>")
            css = " class='control'" if row.run.is_control else ""
            parts.append(f"<tr{css}><td>{html.escape(row.run.model)}</td><td>{_counts(row.run)}</td>{''.join(cells)}</tr>")
        parts.append("</table><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in table.footnotes) + "</ul>")
    for plot in plots:
        parts.append(f"<img src='{html.escape(plot)}' alt='{html.escape(plot)}'>")
    parts.append("</body></html>")
    return "\n".join(parts)

