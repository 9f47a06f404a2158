"""Arguments shared by several verbs (not a verb itself)."""
from __future__ import annotations

import argparse
from typing import Any


def add_benchmark_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--benchmark", required=required, metavar="B",
                        help="built-in name (vggsound, landscape, audioset-drums, custom), name@version, "
                             "synthetic:tiny, or a benchmark YAML")
    parser.add_argument("--data-root", metavar="DIR", help="your copy of the dataset (default $AVBENCH_DATA/<name>)")
    parser.add_argument("--items", metavar="CSV|DIR", help="custom benchmark: items CSV or folder of clips")
    parser.add_argument("--labels", metavar="CSV", help="label table to join (VGGSound: the official vggsound.csv)")


def add_model_arguments(parser: argparse.ArgumentParser, out_help: str) -> None:
    """--model, the benchmark, --out and --option: what names one generation."""
    parser.add_argument("--model", required=True, help="generator adapter (see `avbench ls models`)")
    add_benchmark_arguments(parser)
    parser.add_argument("--out", required=True, metavar="RUN", help=out_help)
    parser.add_argument("--option", action="append", metavar="KEY=VALUE", help="generator option (repeatable)")


def benchmark_from_args(args: argparse.Namespace):
    from ..definition import load_benchmark

    return load_benchmark(args.benchmark, data_root=args.data_root, items=args.items, labels=args.labels)


def parse_assignments(values: list[str] | None, what: str) -> dict[str, Any]:
    """`key=value` pairs (values parsed as YAML scalars) into a dict; dotted keys nest once."""
    import yaml

    from avbench.metrics.errors import AvbenchError

    out: dict[str, Any] = {}
    for text in values or []:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise AvbenchError(f"{what} must look like key=value, got {text!r}")
        parsed = yaml.safe_load(value) if value else ""
        if "." in key:
            head, tail = key.split(".", 1)
            out.setdefault(head, {})[tail] = parsed
        else:
            out[key] = parsed
    return out


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="worker processes for per-clip work (default: one per core)")
    parser.add_argument("--device", default="cpu", help="torch device for the networks (default %(default)s)")
    add_weights_argument(parser)
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the per-sample work runs: this machine, or a Ray cluster (`ray_backend`)."""
    parser.add_argument("--backend", choices=("local", "ray"), default="local",
                        help="where per-sample work runs: local = processes on this machine (default); ray = a Ray "
                             "cluster, same numbers (needs pip install \"avbench[ray]\"; see docs/scale-out.md)")
    parser.add_argument("--address", metavar="auto|HOST:PORT",
                        help="the Ray cluster to join (default: $RAY_ADDRESS, else the cluster `ray start` last "
                             "started on this machine, else a local cluster for this run)")
    parser.add_argument("--gpus-per-worker", type=float, metavar="G",
                        help="GPUs of each Ray worker that runs a network (with --device cuda; default 0)")
    parser.add_argument("--samples-per-batch", type=int, metavar="N",
                        help="samples per call of a Ray worker that runs a network (default 16)")


def backend_from_args(args: argparse.Namespace) -> Any:
    """The `MapBackend` the arguments ask for (None: this machine)."""
    from avbench.metrics.errors import AvbenchError

    options = {"gpus_per_worker": args.gpus_per_worker, "batch_size": args.samples_per_batch}
    if args.backend == "local":
        given = [flag for flag, value in (("--address", args.address), ("--gpus-per-worker", args.gpus_per_worker),
                                          ("--samples-per-batch", args.samples_per_batch)) if value is not None]
        if given:
            raise AvbenchError(f"{', '.join(given)}: for --backend ray only")
        return None
    from ..ray_backend import RayBackend

    return RayBackend(address=args.address, workers=args.workers, **{k: v for k, v in options.items() if v is not None})


def add_weights_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", action="append", default=[], metavar="NAME=PATH",
                        help="use this file for registered weights NAME (repeatable; see `avbench weights list`)")


def parse_weights(items: list[str]) -> dict[str, str]:
    """`NAME=PATH` arguments → {registry name: path}."""
    from avbench.metrics.errors import AvbenchError

    paths = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise AvbenchError(f"--weights expects NAME=PATH, got {item!r}")
        paths[name] = path
    return paths
