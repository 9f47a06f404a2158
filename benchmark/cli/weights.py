"""`avbench weights list|download|path|verify`: the registered network weights and where they live.

A NAME is a registry entry (`avbench weights list`), a metric (`avbench ls metrics`: every file
of its presets) or a preset (`fvd/styleganv`: that preset's files).
"""
from __future__ import annotations

import argparse
import sys

NAME = "weights"
HELP = "List, download, locate or verify the network weights the metrics load (fetch them ahead of a GPU job)."
_NAMES_HELP = "a metric (fvd), a preset (fvd/styleganv) or a registry entry (vggish)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="every registered weight file: name, status, location, licence, URL")
    download = sub.add_parser("download", help="download the files NAMEs need (resumable, checked before use)")
    download.add_argument("names", nargs="*", metavar="NAME", help=_NAMES_HELP)
    download.add_argument("--all", action="store_true", help="every registered file")
    download.add_argument("--quiet", action="store_true", help="no progress bars")
    path = sub.add_parser("path", help="print the path(s) NAME loads (exit 1 with the download URL if absent)")
    path.add_argument("name", metavar="NAME", help=_NAMES_HELP)
    verify = sub.add_parser("verify", help="check present files against their registered sha256")
    verify.add_argument("names", nargs="*", metavar="NAME", help=f"{_NAMES_HELP} (default: all registered)")


def entries(names: list[str]) -> list[str]:
    """The registry entries `names` stand for, in order, each once: an entry itself, every file of
    a metric's presets, or a preset's files. An unknown name is one line listing what is accepted."""
    from avbench.metrics import weights
    from avbench.metrics.catalogue import canonical, make_metric, metric_class, metric_names, metric_of_preset
    from avbench.metrics.errors import AvbenchError

    specs = weights.registered()
    found: dict[str, None] = {}
    for name in names:
        if name in specs:
            found[name] = None
            continue
        metric = canonical(name)
        if metric in metric_names():
            presets = list(metric_class(metric).presets())
        elif (owner := metric_of_preset(name)) is not None:
            metric, presets = owner, [name]
        else:
            every_preset = [p for m in metric_names() for p in metric_class(m).presets()]
            raise AvbenchError(f"unknown weights, metric or preset {name!r}; metrics: {', '.join(metric_names())}; "
                               f"presets: {', '.join(every_preset)}; weights: {', '.join(sorted(specs))}")
        for preset in presets:
            found.update(dict.fromkeys(make_metric(metric, preset).weight_files()))
    return list(found)


def _status(spec, path) -> str:
    if path is None:
        return "missing"
    return "present" if spec.sha256 or spec.hash_prefix or spec.on_hub else "present (no published sha256)"


def _list(specs) -> None:
    from avbench.metrics import weights

    for name in sorted(specs):
        spec = specs[name]
        found = weights.find(spec)
        hub = f"  hub:     {spec.repo_id} (revision {spec.revision or 'main, not pinned'})\n" if spec.on_hub else ""
        print(f"{name}: {_status(spec, found)}\n{hub}  path:    {found or weights.default_path(spec)}\n"
              f"  url:     {spec.url}\n  checksum: {spec.checksum()}\n  licence: {spec.license}")


def _download(names: list[str], quiet: bool) -> int:
    """Download what `names` lack; every file that cannot be had is one line of one error."""
    from avbench.metrics import weights, weights_hub
    from avbench.metrics.errors import WeightsError
    from avbench.metrics.weights_fetch import fetch

    missing, offline, problems = [], {}, []
    for name in names:
        spec = weights.get_spec(name)
        found = weights.find(spec)
        if found is not None and not spec.on_hub:
            try:
                weights.verify(spec, found)
            except WeightsError as exc:
                print(f"{name}: {exc}", file=sys.stderr)  # fetched again below, where allowed
                found = None
        if found is not None:
            print(f"{name}: present {found}")
        elif (flag := weights.spec_offline_flag(spec)) is not None:
            offline.setdefault(flag, []).append(f"{name} ({spec.repo_id})" if spec.on_hub else name)
        elif spec.manual_download is not None:
            problems.append(weights.missing_message(spec))
        else:
            missing.append(spec)
    progress = False if quiet else None
    for spec in missing:
        try:
            if spec.on_hub:
                print(f"{spec.name}: downloaded {spec.repo_id} to {weights_hub.download(spec, progress=progress)}")
                continue
            path = weights.default_path(spec)
            digest = fetch(spec, path, progress=progress)
            checked = f"{spec.checksum()} ok" if spec.sha256 or spec.hash_prefix else "no published sha256 to compare"
            print(f"{spec.name}: downloaded {path} (sha256 {digest}; {checked})")
        except WeightsError as exc:
            problems.append(f"{spec.name}: {exc}")
    problems += [f"{flag}=1 is set, so nothing was downloaded; missing: {', '.join(names)} (run the same command "
                 f"without it where the network is reachable, e.g. a cluster's login node)"
                 for flag, names in offline.items()]
    if problems:
        raise WeightsError("\n".join(problems))
    return 0


def _path(name: str) -> int:
    from avbench.metrics import weights

    names = entries([name])
    status = 0
    for entry in names:
        spec = weights.get_spec(entry)
        found = weights.find(spec)
        if found is None:
            print(f"avbench weights: {weights.missing_message(spec)}", file=sys.stderr)
            status = 1
        else:
            print(found if names == [name] else f"{entry}: {found}")
    return status


def _verify(names: list[str]) -> int:
    from avbench.metrics import weights
    from avbench.metrics.errors import WeightsError

    problems = 0
    for name in names:
        spec = weights.get_spec(name)
        path = weights.find(spec)
        if path is None:
            print(f"{name}: MISSING: {weights.missing_message(spec)}")
            problems += 1
            continue
        if spec.on_hub:
            print(f"{name}: ok (in the Hugging Face cache; {spec.checksum()}) ({path})")
            continue
        try:
            digest = weights.verify(spec, path)
        except WeightsError as exc:
            print(f"{name}: MISMATCH: {exc}")
            problems += 1
            continue
        if spec.sha256:
            verdict = "ok"
        elif spec.hash_prefix:
            verdict = f"ok ({spec.checksum()})"
        else:
            verdict = "no published sha256 to compare; measured"
        print(f"{name}: {verdict} sha256 {digest} ({path})")
    return 1 if problems else 0


def run(args: argparse.Namespace) -> int:
    from avbench.metrics import weights
    from avbench.metrics.errors import AvbenchError

    specs = weights.registered()
    if args.action == "list":
        _list(specs)
        return 0
    if args.action == "path":
        return _path(args.name)
    if args.action == "download":
        if bool(args.names) == args.all:
            raise AvbenchError("weights download: give metric, preset or weights names, or --all (not both)")
        names = sorted(specs) if args.all else entries(args.names)
        if not names:
            print(f"{', '.join(args.names)}: no weight files needed")
        return _download(names, args.quiet)
    return _verify(entries(args.names) if args.names else sorted(specs))
