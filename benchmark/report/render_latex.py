"""Tables as LaTeX (booktabs), one table float per benchmark: per metric the best value bold and
the second underlined, ± the CI half-width, arrows in the header, references below a rule, italic
rows, caveats numbered beside the label, and the footnotes, caveats and legend under the table."""
from __future__ import annotations

from .layout import alignment, caveat_marks, grid_cells, grid_columns
from .table import Table

_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
RANK_MARKUP = {1: r"\textbf{{{}}}", 2: r"\underline{{{}}}"}


def latex_escape(text: str) -> str:
    text = "".join(_SPECIAL.get(ch, ch) for ch in text)
    return text.replace("↑", r"$\uparrow$").replace("↓", r"$\downarrow$").replace("±", r"$\pm$").replace("—", "--")


def _table(table: Table) -> list[str]:
    columns = grid_columns(table)
    out = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{{' '.join(['l', *map(alignment, columns)])}}}",
           r"\toprule", " & ".join(["Model", *(latex_escape(c.header) for c in columns)]) + r" \\", r"\midrule"]
    for k, row in enumerate(table.rows):
        if row.is_reference and k > 0 and not table.rows[k - 1].is_reference:
            out.append(r"\midrule")  # the references below the contenders
        marks = caveat_marks(table, row)
        name = latex_escape(row.label) + (rf"\textsuperscript{{{marks}}}" if marks else "")
        name = rf"\textit{{{name}}}" if row.muted else name
        cells = [RANK_MARKUP.get(rank, "{}").format(latex_escape(text)) for text, rank in grid_cells(table, row)]
        out.append(" & ".join([name, *cells]) + r" \\")
    footer = [latex_escape(note) for note in table.footnotes]
    footer += [rf"\textsuperscript{{{number}}}{latex_escape(note.rstrip('.'))}."
               for note, number in table.caveats().items()]
    footer += [latex_escape(line) for line in table.legend]
    out += [r"\bottomrule", r"\end{tabular}", r"\par\smallskip", r"{\footnotesize " + " ".join(footer) + r"\par}",
            rf"\caption{{{latex_escape(table.benchmark)}: best bold, second underlined.}}",
            rf"\label{{tab:avbench-{''.join(ch if ch.isalnum() else '-' for ch in table.benchmark)}}}",
            r"\end{table}", ""]
    return out


def render_latex(tables: list[Table]) -> str:
    """The whole file (needs \\usepackage{booktabs})."""
    out = ["% avbench; requires \\usepackage{booktabs}", ""]
    for table in tables:
        out += _table(table)
    return "\n".join(out)
