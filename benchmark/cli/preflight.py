"""`avbench preflight`: check a model's contract (checkout, interpreter, GPU, checkpoints and
their sha256, inputs, output folder) for a benchmark before any generation starts."""
from __future__ import annotations

import argparse

from .common import add_model_arguments, benchmark_from_args, parse_assignments

NAME = "preflight"
HELP = "Check everything a model adapter needs (e.g. tats, mm-diffusion) and list every missing piece."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, "the folder `generate --out` will write to")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..generators import make_generator

    generator = make_generator(args.model, **parse_assignments(args.option, "--option"))
    if not hasattr(generator, "preflight"):
        print(f"{args.model}: no preflight (the adapter has no external dependencies to check)")
        return 0
    benchmark = benchmark_from_args(args)
    report = generator.preflight(benchmark.items(), Path(args.out))
    print(f"{args.model}: preflight passed for {len(benchmark.item_ids)} items of {benchmark.id}")
    for role, digest in sorted(report.checkpoint_sha256.items()):
        state = "verified" if report.checkpoint_verified.get(role) else "UNVERIFIED (measured)"
        print(f"  checkpoint {role}: sha256 {digest} {state}")
    if report.interpreter:
        print(f"  interpreter: python {report.interpreter.get('python')}, torch {report.interpreter.get('torch')}")
    return 0
