"""Loading what installed distributions declare in avbench's entry-point groups (verbs, models,
metrics, weight files), with one way to report a plug-in that cannot be loaded: one line naming
the entry, its target, the error and the distribution that declared it, never a traceback."""
from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Iterator

from .errors import AvbenchError


def failure(entry: EntryPoint, kind: str, reason: str) -> str:
    """The one-line report that `entry` (a plug-in of `kind`: verb, model, metric, weights)
    cannot be loaded because of `reason`."""
    dist = entry.dist
    declared = (f"distribution {dist.name} {dist.version} in [{entry.group}]" if dist is not None
                else f"[{entry.group}]")
    return f"{kind} {entry.name!r} ({entry.value}) cannot be loaded: {reason} (declared by {declared})"


def warn(message: str) -> None:
    """Report a problem that is not an error (a plug-in that cannot be loaded, a cache entry that
    is recomputed) on stderr, one line, prefixed `avbench:`."""
    print(f"avbench: {message}", file=sys.stderr)


def load(entry: EntryPoint, kind: str) -> Any:
    """The object `entry` names; any failure to import it is an AvbenchError (see `failure`),
    whatever a third-party module raises while imported."""
    try:
        return entry.load()
    except Exception as exc:  # a plug-in's import may raise anything; it must not take avbench down
        raise AvbenchError(failure(entry, kind, f"{type(exc).__name__}: {exc}")) from None


def load_group(group: str, kind: str) -> Iterator[tuple[EntryPoint, Any]]:
    """Each entry point of `group` with the object it names, in declaration order; an entry that
    cannot be loaded is reported in one line (`warn`) and left out."""
    for entry in entry_points(group=group):
        try:
            loaded = load(entry, kind)
        except AvbenchError as exc:
            warn(str(exc))
            continue
        yield entry, loaded
