"""The leaderboard's tables: store entries turned into rows of the one table model (trust level
and mean win rate as text columns, caveats and the reasons an entry is not reportable numbered
beside it, unreportable rows in italics), one table per benchmark sorted by mean win rate, an
entry repeating another one's numbers listed once, and the footnotes (versions, presets, win rate)."""
from __future__ import annotations

from avbench.benchmark.report.table import Row, Table, TextColumn, build_table, has_ci, presets_note, score_cells

from .store import Entry
from .win_rate import mean_win_rates

# Tab order: the paper's benchmarks first, custom ones after them alphabetically.
PUBLISHED_BENCHMARKS = ("vggsound", "landscape", "audioset-drums")
TRUST = TextColumn("Trust", lambda row: row.fields["trust"], align="l")
WIN_RATE = TextColumn("Win rate ↑", lambda row: format_rate(row.win_rate), after_scores=True)
TRUST_HATCH = {"reported": "//", "self-reported": ".."}  # plots: numbers nobody re-computed from samples


def format_rate(rate: float | None) -> str:
    """A mean win rate (in [0, 1]): three decimals; "—" when the row shares no metric with another."""
    return "—" if rate is None else f"{rate:.3f}"


def benchmark_order(names) -> list[str]:
    rank = {name: k for k, name in enumerate(PUBLISHED_BENCHMARKS)}
    return sorted(dict.fromkeys(names), key=lambda n: (rank.get(n, len(rank)), n))


def entry_row(entry: Entry) -> Row:
    """The row of `entry`; its `fields` are the entry as the site and the CSV show it."""
    # Why it is not reportable: its `extra["reasons"]`, else its notes.
    reasons = [] if entry.reportable else list(entry.extra.get("reasons") or entry.notes)
    return Row(key=entry.entry_id, label=str(entry.model["name"]), cells=score_cells(entry.scores),
               notes=(*entry.notes, *reasons), muted=not entry.reportable, paper=entry.trust == "reported",
               hatch=TRUST_HATCH.get(entry.trust, ""),
               fields={"entry_id": entry.entry_id, "model": entry.model, "trust": entry.trust,
                       "reportable": entry.reportable, "reasons": reasons, "notes": list(entry.notes),
                       "source": entry.source, "benchmark_version": entry.benchmark_version,
                       "suite_version": entry.suite_version, "added_at": entry.added_at})


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


def build_tables(entries: list[Entry]) -> list[Table]:
    """One table per benchmark; rows sorted by mean win rate (best first, "—" last), then model name.
    An entry repeating another one's numbers is left out of the table (named in a footnote)."""
    tables = []
    for benchmark in benchmark_order(e.benchmark for e in entries):
        group, repeats = _without_repeats([e for e in entries if e.benchmark == benchmark])
        table = build_table(benchmark, [entry_row(e) for e in group], [TRUST, WIN_RATE])
        rates = mean_win_rates({r.key: {m: c.score.value for m, c in r.cells.items()} for r in table.rows},
                               {c.metric: bool(c.higher_is_better) for c in table.metric_columns})
        for row in table.rows:
            row.win_rate = rates[row.key]
        table.rows.sort(key=lambda r: (r.win_rate is None, -(r.win_rate or 0.0), r.label, r.key))
        table.footnotes = _footnotes(table, group) + repeats
        if any(r.muted for r in table.rows):
            table.legend.append("Italic rows are not reportable.")
        tables.append(table)
    return tables

