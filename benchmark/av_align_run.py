"""AV-Align over many clips: pairing → cached, parallel signal extraction → per-variant scores.

The unit of work is a clip. Signals (flow trajectory, onset envelope) do not depend on the
variant, so they are cached by content and one extraction serves every variant. Clips run in
a process pool (one single-threaded OpenCV worker per core by default); a clip that fails is
recorded with a one-line reason and the batch goes on.
"""
from __future__ import annotations

import multiprocessing
from importlib import import_module
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from avbench.metrics.av_align import (AVAlign, AVAlignConfig, ClipResult, ClipSignals, conform_waveform, envelope_rate, get_config,
                              load_audio, onset_envelope, score_signals)
from avbench.metrics.av_align.flow import VideoFlow, check_fps, opencv_frames, trajectory_from_frames
from avbench.metrics.errors import InputError
from avbench.metrics.fileio import cache_root as default_cache_root
from avbench.metrics.fileio import sha256_file

from .cache import ArrayCache, cache_key
from .media.errors import describe
from .media import AUDIO_FILE_EXTENSIONS, AVPair, decode_audio_track, probe, pyav_frames
from .versions import library_versions

_ENVELOPE_FIELDS = ("sample_rate", "mono", "res_type", "n_fft", "hop_length", "n_mels", "center", "lag", "max_size")


@dataclass(frozen=True)
class ClipJob:
    """One clip with the content hashes its cache keys are made of."""

    pair: AVPair
    video_sha: str
    audio_sha: str | None  # None: the video's own track
    fps: float | None  # user override of the container fps

    @property
    def key(self) -> str:
        return str(self.pair.video)


def _flow_key(job: ClipJob, config: AVAlignConfig) -> str:
    versions = library_versions()
    return cache_key({"kind": "av-align-flow", "video": job.video_sha, "farneback": asdict(config.farneback),
                      "opencv": versions["opencv"], "av": versions["av"]})


def _envelope_params(config: AVAlignConfig) -> dict:
    return {k: getattr(config.onset, k) for k in _ENVELOPE_FIELDS}


def _envelope_key(job: ClipJob, config: AVAlignConfig) -> str:
    versions = library_versions()
    onset = _envelope_params(config)
    source = job.audio_sha if job.audio_sha is not None else f"{job.video_sha}#audio-track"
    return cache_key({"kind": "av-align-envelope", "audio": source, "onset": onset,
                      "librosa": versions["librosa"], "soxr": versions["soxr"], "av": versions["av"]})


def audio_waveform(pair: AVPair, config: AVAlignConfig) -> np.ndarray:
    """The pair's audio as `librosa.load` gives it: `(samples,) float32` at
    `config.onset.sample_rate` Hz, mono (a file, or the video's own track when `pair.audio` is None)."""
    if pair.audio is None:
        try:
            samples, rate = decode_audio_track(pair.video)
        except InputError as exc:
            if exc.problem == "the container has no audio stream":
                raise InputError(pair.video, "no audio: no manifest entry, no same-stem audio file in the audio "
                                 "folder or beside the video, and the video has no audio track") from None
            raise
        return conform_waveform(samples, rate, config.onset)
    if not pair.audio.is_file():
        raise InputError(pair.audio, "audio file does not exist")
    if pair.audio.suffix.lower() in AUDIO_FILE_EXTENSIONS:
        return load_audio(pair.audio, config.onset)
    samples, rate = decode_audio_track(pair.audio)
    return conform_waveform(samples, rate, config.onset)


def _video_flow(video: Path, config: AVAlignConfig, fps: float | None) -> tuple[VideoFlow, float]:
    """(flow, container fps; 0 when the container states none). OpenCV as the official code;
    PyAV only where OpenCV cannot open the file (recorded as the clip's decoder). A container
    whose index lists more frames than decode is reported as truncated."""
    info = probe(video)
    if not info.has_video:
        raise InputError(video, "the file has no video stream")
    states_fps = bool(info.fps and info.fps > 0)
    if fps is None and not states_fps:
        raise InputError(video, "container reports no frame rate (fps 0 or missing); pass --fps to set it")
    try:
        container_fps, frames = opencv_frames(video)
        decoder = "opencv"
    except InputError as opencv_error:
        try:
            container_fps, frames = pyav_frames(video, pixel_format="bgr24")
        except InputError:
            raise InputError(video, "not a decodable video (neither OpenCV nor PyAV can open it)") from opencv_error
        decoder = "pyav"
    # Where the container states no rate, OpenCV invents one from the time base: not an fps.
    container_fps = float(container_fps or 0.0) if states_fps else 0.0
    flow = trajectory_from_frames(video, frames, container_fps if fps is None else fps, decoder, config.farneback)
    if info.n_frames is not None and flow.n_frames < info.n_frames:
        raise InputError(video, f"truncated or corrupt: {flow.n_frames} of the {info.n_frames} frames the container lists decode")
    return flow, container_fps


def _signals(flow: dict, envelope: dict, job: ClipJob, config: AVAlignConfig) -> ClipSignals:
    fps_used = check_fps(job.pair.video, float(flow["container_fps"]) if job.fps is None else job.fps)
    return ClipSignals(flow["trajectory"], envelope["envelope"], fps_used, int(flow["n_frames"]),
                       envelope_rate(config), str(flow["decoder"]))


def _caches(cache_root: str | None, use_cache: bool) -> tuple[ArrayCache, ArrayCache]:
    return ArrayCache("av-align/flow", cache_root, use_cache), ArrayCache("av-align/envelope", cache_root, use_cache)


def analyse_clip(job: ClipJob, config: AVAlignConfig, cache_root: str | None, use_cache: bool) -> ClipSignals:
    """Signals of one clip, from the cache where present; computes and stores what is missing."""
    flows, envelopes = _caches(cache_root, use_cache)
    fkey, ekey = _flow_key(job, config), _envelope_key(job, config)
    envelope = envelopes.get(ekey)
    if envelope is None:
        envelope = {"envelope": onset_envelope(audio_waveform(job.pair, config), config.onset)}
        envelopes.put(ekey, envelope)
    flow = flows.get(fkey)
    if flow is None:
        computed, container_fps = _video_flow(job.pair.video, config, job.fps)
        flow = {"trajectory": computed.trajectory, "container_fps": np.float64(container_fps),
                "n_frames": np.int64(computed.n_frames), "decoder": np.str_(computed.decoder)}
        flows.put(fkey, flow)
    return _signals(flow, envelope, job, config)


def _worker(job: ClipJob, config: AVAlignConfig, cache_root: str | None, use_cache: bool) -> tuple[str, object]:
    try:
        return "ok", analyse_clip(job, config, cache_root, use_cache)
    except InputError as exc:
        return "error", str(exc)
    except Exception as exc:  # a batch records every per-clip failure and goes on
        return "error", f"{job.pair.video}: unexpected {type(exc).__name__}: {describe(exc)}"


def pool_context() -> multiprocessing.context.BaseContext:
    """The process-pool context for clip workers (a preloaded fork server where available)."""
    # Never plain fork: a child forked after OpenCV started its thread pool can deadlock. A
    # fork server that has loaded and warmed the clip code forks clean, ready workers cheaply.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "avbench.benchmark.av_align_worker_init"])
        return context
    return multiprocessing.get_context("spawn")


def _init_worker() -> None:
    """Worker setup; already loaded (a no-op) in workers forked from the fork server."""
    import_module("avbench.benchmark.av_align_worker_init")


def _cached(job: ClipJob, config: AVAlignConfig, cache_root: str | None) -> ClipSignals | None:
    flows, envelopes = _caches(cache_root, True)
    flow, envelope = flows.get(_flow_key(job, config)), envelopes.get(_envelope_key(job, config))
    if flow is None or envelope is None:
        return None
    try:
        return _signals(flow, envelope, job, config)
    except InputError:
        return None  # let the worker report it


@dataclass
class AVAlignRun:
    """Signals of every clip that could be measured, and the reason for every one that could not."""

    pairs: list[AVPair]
    config: AVAlignConfig
    fps: float | None = None
    signals: dict[str, ClipSignals] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def score(self, variant: str | AVAlignConfig, n_resamples: int = 10_000, seed: int = 0) -> tuple[list[ClipResult], AVAlign]:
        """Per-clip results in input order and the set accumulator for one variant."""
        config = get_config(variant) if isinstance(variant, str) else variant
        if _envelope_params(config) != _envelope_params(self.config) or config.farneback != self.config.farneback:
            raise ValueError(f"variant {config.variant} needs other signals than this run measured "
                             f"({self.config.variant}); analyse the pairs with its config")
        acc = AVAlign(config.variant, n_resamples=n_resamples, seed=seed)
        results = []
        for pair in self.pairs:
            key = str(pair.video)
            if key in self.signals:
                result = score_signals(self.signals[key], config, key, "" if pair.audio is None else str(pair.audio))
                acc.update(result, key)
                results.append(result)
            elif key in self.failures:
                acc.fail(key, self.failures[key])
        return results, acc


def make_job(pair: AVPair, fps: float | None) -> ClipJob:
    """A clip job with the content hashes of its files; InputError when a file is missing."""
    if not pair.video.is_file():
        raise InputError(pair.video, "video file does not exist")
    audio_sha = None
    if pair.audio is not None:
        if not pair.audio.is_file():
            raise InputError(pair.audio, f"audio file for {pair.video} does not exist")
        audio_sha = sha256_file(pair.audio)
    return ClipJob(pair, sha256_file(pair.video), audio_sha, fps)


def analyse_pairs(pairs: list[AVPair], config: AVAlignConfig | str = "tempotokens-2025", fps: float | None = None,
                  workers: int | None = None, use_cache: bool = True, progress: bool = True,
                  cache_root: str | Path | None = None) -> AVAlignRun:
    """Measure every clip: cached signals are read in this process, the rest run in a pool
    of `workers` processes (default: one per core; 1 = in this process)."""
    from tqdm import tqdm

    config = get_config(config) if isinstance(config, str) else config
    # Resolved here: pool workers fork from a server started earlier, with the environment
    # ($AVBENCH_CACHE) of that moment, not of this call.
    root = str(default_cache_root() if cache_root is None else cache_root)
    run = AVAlignRun(list(pairs), config, fps)
    todo: list[ClipJob] = []
    seen: set[str] = set()
    for pair in run.pairs:
        key = str(pair.video)
        if key in seen:
            run.failures.setdefault(key, f"{key}: listed twice; scored once")
            continue
        seen.add(key)
        try:
            job = make_job(pair, fps)
        except InputError as exc:
            run.failures[key] = str(exc)
            continue
        cached = _cached(job, config, root) if use_cache else None
        if cached is not None:
            run.signals[key] = cached
        else:
            todo.append(job)

    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(todo), desc="AV-Align", unit="clip", disable=not progress or not todo)

    def collect(job: ClipJob, outcome: tuple[str, object]) -> None:
        status, value = outcome
        if status == "ok":
            run.signals[job.key] = value  # type: ignore[assignment]
        else:
            run.failures[job.key] = value  # type: ignore[assignment]
        bar.update()

    if workers == 1 or len(todo) <= 1:
        for job in todo:
            collect(job, _worker(job, config, root, use_cache))
    else:
        context = pool_context()
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context, initializer=_init_worker) as pool:
            # largest files first, so the last clips to finish are short ones
            todo.sort(key=lambda job: job.pair.video.stat().st_size, reverse=True)
            futures = {pool.submit(_worker, job, config, root, use_cache): job for job in todo}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    collect(job, future.result())
                except BrokenProcessPool:
                    collect(job, ("error", f"{job.pair.video}: the worker process died while decoding it"))
    bar.close()
    return run
