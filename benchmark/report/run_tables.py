"""The report's tables: one per benchmark over run directories, a row per run (the controls
last, as references), the sample counts beside the label, AV-Align's chance level
(`shuffled-audio`) and real-video level (`real`) beside each model, and footnotes for the
presets, the CIs, the levels and the runs that are not reportable."""
from __future__ import annotations

from .runs import CONTROLS, Run, scores_from_results
from .table import Cell, Column, Row, Table, TextColumn, build_table, has_ci, presets_note, score_cells

LEVELS = ("chance", "real")  # the references shown beside each model, for LEVEL_METRIC
LEVEL_METRIC = "av_align"
COUNTS = TextColumn("n", lambda row: f"{row.fields['scored']}/{row.fields['expected']}")
REFERENCE_HATCH = "//"
LEVELS_NOTE = ("AV-Align chance: the shuffled-audio control (each real video with another item's audio); "
               "AV-Align real: the dataset's own clips. Both on the same benchmark and AV-Align preset.")


def run_row(run: Run) -> Row:
    """The row of `run`: a reference when it is a control; its `fields` feed report.csv and the footnotes."""
    reference = CONTROLS.get(run.adapter)
    counts = run.results["counts"]
    flags = run.results["flags"]
    return Row(key=str(run.path), label=run.model, cells=score_cells(scores_from_results(run.results)),
               reference=reference, muted=reference is not None, hatch=REFERENCE_HATCH if reference else "",
               fields={"adapter": run.adapter, "scored": counts["scored"], "expected": counts["expected"],
                       "reportable": flags["reportable"], "reasons": flags["reasons"], "run_dir": str(run.path)})


def run_tables(runs: list[Run]) -> list[Table]:
    """One table per benchmark, in the order the runs name them; rows in the given run order."""
    tables = []
    for benchmark in dict.fromkeys(r.benchmark for r in runs):
        table = build_table(benchmark, [run_row(r) for r in runs if r.benchmark == benchmark], [COUNTS])
        add_levels(table)
        table.footnotes = _footnotes(table)
        tables.append(table)
    return tables


def add_levels(table: Table) -> None:
    """After the LEVEL_METRIC column, a column per level whose reference is among the rows; each
    contender's cell holds that reference's score with the contender's preset (a reference's
    level cells stay empty: it is a level itself)."""
    at = next((k for k, c in enumerate(table.columns) if c.key == LEVEL_METRIC), None)
    if at is None:
        return
    metric = table.columns[at]
    levels = [level for level in LEVELS if any(r.reference == level for r in table.rows)]
    table.columns[at + 1:at + 1] = [
        Column(f"{metric.key}:{level}", metric.key, metric.title, None, metric.presets, level) for level in levels]
    for row in table.rows:
        own = row.cells.get(metric.key)
        if own is None or row.is_reference:
            continue
        for level in levels:
            reference = next((r.cells[metric.key] for r in table.rows if r.reference == level and metric.key in r.cells
                              and r.cells[metric.key].score.preset == own.score.preset), None)
            if reference is not None:
                row.cells[f"{metric.key}:{level}"] = Cell(reference.score)


def _footnotes(table: Table) -> list[str]:
    notes = [presets_note(table)]
    if has_ci(table):
        notes.append("± is the half-width of the seeded percentile-bootstrap 95% CI over samples.")
    if any(c.level for c in table.columns):
        notes.append(LEVELS_NOTE)
    unreportable: dict[str, list[str]] = {}
    for row in table.rows:
        if not row.fields["reportable"]:
            unreportable.setdefault("; ".join(row.fields["reasons"]), []).append(row.label)
    notes += [f"Not reportable: {', '.join(models)} ({reasons})." for reasons, models in unreportable.items()]
    return notes
