"""AV-Align's feature step over many clips: cached, parallel signal extraction.

A clip's signals (flow trajectory, onset envelope) do not depend on the preset's peak and
matching choices, so they are cached by content — the flow by the video's sha256, the envelope
by the audio's — and one extraction serves every preset, every pairing of the same video with
other audio (the `shuffled-audio` control, the validity study's negatives) and every rerun.
Each entry also keeps the facts the clip's checks read (frames listed, frame timestamps, audio
length and peak; `clip_checks`), so a cached clip gets the same warnings as a computed one.
Clips run in a process pool (one single-threaded OpenCV worker per core by default), costliest
first; a clip costing more than its share of the pool runs in segments across workers
(`segments`), and a clip that fails is recorded with a one-line reason and the batch goes on.
Workers measure flow only; the driver measures the envelopes meanwhile, so librosa loads once,
in the driver, while the workers already compute. A fully cached run starts no pool and loads no
librosa (onset times are cached too: `onsets.onset_times`). With `flow` "torch" the flows are
measured in this process instead, batched on one device (`torch_clips`).
"""
from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Callable

import numpy as np

from ..cache import ArrayCache, cache_key, writable
from ..errors import AvbenchError, InputError
from ..fileio import cache_root as default_cache_root
from ..media import AUDIO_FILE_EXTENSIONS, decode_audio_track, entry_problem, frame_timestamps, probe, pyav_frames
from ..media.audio import missing_audio_data
from ..media.errors import describe
from ..metric import Sample, first_listings
from ..versions import library_versions
from . import clip_checks as checks
from .clip import ClipSignals, envelope_rate
from .clip_checks import check_fps
from .presets import FLOW_METHODS, TIME_AXES, AVAlignPreset, FarnebackParams
from .segments import Segment, SegmentFlow, joined_trajectory, pieces_per_clip, plan_segments, segment_flow, splittable
from .onsets import conform_waveform, load_audio, onset_envelope

_ENVELOPE_FIELDS = ("sample_rate", "mono", "res_type", "n_fft", "hop_length", "n_mels", "center", "lag", "max_size")


def _envelope_params(preset: AVAlignPreset) -> dict:
    return {k: getattr(preset.onset, k) for k in _ENVELOPE_FIELDS}


@dataclass(frozen=True)
class ClipOptions:
    """How clips are read: `fps` replaces every container's frame rate; `time_axis` "frames"
    puts frame i at i / fps (the canonical presets, as the official code), "timestamps" at its
    presentation timestamp (non-canonical, for variable-frame-rate clips); `strict` refuses a
    clip that would be scored with a warning; `flow` "opencv" (canonical) or "torch" (the same
    algorithm in torch, batched on `flow_device`: "auto" = a GPU where there is one; not canonical)."""

    fps: float | None = None
    time_axis: str = "frames"
    strict: bool = False
    flow: str = "opencv"
    flow_device: str = "auto"

    def __post_init__(self) -> None:
        if self.time_axis not in TIME_AXES:
            raise AvbenchError(f"AV-Align time axis must be one of {', '.join(TIME_AXES)}, got {self.time_axis!r}")
        if self.flow not in FLOW_METHODS:
            raise AvbenchError(f"AV-Align flow must be one of {', '.join(FLOW_METHODS)}, got {self.flow!r}")

    def flow_description(self) -> dict:
        """What, beyond the canonical flow, names a clip's flow (empty for OpenCV)."""
        if self.flow == "opencv":
            return {}
        from .torch_clips import flow_device

        return {"flow": self.flow, "torch": library_versions()["torch"], "device": flow_device(self.flow_device).type}


def same_signals(a: AVAlignPreset, b: AVAlignPreset) -> bool:
    """Whether two presets measure the same signals (flow and onset envelope) on a clip."""
    return a.farneback == b.farneback and _envelope_params(a) == _envelope_params(b)


def _flow_key(sample: Sample, preset: AVAlignPreset, options: ClipOptions) -> str:
    versions = library_versions()
    return cache_key({"kind": "av-align-flow/2", "video": sample.video_sha256, "farneback": asdict(preset.farneback),
                      "opencv": versions["opencv"], "av": versions["av"], **options.flow_description()})


def _envelope_key(sample: Sample, preset: AVAlignPreset) -> str:
    versions = library_versions()
    return cache_key({"kind": "av-align-envelope/2", "audio": sample.audio_key(), "onset": _envelope_params(preset),
                      "librosa": versions["librosa"], "soxr": versions["soxr"], "av": versions["av"]})


def clip_waveform(sample: Sample, preset: AVAlignPreset) -> np.ndarray:
    """The sample's audio as `librosa.load` gives it: `(samples,) float32` at
    `preset.onset.sample_rate` Hz, mono (its audio file, or the video's own track when `audio` is None)."""
    if sample.audio is None:
        try:
            samples, rate = decode_audio_track(sample.require_video())
        except InputError as exc:
            if exc.problem == "the container has no audio stream":
                raise InputError(sample.video, "no audio: no audio file is paired with it (none given, no manifest "
                                 "entry, no same-stem audio file in the audio folder or beside the video) and the "
                                 "video has no audio track") from None
            raise
        return conform_waveform(samples, rate, preset.onset)
    problem = entry_problem(sample.audio)
    if problem is not None:
        raise InputError(sample.audio, f"audio file {problem}")
    if sample.audio.suffix.lower() in AUDIO_FILE_EXTENSIONS:
        return load_audio(sample.audio, preset.onset)
    samples, rate = decode_audio_track(sample.audio)
    return conform_waveform(samples, rate, preset.onset)


def audio_source(sample: Sample) -> str:
    """The file a message about the sample's audio names: its audio file, or the video for its own track."""
    return str(sample.video if sample.audio is None else sample.audio)


def clip_envelope(sample: Sample, preset: AVAlignPreset) -> dict[str, np.ndarray]:
    """The envelope cache entry of a sample's audio: the onset envelope, the waveform's length
    (samples at `preset.onset.sample_rate` Hz) and largest magnitude, and the (declared, held)
    bytes of a cut-off audio file ((0, 0) when whole). Audio whose envelope would mean nothing
    is an InputError (`clip_checks`)."""
    source = audio_source(sample)
    y = clip_waveform(sample, preset)
    checks.check_waveform(source, y, preset.onset)
    peak = float(np.max(np.abs(y)))
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below, naming the file
        envelope = onset_envelope(y, preset.onset)
    checks.check_envelope(source, envelope, peak)
    missing = None
    if sample.audio is not None and sample.audio.suffix.lower() in AUDIO_FILE_EXTENSIONS:
        missing = missing_audio_data(sample.audio)
    return {"envelope": envelope, "n_samples": np.int64(y.size), "peak": np.float64(peak),
            "missing_data": np.array(missing or (0, 0), dtype=np.int64)}


def clip_flow(video: Path, preset: AVAlignPreset, fps: float | None) -> dict[str, np.ndarray]:
    """The flow cache entry of a video: trajectory, container fps (0 when it states none),
    frames decoded, decoder, frames the container lists (0 = unknown) and the frames'
    timestamps. OpenCV as the official code, which reads frames until one fails and scores
    those; PyAV only where OpenCV cannot open the file (recorded as the clip's decoder)."""
    from .flow import opencv_frames, trajectory_from_frames  # OpenCV: only where a clip is decoded

    info = probe(video)
    if not info.has_video:
        raise InputError(video, "the file has no video stream")
    states_fps = bool(info.fps and info.fps > 0)
    if fps is None and not states_fps:
        check_fps(video, info.fps)  # refused in the same line as when the flow comes from the cache
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
    return flow_entry(flow.trajectory, container_fps, flow.decoder, info.n_frames or 0, frame_timestamps(video))


def flow_entry(trajectory: np.ndarray, container_fps: float, decoder: str, n_listed: int,
               timestamps: np.ndarray) -> dict[str, np.ndarray]:
    """A clip's flow cache entry, whichever route measured it: the `(N,)` trajectory (N frames
    decoded), the container's fps (0 when it states none), the decoder, the frames the container
    lists (0 = unknown) and the `(frames,)` timestamps of its packets (seconds)."""
    return {"trajectory": trajectory, "container_fps": np.float64(container_fps),
            "n_frames": np.int64(trajectory.size), "decoder": np.str_(decoder),
            "n_listed": np.int64(n_listed), "timestamps": timestamps}


def _decoded_timestamps(flow: dict) -> np.ndarray | None:
    """Seconds of the decoded frames from the container's timestamps; None when it gives no
    strictly increasing timestamp for each of them."""
    n = int(flow["n_frames"])
    times = np.asarray(flow["timestamps"], dtype=np.float64)[:n]
    if times.size < n or not np.all(np.diff(times) > 0):
        return None
    return times


def _signals(flow: dict, envelope: dict, sample: Sample, preset: AVAlignPreset, options: ClipOptions) -> ClipSignals:
    """The clip's signals on its time axis, with its warnings; refused under `strict` when it has any."""
    video, audio = str(sample.video), audio_source(sample)
    fps_used = check_fps(video, float(flow["container_fps"]) if options.fps is None else options.fps)
    n = int(flow["n_frames"])
    times = _decoded_timestamps(flow)
    if options.time_axis == "timestamps" and times is None:
        raise InputError(video, f"time axis 'timestamps': the container gives no increasing timestamp for each of its "
                                f"{n} decoded frames")
    declared, present = (int(v) for v in envelope["missing_data"])
    # the timestamps axis places each frame where it is shown: nothing strays then
    vfr = options.time_axis == "frames" and times is not None
    found = [
        checks.partial_decode(video, n, int(flow["n_listed"])),
        checks.variable_frame_rate(video, times, fps_used) if vfr else None,
        checks.audio_length(audio, int(envelope["n_samples"]) / preset.onset.sample_rate, n / fps_used),
        checks.truncated_audio(audio, declared, present),
        checks.silent_audio(audio, float(envelope["peak"])),
    ]
    warnings = [w for w in found if w is not None]
    if options.strict and warnings:
        raise warnings[0].refusal()
    return ClipSignals(flow["trajectory"], envelope["envelope"], fps_used, n, envelope_rate(preset),
                       str(flow["decoder"]), times if options.time_axis == "timestamps" else None,
                       tuple(str(w) for w in warnings))


def _caches(root: str | Path | None, use_cache: bool) -> tuple[ArrayCache, ArrayCache]:
    return ArrayCache("av-align/flow", root, use_cache), ArrayCache("av-align/envelope", root, use_cache)


def checked(sample: Sample) -> Sample:
    """`sample` with the content hashes of its files; InputError when a file is missing."""
    video = sample.require_video()
    problem = entry_problem(video)
    if problem is not None:
        raise InputError(video, f"video file {problem}")
    problem = None if sample.audio is None else entry_problem(sample.audio)
    if problem is not None:
        raise InputError(sample.audio, f"audio file for {video} {problem}")
    return sample.with_hashes()


def measure_clip(sample: Sample, preset: AVAlignPreset, fps: float | None = None,
                 cache_root: str | Path | None = None, use_cache: bool = True, *, time_axis: str = "frames",
                 strict: bool = False, flow: str = "opencv", flow_device: str = "auto") -> ClipSignals:
    """Signals of one clip, from the cache where present; computes and stores what is missing.
    `fps`, `time_axis`, `strict`, `flow` and `flow_device` as `ClipOptions` says."""
    return _measure(sample, preset, ClipOptions(fps, time_axis, strict, flow, flow_device), cache_root, use_cache)


def _measure(sample: Sample, preset: AVAlignPreset, options: ClipOptions, cache_root: str | Path | None,
             use_cache: bool, flow: dict[str, np.ndarray] | None = None) -> ClipSignals:
    """The clip's signals; its flow entry from `flow` where given, else the cache, else measured."""
    sample = checked(sample)
    flows, _ = _caches(cache_root, use_cache)
    flow_key = _flow_key(sample, preset, options)
    # the video first: a clip with unusable video is reported as such whatever its audio
    if flow is None:
        flow = flows.get(flow_key)
    if flow is None:
        flow = (clip_flow(sample.video, preset, options.fps) if options.flow == "opencv"
                else _torch_flow(sample, preset, options))
        flows.put(flow_key, flow)
    return _signals(flow, _envelope(sample, preset, cache_root, use_cache), sample, preset, options)


def _envelope(sample: Sample, preset: AVAlignPreset, cache_root: str | Path | None, use_cache: bool) -> dict:
    """The clip's envelope entry, from the cache or measured (and stored)."""
    _, envelopes = _caches(cache_root, use_cache)
    key = _envelope_key(sample, preset)
    envelope = envelopes.get(key)
    if envelope is None:
        envelope = clip_envelope(sample, preset)
        envelopes.put(key, envelope)
    return envelope


def _torch_flow(sample: Sample, preset: AVAlignPreset, options: ClipOptions) -> dict[str, np.ndarray]:
    from .torch_clips import flow_device, torch_flows

    ((_, flow),) = torch_flows([(sample.sample_id, sample.video)], preset.farneback, options.fps,
                               flow_device(options.flow_device))
    if isinstance(flow, InputError):
        raise flow
    return flow


def _cached(sample: Sample, preset: AVAlignPreset, options: ClipOptions,
            root: str) -> tuple[ClipSignals | None, dict[str, np.ndarray] | None]:
    """The clip's signals when both its entries are cached, and its flow entry when that is."""
    flows, envelopes = _caches(root, True)
    flow, envelope = flows.get(_flow_key(sample, preset, options)), envelopes.get(_envelope_key(sample, preset))
    if flow is None or envelope is None:
        return None, flow
    try:
        return _signals(flow, envelope, sample, preset, options), flow
    except InputError:
        return None, flow  # let the worker report it


def _outcome(source: str | Path, measure: Callable[[], object]) -> tuple[str, object]:
    """("ok", what `measure` returns) or ("error", one line naming `source`): a batch records
    every per-clip failure and goes on."""
    try:
        return "ok", measure()
    except InputError as exc:
        return "error", str(exc)
    except Exception as exc:
        return "error", f"{source}: unexpected {type(exc).__name__}: {describe(exc)}"


def _worker(sample: Sample, preset: AVAlignPreset, options: ClipOptions, root: str,
            use_cache: bool, flow: dict[str, np.ndarray] | None = None) -> tuple[str, object]:
    return _outcome(sample.video, lambda: _measure(sample, preset, options, root, use_cache, flow))


def _flow_worker(video: Path, preset: AVAlignPreset, fps: float | None, key: str, root: str,
                 use_cache: bool) -> tuple[str, object]:
    """A pool job: a whole clip's flow entry, stored under `key`, as an `_outcome`."""

    def measure() -> dict[str, np.ndarray]:
        flow = clip_flow(video, preset, fps)
        _caches(root, use_cache)[0].put(key, flow)
        return flow

    return _outcome(video, measure)


def _segment_worker(video: Path, segment: Segment, params: FarnebackParams) -> SegmentFlow | None:
    try:
        return segment_flow(video, segment, params)
    except Exception:  # the clip is then measured whole, which names the problem
        return None


def pool_context() -> multiprocessing.context.BaseContext:
    """The process-pool context for clip workers (a preloaded fork server where available)."""
    # Never plain fork: a child forked after OpenCV started its thread pool can deadlock. A
    # fork server that has loaded and warmed the clip code forks clean, ready workers cheaply.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, f"{__package__}.worker_init"])
        return context
    return multiprocessing.get_context("spawn")


def _start_pool_server() -> None:
    """Start the fork server at the first clip that needs measuring, so it loads the clip code
    while this process hashes the other files and plans the work."""
    if pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _init_worker() -> None:
    """Worker setup; already loaded (a no-op) in workers forked from the fork server."""
    import_module(f"{__package__}.worker_init")


@dataclass
class Measured:
    """Signals of every clip that could be measured and the reason for every other one, by
    sample id; `segments`: the clips whose flow was measured in segments across workers, by
    sample id, with their segment count."""

    signals: dict[str, ClipSignals] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    segments: dict[str, int] = field(default_factory=dict)


@dataclass
class _SplitClip:
    """A clip measured in segments: its parts as they come back from the pool."""

    sample: Sample
    n_frames: int  # frames expected: the container's count, or its video packets where it lists none
    n_listed: int  # the container's count (0 = it lists none), as the flow entry records it
    timestamps: np.ndarray
    segments: list[Segment]
    flows: dict[int, SegmentFlow | None] = field(default_factory=dict)

    def flow_entry(self, fps: float | None) -> dict[str, np.ndarray] | None:
        """The clip's flow cache entry, exactly as `clip_flow` would have made it, or None when
        the segments do not prove it (`segments.joined_trajectory`)."""
        flows = [self.flows[k] for k in range(len(self.segments))]
        trajectory = joined_trajectory(self.segments, flows, self.n_frames)
        container_fps = flows[0].fps if flows[0] is not None else 0.0
        if trajectory is None or (fps is None and not (math.isfinite(container_fps) and container_fps > 0)):
            return None
        return flow_entry(trajectory, container_fps, "opencv", self.n_listed, self.timestamps)


def _split_plan(todo: list[Sample], workers: int) -> tuple[dict[str, _SplitClip], dict[str, float]]:
    """Which of the clips whose flow is to measure to measure in segments, and every one's cost
    (frames × pixels; clips the container says too little about count as the costliest, so
    they start first)."""
    costs: dict[str, float] = {}
    infos = {}
    for sample in todo:
        costs[sample.sample_id] = math.inf
        try:
            info = probe(sample.video)
        except InputError:
            continue  # its worker reports it
        infos[sample.sample_id] = info
        # a container without a frame count (Matroska, WebM) states its duration
        n_frames = info.n_frames or (round(info.duration * info.fps) if info.duration and info.fps else 0)
        if n_frames and info.width and info.height:
            costs[sample.sample_id] = float(n_frames * info.width * info.height)
    finite = [sample for sample in todo if math.isfinite(costs[sample.sample_id])]
    pieces = pieces_per_clip([costs[s.sample_id] for s in finite], workers)
    splits = {}
    for sample, n_pieces in zip(finite, pieces):
        if n_pieces < 2:
            continue
        info = infos[sample.sample_id]
        timestamps = frame_timestamps(sample.video)
        n_frames = info.n_frames or timestamps.size
        segments = plan_segments(n_frames, n_pieces)
        if len(segments) > 1 and splittable(n_frames, info.fps, timestamps):
            splits[sample.sample_id] = _SplitClip(sample, n_frames, info.n_frames or 0, timestamps, segments)
    return splits, costs


def measure_clips(samples: list[Sample], preset: AVAlignPreset, fps: float | None = None, workers: int | None = None,
                  use_cache: bool = True, progress: bool = True, cache_root: str | Path | None = None, *,
                  time_axis: str = "frames", strict: bool = False, flow: str = "opencv",
                  flow_device: str = "auto") -> Measured:
    """Measure every clip: cached signals are read in this process, the rest run in a pool of
    `workers` processes (default: one per core; 1 = in this process), a clip too long for its
    share of the pool in segments across workers (`segments`); with `flow` "torch" every flow
    in this process, batched on `flow_device`; `fps`, `time_axis`, `strict`, `flow` and
    `flow_device` as `ClipOptions` says. Call it under `if __name__ == "__main__":` in a script: the
    pool starts worker processes."""
    from tqdm import tqdm

    options = ClipOptions(fps, time_axis, strict, flow, flow_device)
    # Resolved here: pool workers fork from a server started earlier, with the environment
    # ($AVBENCH_CACHE) of that moment, not of this call.
    root = str(default_cache_root() if cache_root is None else cache_root)
    out = Measured()
    todo: list[Sample] = []
    flow_cached: dict[str, dict[str, np.ndarray]] = {}  # the flow entries of clips whose envelope is to measure
    server_started = False
    workers = workers or os.cpu_count() or 1
    samples, out.failures = first_listings(samples)
    for sample in samples:
        try:
            sample = checked(sample)
        except InputError as exc:
            out.failures[sample.sample_id] = str(exc)
            continue
        cached, cached_flow = _cached(sample, preset, options, root) if use_cache else (None, None)
        if cached is not None:
            out.signals[sample.sample_id] = cached
            continue
        todo.append(sample)
        if cached_flow is not None:
            flow_cached[sample.sample_id] = cached_flow
        elif not server_started and workers > 1 and options.flow == "opencv":
            _start_pool_server()  # at the first clip whose flow the pool will measure
            server_started = True

    # Workers store what they measure; a cache that cannot take it is reported once, here.
    store = use_cache and bool(todo) and writable(root)
    bar = tqdm(total=len(todo), desc="AV-Align", unit="clip", disable=not progress or not todo)

    def collect(sample: Sample, outcome: tuple[str, object]) -> None:
        status, value = outcome
        if status == "ok":
            out.signals[sample.sample_id] = value  # type: ignore[assignment]
        else:
            out.failures[sample.sample_id] = value  # type: ignore[assignment]
        bar.update()

    to_flow = [sample for sample in todo if sample.sample_id not in flow_cached]
    splits, costs = _split_plan(to_flow, workers) if workers > 1 and options.flow == "opencv" else ({}, {})
    if options.flow == "torch":
        _measure_with_torch(todo, flow_cached, preset, options, root, store, collect)
    elif workers == 1 or (len(to_flow) <= 1 and not splits):
        for sample in todo:
            collect(sample, _worker(sample, preset, options, root, store, flow_cached.get(sample.sample_id)))
    else:
        _run_pool(todo, flow_cached, splits, costs, preset, options, root, store, workers, collect, out)
    bar.close()
    return out


def _run_pool(todo: list[Sample], flow_cached: dict[str, dict[str, np.ndarray]], splits: dict[str, _SplitClip],
              costs: dict[str, float], preset: AVAlignPreset, options: ClipOptions, root: str, store: bool,
              workers: int, collect, out: Measured) -> None:
    """Flows in a process pool, costliest first, a split clip's in segments; meanwhile this
    process measures the envelopes (so librosa loads once, here, while the workers already compute
    flow). A clip is joined when both are in; a split clip whose segments do not prove its
    trajectory is measured whole. As on one worker, a clip whose video fails is reported as such
    whatever its audio."""
    flow_cache, _ = _caches(root, store)
    flows: dict[str, tuple[str, object]] = {}
    envelopes: dict[str, tuple[str, object]] = {}
    jobs: list[tuple[float, tuple]] = []
    for sample in todo:
        if sample.sample_id in flow_cached:
            flows[sample.sample_id] = ("ok", flow_cached[sample.sample_id])
            continue
        split = splits.get(sample.sample_id)
        if split is None:
            jobs.append((costs.get(sample.sample_id, math.inf), (sample, "clip", None)))
            continue
        per_pair = costs[sample.sample_id] / max(split.n_frames - 1, 1)
        for k, segment in enumerate(split.segments):
            n_pairs = (split.n_frames if segment.stop is None else segment.stop) - segment.start
            jobs.append((per_pair * n_pairs, (sample, "segment", k)))
    jobs.sort(key=lambda job: job[0], reverse=True)
    unfinished = {sample.sample_id: sample for sample in todo}

    def finish(sample: Sample) -> None:
        """Join a clip whose flow and envelope are both in."""
        sample_id = sample.sample_id
        if sample_id not in unfinished or sample_id not in flows or sample_id not in envelopes:
            return
        del unfinished[sample_id]
        (flow_status, flow), (envelope_status, envelope) = flows[sample_id], envelopes[sample_id]
        if flow_status != "ok" or envelope_status != "ok":
            collect(sample, (flow_status, flow) if flow_status != "ok" else (envelope_status, envelope))
            return
        try:
            collect(sample, ("ok", _signals(flow, envelope, sample, preset, options)))  # type: ignore[arg-type]
        except InputError as exc:
            collect(sample, ("error", str(exc)))

    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=pool_context(),
                             initializer=_init_worker) as pool:

        def submit(sample: Sample, kind: str, k: int | None):
            if kind == "clip":
                return pool.submit(_flow_worker, sample.video, preset, options.fps, _flow_key(sample, preset, options),
                                   root, store)
            return pool.submit(_segment_worker, sample.video, splits[sample.sample_id].segments[k], preset.farneback)

        pending = {submit(*job): job for _, job in jobs}
        to_envelope = list(todo)
        while pending or to_envelope:
            if to_envelope:  # one envelope between looks at the pool
                sample = to_envelope.pop(0)
                envelopes[sample.sample_id] = _outcome(audio_source(sample),
                                                       lambda: _envelope(sample, preset, root, store))
                finish(sample)
                finished = [future for future in pending if future.done()]
            else:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                sample, kind, k = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    flows[sample.sample_id] = ("error", f"{sample.video}: the worker process died while decoding it")
                    finish(sample)
                    continue
                if kind == "clip":
                    flows[sample.sample_id] = outcome
                    finish(sample)
                    continue
                split = splits[sample.sample_id]
                split.flows[k] = outcome
                if len(split.flows) < len(split.segments) or sample.sample_id in flows:
                    continue
                flow = split.flow_entry(options.fps)
                if flow is None:  # not proven: the sequential read decides
                    pending[submit(sample, "clip", None)] = (sample, "clip", None)
                    continue
                flow_cache.put(_flow_key(sample, preset, options), flow)
                flows[sample.sample_id] = ("ok", flow)
                out.segments[sample.sample_id] = len(split.segments)
                finish(sample)


def _measure_with_torch(todo: list[Sample], flow_cached: dict[str, dict[str, np.ndarray]], preset: AVAlignPreset,
                        options: ClipOptions, root: str, store: bool, collect) -> None:
    """The torch flow path, in this process: the flows of every clip not cached, their frame pairs
    batched together on one device (`torch_clips`), then each clip's envelope and signals."""
    from .torch_clips import flow_device, torch_flows

    samples = {sample.sample_id: sample for sample in todo}
    for sample in todo:
        if sample.sample_id in flow_cached:
            collect(sample, _worker(sample, preset, options, root, store, flow_cached[sample.sample_id]))
    videos = [(sample.sample_id, sample.video) for sample in todo if sample.sample_id not in flow_cached]
    flows, _ = _caches(root, store)
    for sample_id, flow in torch_flows(videos, preset.farneback, options.fps, flow_device(options.flow_device)):
        sample = samples[sample_id]
        if isinstance(flow, InputError):
            collect(sample, ("error", str(flow)))
            continue
        flows.put(_flow_key(sample, preset, options), flow)
        collect(sample, _worker(sample, preset, options, root, store, flow))
