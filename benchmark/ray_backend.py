"""`--backend ray`: every metric's feature step as Ray Data over the run's samples.

The driver (the `avbench` process) makes a dataset of the samples, one block each, and maps it
with the metric's own `map` on the cluster: a network metric (`NetworkMetric`: FVD, FAD, CLIP,
...) in a pool of actors that each load the network once (`gpus_per_worker` GPUs each), every
other metric (AV-Align: decode, Farneback, onsets) as CPU tasks. Workers read and write the
content cache at the driver's cache root (on a cluster: a shared filesystem mounted at the same
path on every node) and send back each sample's features, or its one-line reason. The driver
adds those to the metric's states in sample-id order, as the local backend does, so the run
directory, written by the same code, holds the same numbers.

Faults: Ray retries a task or an actor call whose worker process died (Ray Data's default). A
sample whose measurement killed its worker `MAX_ATTEMPTS` times in a row fails alone, with one
line; the count is kept under the cache root. A killed driver loses nothing the workers cached.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avbench.metrics.errors import AvbenchError
from avbench.metrics.fileio import cache_root
from avbench.metrics.metric import Features, MapContext, MapResult, Metric, NetworkMetric, Sample, first_listings

from .faults import crash_point

MAX_ATTEMPTS = 3  # worker deaths in a row on one sample before it is left out
NETWORK_BATCH = 16  # samples per call of a network actor
INSTALL_HINT = "the Ray backend needs Ray: pip install \"avbench[ray]\" (from a clone: pip install -e \".[ray]\")"


@dataclass(frozen=True)
class _WorkerSettings:
    """What a worker needs besides the metric: the cache, where it counts attempts, the driver's
    working folder (the samples' relative paths are relative to it) and avbench settings."""

    use_cache: bool
    cache_root: str
    attempts: str
    cwd: str
    env: dict[str, str]  # the driver's avbench settings ($AVBENCH_CACHE, $AVBENCH_WEIGHTS, ...)


@dataclass
class RayBackend:
    """Ray as the backend of the feature step (`MapContext.backend`).

    `address`: the cluster to join ("auto", "HOST:PORT"; None: `$RAY_ADDRESS`, else the cluster
    `ray start` last started on this machine, else a local cluster for this process);
    `workers`: at most this many tasks or actors at once (default: as many as the cluster's
    CPUs, or its GPUs over `gpus_per_worker`, allow);
    `gpus_per_worker`: GPUs of each network actor (networks then run with `--device cuda`);
    `batch_size`: samples per call of a network actor."""

    address: str | None = None
    workers: int | None = None
    gpus_per_worker: float = 0.0
    batch_size: int = NETWORK_BATCH

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise AvbenchError(f"--workers must be at least 1, got {self.workers}")
        if not self.gpus_per_worker >= 0:
            raise AvbenchError(f"--gpus-per-worker must be 0 or more, got {self.gpus_per_worker}")
        if self.batch_size < 1:
            raise AvbenchError(f"--samples-per-batch must be at least 1, got {self.batch_size}")

    def map(self, metric: Metric, samples: Sequence[Sample], context: MapContext) -> MapResult:
        """What `metric.map(samples, context)` returns, computed on the cluster."""
        unique, repeated = first_listings(samples)
        out = MapResult(failures=repeated)
        if not unique:
            return out
        self.check(metric)
        network = isinstance(metric, NetworkMetric)
        ray = self._connect()
        root = Path(context.cache_root) if context.cache_root is not None else cache_root()
        attempts = root / "ray-attempts" / uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items() if k.startswith("AVBENCH_")}
        settings = _WorkerSettings(context.use_cache, str(root.absolute()), str(attempts.absolute()), os.getcwd(), env)
        rows = [{"sample": _sample_json(s)} for s in unique]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        if network:
            mapped = dataset.map_batches(
                _NetworkWorker, fn_constructor_args=(metric, settings), batch_size=self.batch_size,
                concurrency=self._actors(ray), num_cpus=1, num_gpus=self.gpus_per_worker or None)
        else:
            mapped = dataset.map_batches(_map_batch, fn_kwargs={"metric": metric, "settings": settings},
                                         batch_size=1, num_cpus=1, concurrency=self.workers)
        from tqdm import tqdm

        bar = tqdm(total=len(rows), desc=metric.name, unit="sample", disable=not context.progress, leave=False)
        try:
            for row in mapped.iter_rows():
                sample_id = str(row["sample_id"])
                if row["failure"]:
                    out.failures[sample_id] = str(row["failure"])
                else:
                    out.features[sample_id] = _decode(row["features"])
                bar.update()
        except Exception as exc:  # noqa: BLE001 - an avbench error raised on a worker is one line here too
            reason = _avbench_error(exc)
            if reason is None:
                raise
            raise AvbenchError(f"on the Ray cluster: {reason}") from None
        finally:
            bar.close()
            shutil.rmtree(attempts, ignore_errors=True)
        return out

    def check(self, metric: Metric) -> None:
        """Raise before any work when `metric` cannot run on this backend as set up (a network
        on a GPU without GPUs for its workers, or the other way round)."""
        if not isinstance(metric, NetworkMetric):
            return
        on_gpu = str(metric.device).startswith("cuda")
        if self.gpus_per_worker > 0 and not on_gpu:
            raise AvbenchError(f"--gpus-per-worker {self.gpus_per_worker:g} gives each network worker GPUs, but "
                               f"{metric.name} runs on {metric.device}: add --device cuda")
        if on_gpu and self.gpus_per_worker <= 0:
            raise AvbenchError(f"{metric.name} runs on {metric.device}: give its Ray workers GPUs with "
                               f"--gpus-per-worker")
        if on_gpu and str(metric.device) != "cuda":
            raise AvbenchError(f"on Ray, a worker sees only its own GPUs: use --device cuda, not {metric.device}")

    def _actors(self, ray: Any) -> int:
        """How many network actors run at once."""
        if self.workers is not None:
            return self.workers
        resources = ray.cluster_resources()
        if self.gpus_per_worker > 0:
            count = int(resources.get("GPU", 0) // self.gpus_per_worker)
            if count < 1:
                raise AvbenchError(f"the Ray cluster has {resources.get('GPU', 0):g} GPUs: none can give "
                                   f"{self.gpus_per_worker:g} to a worker")
            return count
        return max(1, int(resources.get("CPU", 1)))

    def _connect(self) -> Any:
        """The `ray` module, joined to the cluster (once per process)."""
        try:
            import ray
            import ray.data
        except ImportError:
            raise AvbenchError(INSTALL_HINT) from None
        if not ray.is_initialized():
            if self.address not in (None, "auto", "local"):
                _check_answers(self.address)
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or os.environ.get("RAY_ADDRESS") or "a local cluster"
                raise AvbenchError(f"could not join the Ray cluster at {where}: {str(exc).splitlines()[0]}") from None
        data = ray.data.DataContext.get_current()
        data.enable_progress_bars = False  # the driver's own bar counts samples
        data.print_on_execution_start = False
        for handler in logging.getLogger("ray.data").handlers:  # its log file keeps everything
            if type(handler).__name__ == "PlainRayHandler":
                handler.setLevel(logging.ERROR)
        return ray


def _check_answers(address: str) -> None:
    """One line when nothing listens at HOST:PORT (Ray itself would retry for minutes)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise AvbenchError(f"--address must be auto or HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise AvbenchError(f"could not join the Ray cluster at {address}: nothing answers there "
                           f"({exc.strerror or exc}); is the cluster up (`ray status`)?") from None


class _NetworkWorker:
    """A Ray actor holding one metric: its network loads at the first sample and serves every later one."""

    def __init__(self, metric: Metric, settings: _WorkerSettings):
        self.metric, self.settings = metric, settings

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _map_batch(batch, self.metric, self.settings)


def _map_batch(batch: dict[str, np.ndarray], metric: Metric, settings: _WorkerSettings) -> dict[str, np.ndarray]:
    """Map each sample of a Ray Data batch with `metric.map` on this worker (one at a time, so a
    sample that kills the process is counted alone)."""
    _one_thread_per_cpu()
    # A Ray worker serves one job (this run): it takes the driver's settings and folder. (Not a
    # runtime_env: workers of a runtime_env of their own start afresh instead of being prestarted.)
    os.environ.update(settings.env)
    if os.path.isdir(settings.cwd):  # else a relative path fails as a missing file, naming it
        os.chdir(settings.cwd)
    context = MapContext(workers=1, progress=False, use_cache=settings.use_cache, cache_root=Path(settings.cache_root))
    ids, features, failures = [], [], []
    for text in batch["sample"]:
        sample = _sample_from_json(str(text))
        ids.append(sample.sample_id)
        counter = Path(settings.attempts) / hashlib.sha256(sample.sample_id.encode()).hexdigest()
        tries = _count_attempt(counter)
        if tries > MAX_ATTEMPTS:
            features.append(b"")
            failures.append(f"{sample.source}: its worker process died {MAX_ATTEMPTS} times measuring it "
                            f"(a crash in a decoder, or out of memory?); left out")
            continue
        crash_point(f"ray-worker:{sample.sample_id}:attempt{tries}")
        mapped = metric.map([sample], context)
        counter.unlink(missing_ok=True)  # it finished: a later retry of its batch starts again from 0
        if sample.sample_id in mapped.features:
            features.append(_encode(mapped.features[sample.sample_id]))
            failures.append("")
        else:
            features.append(b"")
            failures.append(mapped.failures[sample.sample_id])
    return {"sample_id": np.array(ids, dtype=object), "features": np.array(features, dtype=object),
            "failure": np.array(failures, dtype=object)}


@functools.cache
def _one_thread_per_cpu() -> None:
    """A worker holds one CPU: OpenCV keeps to one thread (Ray limits OpenMP, hence torch, alike)."""
    import cv2

    cv2.setNumThreads(1)


def _count_attempt(counter: Path) -> int:
    """One more attempt at a sample: how many there have been (0 when the count cannot be kept)."""
    try:
        counter.parent.mkdir(parents=True, exist_ok=True)
        with open(counter, "ab") as fh:
            fh.write(b".")
        return counter.stat().st_size
    except OSError:
        return 0


def _sample_json(sample: Sample) -> str:
    return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(sample).items()})


def _sample_from_json(text: str) -> Sample:
    fields = json.loads(text)
    for key in ("video", "audio"):
        fields[key] = None if fields[key] is None else Path(fields[key])
    return Sample(**fields)


def _encode(features: Features) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **features)
    return buffer.getvalue()


def _decode(blob: bytes) -> Features:
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _avbench_error(exc: BaseException) -> str | None:
    """The message of the avbench error (bad input, missing weights, ...) behind a Ray error, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, AvbenchError):
            return str(exc)
        exc = getattr(exc, "cause", None) or exc.__cause__  # type: ignore[assignment]
    return None
