"""AV-Align's feature step over many clips: cached, parallel signal extraction.

A clip's signals (flow trajectory, onset envelope) do not depend on the preset's peak and
matching choices, so they are cached by content — the flow by the video's sha256, the envelope
by the audio's — and one extraction serves every preset, every pairing of the same video with
other audio (the `shuffled-audio` control, the validity study's negatives) and every rerun.
Clips run in a process pool (one single-threaded OpenCV worker per core by default); a clip that
fails is recorded with a one-line reason and the batch goes on.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path

import numpy as np

from ..cache import ArrayCache, cache_key, writable
from ..errors import InputError
from ..fileio import cache_root as default_cache_root
from ..media import AUDIO_FILE_EXTENSIONS, decode_audio_track, probe, pyav_frames
from ..media.errors import describe
from ..metric import Sample
from ..versions import library_versions
from .clip import ClipSignals, envelope_rate
from .presets import AVAlignPreset
from .flow import VideoFlow, check_fps, opencv_frames, trajectory_from_frames
from .onsets import conform_waveform, load_audio, onset_envelope

_ENVELOPE_FIELDS = ("sample_rate", "mono", "res_type", "n_fft", "hop_length", "n_mels", "center", "lag", "max_size")


def _envelope_params(preset: AVAlignPreset) -> dict:
    return {k: getattr(preset.onset, k) for k in _ENVELOPE_FIELDS}


def same_signals(a: AVAlignPreset, b: AVAlignPreset) -> bool:
    """Whether two presets measure the same signals (flow and onset envelope) on a clip."""
    return a.farneback == b.farneback and _envelope_params(a) == _envelope_params(b)


def _flow_key(sample: Sample, preset: AVAlignPreset) -> str:
    versions = library_versions()
    return cache_key({"kind": "av-align-flow", "video": sample.video_sha256, "farneback": asdict(preset.farneback),
                      "opencv": versions["opencv"], "av": versions["av"]})


def _envelope_key(sample: Sample, preset: AVAlignPreset) -> str:
    versions = library_versions()
    return cache_key({"kind": "av-align-envelope", "audio": sample.audio_key(), "onset": _envelope_params(preset),
                      "librosa": versions["librosa"], "soxr": versions["soxr"], "av": versions["av"]})


def clip_waveform(sample: Sample, preset: AVAlignPreset) -> np.ndarray:
    """The sample's audio as `librosa.load` gives it: `(samples,) float32` at
    `preset.onset.sample_rate` Hz, mono (its audio file, or the video's own track when `audio` is None)."""
    if sample.audio is None:
        try:
            samples, rate = decode_audio_track(sample.require_video())
        except InputError as exc:
            if exc.problem == "the container has no audio stream":
                raise InputError(sample.video, "no audio: no manifest entry, no same-stem audio file in the audio "
                                 "folder or beside the video, and the video has no audio track") from None
            raise
        return conform_waveform(samples, rate, preset.onset)
    if not sample.audio.is_file():
        raise InputError(sample.audio, "audio file does not exist")
    if sample.audio.suffix.lower() in AUDIO_FILE_EXTENSIONS:
        return load_audio(sample.audio, preset.onset)
    samples, rate = decode_audio_track(sample.audio)
    return conform_waveform(samples, rate, preset.onset)


def clip_flow(video: Path, preset: AVAlignPreset, fps: float | None) -> tuple[VideoFlow, float]:
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
    flow = trajectory_from_frames(video, frames, container_fps if fps is None else fps, decoder, preset.farneback)
    if info.n_frames is not None and flow.n_frames < info.n_frames:
        raise InputError(video, f"truncated or corrupt: {flow.n_frames} of the {info.n_frames} frames the container lists decode")
    return flow, container_fps


def _signals(flow: dict, envelope: dict, sample: Sample, preset: AVAlignPreset, fps: float | None) -> ClipSignals:
    fps_used = check_fps(sample.video, float(flow["container_fps"]) if fps is None else fps)
    return ClipSignals(flow["trajectory"], envelope["envelope"], fps_used, int(flow["n_frames"]),
                       envelope_rate(preset), str(flow["decoder"]))


def _caches(root: str | Path | None, use_cache: bool) -> tuple[ArrayCache, ArrayCache]:
    return ArrayCache("av-align/flow", root, use_cache), ArrayCache("av-align/envelope", root, use_cache)


def checked(sample: Sample) -> Sample:
    """`sample` with the content hashes of its files; InputError when a file is missing."""
    video = sample.require_video()
    if not video.is_file():
        raise InputError(video, "video file does not exist")
    if sample.audio is not None and not sample.audio.is_file():
        raise InputError(sample.audio, f"audio file for {video} does not exist")
    return sample.with_hashes()


def measure_clip(sample: Sample, preset: AVAlignPreset, fps: float | None = None,
                 cache_root: str | Path | None = None, use_cache: bool = True) -> ClipSignals:
    """Signals of one clip, from the cache where present; computes and stores what is missing.
    `fps` replaces the container's frame rate as the time axis."""
    sample = checked(sample)
    flows, envelopes = _caches(cache_root, use_cache)
    envelope_key, flow_key = _envelope_key(sample, preset), _flow_key(sample, preset)
    envelope = envelopes.get(envelope_key)
    if envelope is None:
        envelope = {"envelope": onset_envelope(clip_waveform(sample, preset), preset.onset)}
        envelopes.put(envelope_key, envelope)
    flow = flows.get(flow_key)
    if flow is None:
        computed, container_fps = clip_flow(sample.video, preset, fps)
        flow = {"trajectory": computed.trajectory, "container_fps": np.float64(container_fps),
                "n_frames": np.int64(computed.n_frames), "decoder": np.str_(computed.decoder)}
        flows.put(flow_key, flow)
    return _signals(flow, envelope, sample, preset, fps)


def _cached(sample: Sample, preset: AVAlignPreset, fps: float | None, root: str) -> ClipSignals | None:
    flows, envelopes = _caches(root, True)
    flow, envelope = flows.get(_flow_key(sample, preset)), envelopes.get(_envelope_key(sample, preset))
    if flow is None or envelope is None:
        return None
    try:
        return _signals(flow, envelope, sample, preset, fps)
    except InputError:
        return None  # let the worker report it


def _worker(sample: Sample, preset: AVAlignPreset, fps: float | None, root: str, use_cache: bool) -> tuple[str, object]:
    try:
        return "ok", measure_clip(sample, preset, fps, root, use_cache)
    except InputError as exc:
        return "error", str(exc)
    except Exception as exc:  # a batch records every per-clip failure and goes on
        return "error", f"{sample.video}: unexpected {type(exc).__name__}: {describe(exc)}"


def pool_context() -> multiprocessing.context.BaseContext:
    """The process-pool context for clip workers (a preloaded fork server where available)."""
    # Never plain fork: a child forked after OpenCV started its thread pool can deadlock. A
    # fork server that has loaded and warmed the clip code forks clean, ready workers cheaply.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, f"{__package__}.worker_init"])
        return context
    return multiprocessing.get_context("spawn")


def _init_worker() -> None:
    """Worker setup; already loaded (a no-op) in workers forked from the fork server."""
    import_module(f"{__package__}.worker_init")


@dataclass
class Measured:
    """Signals of every clip that could be measured and the reason for every other one, by sample id."""

    signals: dict[str, ClipSignals] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def measure_clips(samples: list[Sample], preset: AVAlignPreset, fps: float | None = None, workers: int | None = None,
                  use_cache: bool = True, progress: bool = True, cache_root: str | Path | None = None) -> Measured:
    """Measure every clip: cached signals are read in this process, the rest run in a pool of
    `workers` processes (default: one per core; 1 = in this process). Call it under
    `if __name__ == "__main__":` in a script: the pool starts worker processes."""
    from tqdm import tqdm

    # Resolved here: pool workers fork from a server started earlier, with the environment
    # ($AVBENCH_CACHE) of that moment, not of this call.
    root = str(default_cache_root() if cache_root is None else cache_root)
    out = Measured()
    todo: list[Sample] = []
    for sample in samples:
        if sample.sample_id in out.signals or sample.sample_id in out.failures:
            out.failures.setdefault(sample.sample_id, f"{sample.source}: sample id {sample.sample_id!r} listed twice")
            continue
        try:
            sample = checked(sample)
        except InputError as exc:
            out.failures[sample.sample_id] = str(exc)
            continue
        cached = _cached(sample, preset, fps, root) if use_cache else None
        if cached is not None:
            out.signals[sample.sample_id] = cached
        else:
            todo.append(sample)

    # Workers store what they measure; a cache that cannot take it is reported once, here.
    store = use_cache and bool(todo) and writable(root)
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(todo), desc="AV-Align", unit="clip", disable=not progress or not todo)

    def collect(sample: Sample, outcome: tuple[str, object]) -> None:
        status, value = outcome
        if status == "ok":
            out.signals[sample.sample_id] = value  # type: ignore[assignment]
        else:
            out.failures[sample.sample_id] = value  # type: ignore[assignment]
        bar.update()

    if workers == 1 or len(todo) <= 1:
        for sample in todo:
            collect(sample, _worker(sample, preset, fps, root, store))
    else:
        context = pool_context()
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context, initializer=_init_worker) as pool:
            # largest files first, so the last clips to finish are short ones
            todo.sort(key=lambda s: s.video.stat().st_size, reverse=True)
            futures = {pool.submit(_worker, s, preset, fps, root, store): s for s in todo}
            for future in as_completed(futures):
                sample = futures[future]
                try:
                    collect(sample, future.result())
                except BrokenProcessPool:
                    collect(sample, ("error", f"{sample.video}: the worker process died while decoding it"))
    bar.close()
    return out
