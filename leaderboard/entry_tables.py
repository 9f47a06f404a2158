"""The leaderboard's tables: store entries turned into rows of the one table model (trust level
and mean win rate as text columns, caveats and the reasons an entry is not reportable numbered
beside it, unreportable rows in italics), one table per benchmark sorted by mean win rate, an
entry repeating another one's numbers listed once, and the footnotes (versions, presets, win rate).

Reference rows (the real videos, the chance-level controls) are shown below the contenders and
never ranked: an entry is one only when the maintainers vouch for what it is (`reference_of`),
and each contender's AV-Align is also placed between the chance and real levels of its tab."""
from __future__ import annotations

from avbench.benchmark.report.run_tables import LEVEL_METRIC, LEVELS_NOTE, add_levels
from avbench.benchmark.report.runs import CONTROLS
from avbench.benchmark.report.table import Row, Table, TextColumn, build_table, has_ci, presets_note, score_cells

from .store import Entry
from .win_rate import mean_win_rates

# Tab order: the paper's benchmarks first, custom ones after them alphabetically.
PUBLISHED_BENCHMARKS = ("vggsound", "landscape", "audioset-drums")
TRUST = TextColumn("Trust", lambda row: row.fields["trust"], align="l")
WIN_RATE = TextColumn("Win rate ↑", lambda row: format_rate(row.win_rate), after_scores=True)
POSITION_KEY = "av_align_position"  # row field: (x - chance) / (real - chance) of its AV-Align
POSITION = TextColumn("AV-Align chance→real", lambda row: format_position(row.fields.get(POSITION_KEY)),
                      after_scores=True)
POSITION_NOTE = ("AV-Align chance→real: where the model's AV-Align x sits between the two levels, "
                 "(x − chance) / (real − chance); 0 is chance, 1 the real videos (shown only when both "
                 "levels exist on this tab with the model's AV-Align preset).")
# Trust levels whose entries can be references: our own runs and the paper rows we transcribed.
# A submission (self-reported, verified) is always a contender, whatever it calls itself.
REFERENCE_TRUST = ("reference", "reported")
TRUST_HATCH = {"reported": "//", "self-reported": ".."}  # plots: numbers nobody re-computed from samples


def format_rate(rate: float | None) -> str:
    """A mean win rate (in [0, 1]): three decimals; "—" when the row shares no metric with another."""
    return "—" if rate is None else f"{rate:.3f}"


def format_position(position: float | None) -> str:
    """A position between the chance (0) and real (1) levels: two decimals; "" when not defined."""
    return "" if position is None else f"{position:.2f}"


def reference_of(entry: Entry) -> str | None:
    """The reference an entry is (`real`, `chance`, `shifted`; see `CONTROLS`), or None for a
    contender. Only our own runs (trust `reference`, whose generator `submit` recorded from the
    run as `extra["adapter"]`) and the paper rows we transcribed (the adapter that reproduces
    the row) can be references; the model's name plays no part, so no submission is one."""
    if entry.trust not in REFERENCE_TRUST:
        return None
    return CONTROLS.get(str(entry.extra.get("adapter") or ""))


def benchmark_order(names) -> list[str]:
    rank = {name: k for k, name in enumerate(PUBLISHED_BENCHMARKS)}
    return sorted(dict.fromkeys(names), key=lambda n: (rank.get(n, len(rank)), n))


def entry_row(entry: Entry) -> Row:
    """The row of `entry`; its `fields` are the entry as the site and the CSV show it."""
    # Why it is not reportable: its `extra["reasons"]`, else its notes.
    reasons = [] if entry.reportable else list(entry.extra.get("reasons") or entry.notes)
    reference = reference_of(entry)
    return Row(key=entry.entry_id, label=str(entry.model["name"]), cells=score_cells(entry.scores),
               reference=reference, notes=(*entry.notes, *reasons), muted=not entry.reportable,
               paper=entry.trust == "reported", hatch=TRUST_HATCH.get(entry.trust, ""),
               fields={"entry_id": entry.entry_id, "model": entry.model, "trust": entry.trust,
                       "reference": reference, "reportable": entry.reportable, "reasons": reasons,
                       "notes": list(entry.notes), "source": entry.source,
                       "benchmark_version": entry.benchmark_version, "suite_version": entry.suite_version,
                       "added_at": entry.added_at, POSITION_KEY: None})


def _add_positions(table: Table) -> bool:
    """Each contender's AV-Align between its chance and real level cells (`add_levels` filled
    them with the references of the row's preset); True when any row has one."""
    chance, real = f"{LEVEL_METRIC}:chance", f"{LEVEL_METRIC}:real"
    placed = False
    for row in table.rows:
        if {LEVEL_METRIC, chance, real} <= row.cells.keys():
            x, low, high = (row.cells[k].score.value for k in (LEVEL_METRIC, chance, real))
            if None not in (x, low, high) and high != low:
                row.fields[POSITION_KEY] = (x - low) / (high - low)
                placed = True
    return placed


def _footnotes(table: Table, group: list[Entry]) -> list[str]:
    notes = []
    suites = sorted({e.suite_version for e in group if e.suite_version})
    versions = sorted({e.benchmark_version for e in group if e.benchmark_version})
    if suites:
        notes.append(f"avbench suite version {', '.join(suites)}.")
    if versions:
        notes.append(f"{table.benchmark} version {', '.join(versions)}.")
    notes.append(presets_note(table))
    mixed = [c.title for c in table.metric_columns if len(c.presets) > 1]
    if mixed:
        notes.append(f"{', '.join(mixed)}: rows computed with different presets (or unstated ones) are not "
                     "strictly comparable.")
    if has_ci(table):
        notes.append("± is the half-width of the 95% confidence interval over samples.")
    notes.append("Mean win rate (HELM): per metric, the fraction of the other models of this table beaten "
                 "(ties count half), averaged over the metrics the model has; missing metrics are left out. "
                 "Reference rows (real videos, controls) are not ranked and not counted.")
    if any(c.level for c in table.columns):
        notes.append(LEVELS_NOTE)
    if POSITION in table.text_columns:
        notes.append(POSITION_NOTE)
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


def build_tables(entries: list[Entry]) -> list[Table]:
    """One table per benchmark; rows sorted by mean win rate (best first, "—" last), then model name.
    An entry repeating another one's numbers is left out of the table (named in a footnote)."""
    tables = []
    for benchmark in benchmark_order(e.benchmark for e in entries):
        group, repeats = _without_repeats([e for e in entries if e.benchmark == benchmark])
        table = build_table(benchmark, [entry_row(e) for e in group], [TRUST, WIN_RATE])
        rates = mean_win_rates({r.key: {m: r.cells[m].score.value for m in r.cells} for r in table.rows
                                if not r.is_reference},
                               {c.metric: bool(c.higher_is_better) for c in table.metric_columns})
        for row in table.rows:
            row.win_rate = rates.get(row.key)
        add_levels(table)
        if _add_positions(table):
            table.text_columns.insert(table.text_columns.index(WIN_RATE), POSITION)
        table.rows.sort(key=lambda r: (r.is_reference, r.win_rate is None, -(r.win_rate or 0.0), r.label, r.key))
        table.footnotes = _footnotes(table, group) + repeats
        if any(r.muted for r in table.rows):
            table.legend.append("Italic rows are not reportable.")
        tables.append(table)
    return tables

