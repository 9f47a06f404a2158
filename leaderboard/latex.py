"""`leaderboard.tex`: one booktabs table per benchmark; per metric the best value bold and the
second underlined (by the metric's direction), ± the CI half-width, arrows in the header, each
entry's caveats as numbered notes, and a footnote with the suite version and presets."""
from __future__ import annotations

from avbench.benchmark.report.runs import format_number
from avbench.benchmark.report.tables import latex_escape

from .table_model import BenchmarkTable, Cell


def format_cell(cell: Cell | None) -> str:
    """The LaTeX text of a cell: value ± half-width, bold if best, underlined if second."""
    if cell is None or cell.score.value is None:
        return "--"
    text = format_number(cell.score.value)
    if cell.half_width is not None:
        text += rf" $\pm$ {format_number(cell.half_width)}"
    if cell.rank == 1:
        return rf"\textbf{{{text}}}"
    if cell.rank == 2:
        return rf"\underline{{{text}}}"
    return text


def _table(table: BenchmarkTable) -> list[str]:
    notes: dict[str, int] = {}  # caveat text -> its number
    for row in table.rows:
        for note in (*row.entry.notes, *row.reasons):
            notes.setdefault(note, len(notes) + 1)
    spec = "l l " + "r " * len(table.columns) + "r"
    out = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
           "Model & Trust & " + " & ".join(latex_escape(c.header) for c in table.columns) + r" & Win rate $\uparrow$ \\",
           r"\midrule"]
    for row in table.rows:
        marks = sorted({notes[n] for n in (*row.entry.notes, *row.reasons)})
        name = latex_escape(row.model) + (rf"\textsuperscript{{{','.join(map(str, marks))}}}" if marks else "")
        if not row.entry.reportable:
            name = rf"\textit{{{name}}}"
        cells = [format_cell(row.cells.get(c.metric)) for c in table.columns]
        rate = "--" if row.win_rate is None else f"{row.win_rate:.3f}"
        out.append(f"{name} & {latex_escape(row.entry.trust)} & " + " & ".join(cells) + f" & {rate} " + r"\\")
    out += [r"\bottomrule", r"\end{tabular}"]
    footer = [latex_escape(n) for n in table.footnotes]
    footer += [rf"\textsuperscript{{{number}}}{latex_escape(text.rstrip('.'))}." for text, number in notes.items()]
    if any(not r.entry.reportable for r in table.rows):
        footer.append("Italic rows are not reportable.")
    out += [r"\par\smallskip", r"{\footnotesize " + " ".join(footer) + r"\par}",
            rf"\caption{{{latex_escape(table.benchmark)}: best bold, second underlined.}}",
            rf"\label{{tab:avbench-{''.join(ch if ch.isalnum() else '-' for ch in table.benchmark)}}}",
            r"\end{table}", ""]
    return out


def render_latex(tables: list[BenchmarkTable]) -> str:
    """The whole file (needs \\usepackage{booktabs})."""
    out = ["% avbench leaderboard; requires \\usepackage{booktabs}", ""]
    for table in tables:
        out += _table(table)
    return "\n".join(out)
