"""The samples a score run works on, and a reason for every expected one it cannot use.

Inputs are a generated run folder (its `manifest.csv`) or a manifest CSV; the folder holding
the manifest is the run root and every path must stay inside it. Each expected benchmark item
is checked: listed once, files present, a readable container, and the output spec (fps, frame
count, size, duration) met. A failing item is recorded with its reason and the run goes on.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import av

from avbench.metrics.csv_files import read_csv
from avbench.metrics.errors import InputError
from avbench.metrics.fileio import sha256_file
from avbench.metrics.media import MediaInfo, entry_problem, parse_manifest
from avbench.metrics.media import probe as probe_file
from avbench.metrics.media.errors import describe
from avbench.metrics.media.probe_cache import probe_cached
from avbench.metrics.metric import Sample
from avbench.metrics.scoring import Failure

from ..definition import Benchmark, OutputSpec
from ..generate import FAILURES as GENERATE_FAILURES

MANIFEST = "manifest.csv"


def manifest_path(inputs: str | Path) -> Path:
    """`inputs` itself (a CSV) or `<inputs>/manifest.csv`."""
    path = Path(inputs)
    if path.is_dir():
        path = path / MANIFEST
    if not path.is_file():
        raise InputError(path, "no inputs manifest here (give a generated run folder or a manifest CSV)")
    return path


def spec_problems(info: MediaInfo, spec: OutputSpec) -> list[str]:
    """How a probed video differs from `spec` (empty when it conforms). Tolerances: fps 0.1%,
    duration one frame."""
    problems = []
    if not info.has_video:
        return ["no video stream"]
    if spec.fps is not None:
        if not info.fps:
            problems.append(f"no frame rate (expected {spec.fps:g} fps)")
        elif abs(info.fps - spec.fps) > 1e-3 * spec.fps:
            problems.append(f"wrong fps: {info.fps:g} (expected {spec.fps:g})")
    if spec.frames is not None and info.n_frames is not None and info.n_frames != spec.frames:
        problems.append(f"wrong frame count: {info.n_frames} (expected {spec.frames})")
    if spec.width is not None and spec.height is not None and (info.width, info.height) != (spec.width, spec.height):
        problems.append(f"wrong size: {info.width}x{info.height} (expected {spec.width}x{spec.height})")
    if spec.duration is not None and not math.isnan(spec.duration) and info.duration is not None:
        frame = 1.0 / (info.fps or spec.fps or 1.0)
        if abs(info.duration - spec.duration) > frame + 1e-3:
            problems.append(f"wrong duration: {info.duration:.3f} s (expected {spec.duration:g} s)")
    return problems


def decode_problem(video: Path, info: MediaInfo) -> str | None:
    """Decode every frame with PyAV; a problem when decoding fails or fewer frames decode than
    the container lists."""
    count = 0
    try:
        with av.open(str(video)) as container:
            for _ in container.decode(video=0):
                count += 1
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        return f"corrupt: decoding failed after {count} frame(s) ({describe(exc)})"
    if count == 0:
        return "corrupt: no frame decodes"
    if info.n_frames is not None and count < info.n_frames:
        return f"corrupt: {count} of the {info.n_frames} frames the container lists decode"
    return None


@dataclass
class Inputs:
    """What a score run (or `validate`) found: usable samples by id, failures, and ids listed in
    the manifest that the benchmark does not expect."""

    root: Path
    manifest: Path
    manifest_sha256: str
    samples: dict[str, Sample] = field(default_factory=dict)
    info: dict[str, MediaInfo] = field(default_factory=dict)
    audio_rate: dict[str, int | None] = field(default_factory=dict)  # Hz of each sample's audio
    hashes: dict[Path, str] = field(default_factory=dict)  # sha256 of every usable file
    failures: list[Failure] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    listed: int = 0  # expected ids the manifest lists (usable or not)


def collect(benchmark: Benchmark, inputs: str | Path, expected: list[str], spec: OutputSpec,
            decode: bool = False) -> Inputs:
    """Check every expected id against the manifest and the files; hash the usable ones.
    `decode`: also decode every frame (validate does; scoring lets the metrics find bad frames)."""
    path = manifest_path(inputs)
    root = path.parent.resolve()
    found = Inputs(root=root, manifest=path, manifest_sha256=sha256_file(path))
    pairs, problems = parse_manifest(path)
    wanted = set(expected)
    rows = {item["item_id"]: item for item in benchmark.rows}
    rejected: dict[str, str] = {}
    for problem in problems:
        if problem.sample_id is None:
            found.failures.append(Failure("", "inputs", f"{path}: {problem.problem}"))
        elif problem.sample_id in wanted:
            rejected.setdefault(problem.sample_id, f"{path}: {problem.problem}")
    by_id = {pair.sample_id: pair for pair in pairs}
    generation_failures = _generation_failures(root)
    found.unexpected = sorted(set(by_id) - set(rows))
    found.listed = len(wanted & (set(by_id) | {p.sample_id for p in problems if p.sample_id}))
    for sample_id in sorted(wanted):
        if sample_id in rejected:
            found.failures.append(Failure(sample_id, "inputs", rejected[sample_id]))
            continue
        pair = by_id.get(sample_id)
        if pair is None:
            why = f" (generating it failed: {generation_failures[sample_id]})" if sample_id in generation_failures else ""
            found.failures.append(Failure(sample_id, "inputs", f"missing: {sample_id} is not in {path}{why}"))
            continue
        error = _check_pair(pair.video, pair.audio, root, spec, decode, found, sample_id)
        if error is not None:
            found.failures.append(error)
            continue
        row = rows.get(sample_id, {})
        found.samples[sample_id] = Sample(
            sample_id=sample_id, video=pair.video, audio=pair.audio, video_sha256=found.hashes[pair.video],
            audio_sha256=None if pair.audio is None else found.hashes[pair.audio],
            label=row.get("label") or pair.label, text=row.get("text") or pair.text,
        )
    return found


def _generation_failures(root: Path) -> dict[str, str]:
    """Item id → why `avbench generate` made no sample of it, from the run's generate_failures.csv."""
    path = root / GENERATE_FAILURES
    if not path.is_file():
        return {}
    return {row.values["sample_id"]: row.values.get("error") or "" for row in
            read_csv(path, "generation failures").rows(required=("sample_id",)) if row.values.get("sample_id")}


@dataclass
class MediaCheck:
    """What checking one video (and its audio) found; `problems` empty = usable."""

    info: MediaInfo | None = None
    audio_rate: int | None = None  # Hz of the audio the sample is scored with
    problems: list[str] = field(default_factory=list)
    stage: str = "media"


def check_media(video: Path, audio: Path | None, spec: OutputSpec, decode: bool = False,
                min_duration: float | None = None, hashes: dict[Path, str] | None = None) -> MediaCheck:
    """Present, readable, conforming to `spec` (and at least `min_duration` seconds long), with
    audio; `decode`: every frame decodes. With the files' content `hashes`, probes come from the cache."""
    check = MediaCheck()
    for kind, file in (("video", video), ("audio", audio)):
        problem = None if file is None else entry_problem(file)
        if problem is not None:
            check.stage = "inputs"
            check.problems.append(f"missing: {file}: {kind} file {problem}")
            return check

    def probe(path: Path) -> MediaInfo:
        return probe_cached(path, hashes[path]) if hashes and path in hashes else probe_file(path)

    try:
        check.info = info = probe(video)
    except InputError as exc:
        check.problems.append(f"corrupt: {exc}")
        return check
    check.problems += [f"{video}: {p}" for p in spec_problems(info, spec)]
    if min_duration is not None and info.duration is not None and info.duration < min_duration - 1e-3:
        check.problems.append(f"{video}: too short: {info.duration:.3f} s (needs {min_duration:g} s)")
    if audio is None:
        if info.has_video and not info.has_audio:
            check.problems.append(f"{video}: no audio: no audio file listed and the video has no audio track")
        check.audio_rate = info.audio_streams[0].sample_rate if info.audio_streams else None
    else:
        try:
            check.audio_rate = audio_rate(audio, probe)
        except InputError as exc:
            check.problems.append(f"corrupt: {exc}")
            return check
    if not check.problems and decode:
        problem = decode_problem(video, info)
        if problem:
            check.problems.append(f"{video}: {problem}")
    return check


SOUNDFILE_EXTENSIONS = (".wav", ".flac", ".ogg")


def audio_rate(path: Path, probe: Callable[[Path], MediaInfo]) -> int:
    """Sample rate (Hz) of an audio file with at least one sample: libsndfile's header read for
    wav/flac/ogg (a fraction of a container probe), else `probe`."""
    if path.suffix.lower() in SOUNDFILE_EXTENSIONS:
        import soundfile

        try:
            info = soundfile.info(str(path))
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise InputError(path, f"not a readable audio file ({describe(exc)})") from None
        if info.frames == 0:
            raise InputError(path, "the audio file holds no samples")
        return int(info.samplerate)
    found = probe(path)
    if not found.has_audio:
        raise InputError(path, "no audio stream")
    return found.audio_streams[0].sample_rate


def _check_pair(video: Path, audio: Path | None, root: Path, spec: OutputSpec, decode: bool, found: Inputs,
                sample_id: str) -> Failure | None:
    for kind, file in (("video", video), ("audio", audio)):
        # realpath, unlike resolve(), takes a symbolic link loop (check_media then names it)
        if file is not None and not Path(os.path.realpath(file)).is_relative_to(root):
            return Failure(sample_id, "inputs", f"{file}: {kind} path is outside the run root {root}")
    hashes = {f: sha256_file(f) for f in (video, audio) if f is not None and f.is_file()}
    check = check_media(video, audio, spec, decode, hashes=hashes)
    if check.problems:
        return Failure(sample_id, check.stage, "; ".join(check.problems))
    found.info[sample_id] = check.info  # type: ignore[assignment]
    found.audio_rate[sample_id] = check.audio_rate
    found.hashes.update(hashes)
    return None
