"""What both baseline generators share: the contract options, preflight, a per-run work folder,
the driver job protocol run in chunks (one subprocess and one model load per chunk), and the
manifest line of every item."""
from __future__ import annotations

import json
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, Sequence

from avbench.benchmark.adapters.segments import output_paths
from avbench.benchmark.generators import BenchmarkItem, GeneratedSample
from avbench.metrics.errors import AvbenchError

from .contract import REQUIRED, Checkpoint, Contract, Option, git_state, parse_device, parse_options
from .manifest import SampleRecord, append_record, fps_text
from .preflight import DRIVERS, PreflightReport
from .subprocess_run import RunRecord, run_logged

WORK_DIR = "_work"  # under the output folder: one sub-folder per chunk, with jobs, raw frames and logs
MODES = ("driver", "upstream")

COMMON_OPTIONS = {
    "checkout": Option(REQUIRED, "path of your clone of the upstream repository"),
    "python": Option(REQUIRED, "interpreter of the upstream's own environment (its pins conflict with avbench's)"),
    "device": Option("0", "physical GPU index, or cpu (tests and debugging only: impractically slow)"),
    "timeout": Option(7 * 24 * 3600, "seconds one subprocess (one chunk of items) may run before it is killed"),
    "mode": Option("driver", "driver (avbench's script conditions each item exactly) or upstream (the shipped script)"),
    "chunk": Option(32, "items per driver subprocess (the model loads once per chunk; a kill loses one chunk)"),
}


@dataclass(frozen=True)
class ItemOutcome:
    """What the wrapper knows of one item once its subprocess ended."""

    sample: GeneratedSample | None
    record: SampleRecord


def checkpoint_options(roles: dict[str, str]) -> dict[str, Option]:
    """`<role>_ckpt` (required) and `<role>_sha256` (its expected hash; none is published) per role."""
    out = {}
    for role, what in roles.items():
        out[f"{role}_ckpt"] = Option(REQUIRED, f"path of the {what} checkpoint")
        out[f"{role}_sha256"] = Option(None, f"expected sha256 of the {what} checkpoint (checked before any work)")
    return out


class BaselineGenerator(ABC):
    """Base of the `tats` and `mm-diffusion` generators (subclasses set name, PACKAGE, MODULES,
    CHECKPOINTS, OPTIONS, DRIVER and implement `_run_chunk`)."""

    name = "baseline"
    PACKAGE = ""
    MODULES: tuple[str, ...] = ()
    CHECKPOINTS: dict[str, str] = {}
    OPTIONS: dict[str, Option] = {}
    DRIVER = ""

    def __init__(self, **options: Any):
        known = {**COMMON_OPTIONS, **checkpoint_options(self.CHECKPOINTS), **self.OPTIONS}
        self.options = parse_options(self.name, options, known)
        if self.options["mode"] not in MODES:
            raise AvbenchError(f"model `{self.name}`: mode must be one of {', '.join(MODES)}, not {self.options['mode']!r}")
        self.contract = Contract(
            model=self.name, checkout=Path(self.options["checkout"]).expanduser(),
            python=Path(self.options["python"]).expanduser(),
            checkpoints=tuple(Checkpoint(role, Path(self.options[f"{role}_ckpt"]).expanduser(),
                                         self.options[f"{role}_sha256"]) for role in self.CHECKPOINTS),
            device=parse_device(self.options["device"]), timeout=float(self.options["timeout"]))
        self.report: PreflightReport | None = None
        self.commit: tuple[str | None, bool | None] = (None, None)

    @property
    def mode(self) -> str:
        return self.options["mode"]

    # -- preflight ------------------------------------------------------------------------
    def preflight(self, items: Sequence[BenchmarkItem], out_dir: Path) -> PreflightReport:
        """Every check of this model's contract for `items`; raises one error listing all problems."""
        self.report = self._preflight(items, Path(out_dir))
        self.commit = git_state(self.contract.checkout)
        for warning in self.report.warnings:
            print(f"{self.name}: warning: {warning}", file=sys.stderr)
        return self.report

    @abstractmethod
    def _preflight(self, items: Sequence[BenchmarkItem], out_dir: Path) -> PreflightReport:
        """The model's own checks (interpreter, package, GPU, checkpoints, inputs)."""

    # -- generation -----------------------------------------------------------------------
    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        for _, result in self.generate_batch([item], out_dir):
            if isinstance(result, BaseException):
                raise result
            return result
        raise AvbenchError(f"{self.name}: item {item.item_id} was not generated")

    def generate_batch(self, items: Sequence[BenchmarkItem], out_dir: Path
                       ) -> Iterator[tuple[str, GeneratedSample | BaseException]]:
        """Preflight once, then the items in chunks, each through one subprocess."""
        out_dir = Path(out_dir)
        self.preflight(items, out_dir)
        size = max(1, int(self.options["chunk"]))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for first in range(0, len(items), size):
            chunk = list(items[first:first + size])
            work = out_dir / WORK_DIR / f"{self.name}-{stamp}-{first // size:04d}"
            work.mkdir(parents=True, exist_ok=False)
            for item, outcome in zip(chunk, self._run_chunk(chunk, out_dir, work)):
                append_record(out_dir, outcome.record)
                if outcome.sample is None:
                    yield item.item_id, AvbenchError(outcome.record.error or "failed")
                else:
                    yield item.item_id, outcome.sample

    @abstractmethod
    def _run_chunk(self, items: list[BenchmarkItem], out_dir: Path, work: Path) -> list[ItemOutcome]:
        """One subprocess over `items`: an outcome per item, in order."""

    # -- shared pieces ----------------------------------------------------------------------
    def run_driver(self, job: dict[str, Any], work: Path) -> RunRecord:
        """Write `job` to `<work>/job.json` and run this model's driver on it."""
        job_path = work / "job.json"
        job_path.write_text(json.dumps(job, indent=1, sort_keys=True), encoding="utf-8")
        argv = [str(self.contract.python), str(DRIVERS / self.DRIVER), str(job_path)]
        return run_logged(argv, self.contract, work / "logs", "driver")

    def record(self, item: BenchmarkItem, *, argv: Sequence[str], status: str, error: str | None = None,
               offset: float | None = None, duration: float | None = None, fps: Fraction | None = None,
               shape: tuple[int, int, int] | None = None, seed: int | None = None, wall_s: float | None = None,
               pairing: str | None = None, extra: dict[str, Any] | None = None) -> SampleRecord:
        """The manifest line of one item; `shape` is (frames, height, width)."""
        report = self.report or PreflightReport()
        return SampleRecord(
            model=self.name, dataset=self.options.get("dataset", ""), item_id=item.item_id,
            source_path=str(item.audio_path), audio_offset_s=offset, audio_duration_s=duration, fps=fps_text(fps),
            n_frames=shape[0] if shape else None, height=shape[1] if shape else None, width=shape[2] if shape else None,
            seed=seed, upstream_commit=self.commit[0], upstream_dirty=self.commit[1],
            checkpoint_sha256=dict(report.checkpoint_sha256), checkpoint_verified=dict(report.checkpoint_verified),
            argv=list(argv), wall_s=wall_s, status=status, error=error, pairing=pairing, mode=self.mode,
            extra=dict(extra or {}))

    def failed(self, item: BenchmarkItem, argv: Sequence[str], error: str, seed: int | None = None) -> ItemOutcome:
        return ItemOutcome(None, self.record(item, argv=argv, status="failed", error=error, seed=seed))

    @staticmethod
    def outputs(item: BenchmarkItem, out_dir: Path) -> tuple[Path, Path]:
        return output_paths(item, out_dir)


def read_meta(path: Path, run: RunRecord) -> dict[str, Any]:
    """The driver's meta file of one item; an AvbenchError when the item failed or was never
    reached (the driver crashed or timed out before it)."""
    if not path.is_file():
        raise AvbenchError(f"the driver {run.describe()} before finishing this item")
    meta = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("status") != "ok":
        raise AvbenchError(f"the driver failed on this item: {meta.get('error')} (log: {run.stderr_log})")
    return meta
