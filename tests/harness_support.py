"""Helpers shared by the harness tests: comparing run results, running the CLI in a subprocess."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Fields of results.json that legitimately differ between two computations of the same run.
VOLATILE = (("created_at",), ("provenance", "wall_time_s"))


def stable(results: dict) -> dict:
    """results.json without its volatile fields (timestamps, wall time)."""
    out = copy.deepcopy(results)
    for path in VOLATILE:
        node = out
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    return out


def read_results(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "results.json").read_text())


def cli_command(args: list[str], prelude: str = "") -> list[str]:
    """`python -c` running `avbench ARGS` after `prelude` (e.g. installing random weights)."""
    code = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'tests')!r}]\n{prelude}\n"
            f"from benchmark.cli import main\nsys.exit(main({args!r}))")
    return [sys.executable, "-c", code]


def run_cli(args: list[str], env: dict[str, str] | None = None, prelude: str = "", timeout: float = 120
            ) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cli_command(args, prelude), env=full_env, capture_output=True, text=True, timeout=timeout)
