"""`avbench ls benchmarks|metrics|models`: what this installation can run, with versions."""
from __future__ import annotations

import argparse

NAME = "ls"
HELP = "List benchmarks, metrics or models (generator adapters)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("benchmarks", "metrics", "models"))


def run(args: argparse.Namespace) -> int:
    if args.what == "benchmarks":
        from ..definition import DEFINITIONS, benchmark_names, load_benchmark

        for name in benchmark_names():
            if name.startswith("synthetic:"):
                print(f"{name:<16} generated synthetic clips with in-sync events (6 items; synthetic:<n> for n)")
                continue
            b = load_benchmark(DEFINITIONS / f"{name}.yaml", data_root="") if name != "custom" else None
            if b is None:
                print(f"{'custom':<16} any folder of clips or items CSV (--items)")
            else:
                p = b.protocol
                print(f"{b.id:<16} {len(b.rows):>6} items  {p.duration:g} s, {p.fps:g} fps, {p.frames} frames, "
                      f"{p.width}x{p.height}  metrics: {', '.join(b.metrics)}")
    elif args.what == "metrics":
        from avbench.metrics.catalogue import metric_class, metric_names, summary

        for name in metric_names():
            cls = metric_class(name)
            presets = ", ".join(f"{p} (default)" if p == cls.default_preset else p for p in cls.presets())
            print(f"{name:<12} {summary(name)}\n{'':<12} presets: {presets}")
    else:
        from avbench.metrics.errors import AvbenchError

        from ..generators import generator_factory, generator_names

        for name in generator_names():
            try:
                generator_factory(name)
                print(name)
            except AvbenchError as exc:  # a model whose optional dependencies are not installed
                print(f"{name} (not available: {exc})")
    return 0
