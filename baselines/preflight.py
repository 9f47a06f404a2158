"""Preflight: every missing piece of a baseline run, found before any work starts and reported
together (one error listing each file or setting and its problem)."""
from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from avbench.benchmark.generators import BenchmarkItem
from avbench.metrics.media import probe
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fileio import sha256_file

from .contract import Contract

DRIVERS = Path(__file__).resolve().parent / "drivers"
PROBE_SCRIPT = DRIVERS / "probe_env.py"
PROBE_TIMEOUT_S = 300.0


class PreflightError(AvbenchError):
    """A baseline cannot run: every problem found, one per `; `-separated entry."""

    def __init__(self, model: str, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(f"{model} preflight found {len(problems)} problem(s): {'; '.join(problems)}")


@dataclass
class PreflightReport:
    """What a passed preflight measured: checkpoint hashes (and whether each matched a known
    one), the interpreter's versions, and warnings that do not stop the run."""

    checkpoint_sha256: dict[str, str] = field(default_factory=dict)
    checkpoint_verified: dict[str, bool] = field(default_factory=dict)
    interpreter: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def probe_interpreter(contract: Contract, modules: Sequence[str]) -> tuple[dict, list[str]]:
    """Run the probe script in the user's interpreter (checkout on PYTHONPATH): its report and
    the problems it shows (an import that fails, no CUDA GPU when one is needed)."""
    python = contract.python
    if not Path(python).is_file():
        return {}, [f"{python}: interpreter does not exist"]
    try:
        done = subprocess.run([str(python), str(PROBE_SCRIPT), json.dumps(list(modules))], cwd=contract.checkout,
                              env=contract.environment(), capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {}, [f"{python}: importing {', '.join(modules)} took over {PROBE_TIMEOUT_S:.0f} s"]
    except OSError as exc:
        return {}, [f"{python}: cannot run it ({exc.strerror})"]
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {}, [f"{python}: the environment probe failed ({tail})"]
    problems = [f"{python}: cannot import {name} with PYTHONPATH={contract.checkout} ({error})"
                for name, error in report.get("import_errors", {}).items()]
    if contract.on_gpu and "torch" not in report.get("import_errors", {}) and not report.get("cuda_available"):
        problems.append(f"{python}: no CUDA GPU visible (device={contract.device}; torch {report.get('torch')}, "
                        "CUDA_VISIBLE_DEVICES set to it); pass device=cpu only for tests and debugging")
    return report, problems


_HASHES: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


def check_checkpoints(contract: Contract, report: PreflightReport) -> list[str]:
    """Each checkpoint present and, where a hash is known, matching it."""
    problems = []
    for ckpt in contract.checkpoints:
        if not ckpt.path.is_file():
            problems.append(f"{ckpt.path}: {ckpt.role} checkpoint does not exist")
            continue
        digest = _sha256(ckpt.path)
        report.checkpoint_sha256[ckpt.role] = digest
        expected = (ckpt.expected_sha256 or "").lower() or None
        report.checkpoint_verified[ckpt.role] = expected == digest
        if expected is None:
            report.warnings.append(f"{ckpt.path}: no expected sha256 for the {ckpt.role} checkpoint (none is "
                                   f"published); recorded the measured {digest} as unverified")
        elif expected != digest:
            problems.append(f"{ckpt.path}: {ckpt.role} checkpoint has sha256 {digest}, expected {expected}")
    return problems


def check_audio(items: Iterable[BenchmarkItem], stereo_required: bool) -> list[str]:
    """Each item's audio file exists and has an audio stream (two channels when required)."""
    problems = []
    for item in items:
        try:
            info = probe(item.audio_path)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if not info.has_audio:
            problems.append(f"{item.audio_path}: no audio stream (item {item.item_id})")
        elif stereo_required and info.audio_streams[0].channels < 2:
            problems.append(f"{item.audio_path}: mono audio where stereo is required (item {item.item_id})")
    return problems


def check_writable(folders: Iterable[Path]) -> list[str]:
    """Each folder can be created and written to."""
    problems = []
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".avbench-write-check"):
                pass
        except OSError as exc:
            problems.append(f"{folder}: folder is not writable ({exc.strerror or exc})")
    return problems


def check_checkout(contract: Contract, package: str) -> list[str]:
    """The checkout exists and holds the upstream package."""
    if not contract.checkout.is_dir():
        return [f"{contract.checkout}: upstream checkout does not exist"]
    if not (contract.checkout / package / "__init__.py").is_file():
        return [f"{contract.checkout}: not a checkout of the upstream (no {package}/__init__.py)"]
    return []


def run_preflight(contract: Contract, package: str, modules: Sequence[str], items: Sequence[BenchmarkItem],
                  writable: Iterable[Path], stereo_required: bool = False,
                  extra: Iterable[str] = ()) -> PreflightReport:
    """Every check; raises one PreflightError listing all problems, else returns the report."""
    report = PreflightReport()
    problems = check_checkout(contract, package)
    if not problems:
        report.interpreter, found = probe_interpreter(contract, modules)
        problems += found
    problems += check_checkpoints(contract, report)
    problems += check_audio(items, stereo_required)
    problems += check_writable(writable)
    problems += list(extra)
    if problems:
        raise PreflightError(contract.model, problems)
    if not contract.on_gpu:
        report.warnings.append("device=cpu: for tests and debugging only, impractically slow for real checkpoints")
    return report

