"""`avbench weights list|path|verify`: the registered network weights and where they live."""
from __future__ import annotations

import argparse

NAME = "weights"
HELP = "List registered network weights, print where a file goes, or verify files against their sha256."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="every registered weight file: name, status, location, licence, URL")
    path = sub.add_parser("path", help="print the path of weights NAME (error with the download URL if absent)")
    path.add_argument("name", metavar="NAME")
    verify = sub.add_parser("verify", help="check present files against their registered sha256")
    verify.add_argument("names", nargs="*", metavar="NAME", help="weights to check (default: all registered)")


def _status(spec, path) -> str:
    if not path.is_file():
        return "missing"
    return "present" if spec.sha256 or spec.hash_prefix else "present (no published sha256)"


def run(args: argparse.Namespace) -> int:
    from avbench.metrics import weights
    from avbench.metrics.errors import WeightsError

    specs = weights.registered()
    if args.action == "list":
        for name in sorted(specs):
            spec = specs[name]
            path = weights.default_path(spec)
            print(f"{name}: {_status(spec, path)}\n  path:    {path}\n  url:     {spec.url}\n"
                  f"  checksum: {spec.checksum()}\n  licence: {spec.license}")
        return 0
    if args.action == "path":
        spec = weights.get_spec(args.name)
        path = weights.default_path(spec)
        if not path.is_file():
            raise WeightsError(weights.missing_message(spec))
        print(path)
        return 0
    problems = 0
    for name in args.names or sorted(specs):
        spec = weights.get_spec(name)
        path = weights.default_path(spec)
        if not path.is_file():
            print(f"{name}: MISSING: {weights.missing_message(spec)}")
            problems += 1
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
