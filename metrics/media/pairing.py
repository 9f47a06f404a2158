"""Pairing each video with the audio it is scored against.

Order: explicit manifest > same stem in `audio_dir` > same stem beside the video > the
video's own audio track. Never by sort order. A pair whose audio is None means "the video's
own track"; whether it exists is checked when the clip is decoded.

A pair's `sample_id` is the one name every front end that pairs files uses for the clip (its
`Sample`, its records): the manifest's id; for a video found in a folder, its path under that
folder without the extension (as `scoring.folder_samples` names it); for a video given as a
file, its stem.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..metric import Sample

from .audio import AUDIO_CONTAINER_EXTENSIONS, AUDIO_FILE_EXTENSIONS
from .video import VIDEO_EXTENSIONS

BESIDE_EXTENSIONS = AUDIO_FILE_EXTENSIONS + (".m4a",)
MANIFEST_COLUMNS = ("sample_id", "video_path", "audio_path")


@dataclass(frozen=True)
class AVPair:
    """One clip to score. `audio` None = the video's own audio track."""

    sample_id: str
    video: Path
    audio: Path | None
    source: str  # "manifest", "audio-dir", "beside" or "track"
    text: str | None = None
    label: str | None = None

    def to_sample(self) -> Sample:
        """This clip as the `Sample` a metric scores, named by `sample_id`."""
        return Sample(self.sample_id, self.video, self.audio, self.label, self.text)


def find_videos(paths: Iterable[str | Path]) -> list[Path]:
    """Video files named by `paths`: files as given, folders searched recursively (sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS))
        elif p.exists():
            found.append(p)
        else:
            raise InputError(p, "no such file or folder")
    return found


def list_media(folder: str | Path) -> tuple[list[Path], list[Path]]:
    """Video files and audio files (wav/flac/ogg/mp3) under `folder`, recursive, sorted by path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return ([p for p in files if p.suffix.lower() in VIDEO_EXTENSIONS],
            [p for p in files if p.suffix.lower() in AUDIO_FILE_EXTENSIONS])


def _same_stem(folder: Path, stem: str, extensions: tuple[str, ...]) -> Path | None:
    for ext in extensions:
        for candidate in (folder / f"{stem}{ext}", folder / f"{stem}{ext.upper()}"):
            if candidate.is_file():
                return candidate
    return None


@dataclass(frozen=True)
class ManifestProblem:
    """A manifest row that cannot be used: its sample id (None when empty), line and reason."""

    sample_id: str | None
    line: int
    problem: str


def parse_manifest(path: str | Path) -> tuple[list[AVPair], list[ManifestProblem]]:
    """Rows `sample_id, video_path, audio_path[, text, label]` as pairs, and the rows that cannot
    be used. Relative paths are resolved against the manifest's folder; an empty audio_path
    means the video's own track. Every row of a sample id listed more than once is a problem
    (which one was meant is unknown). An unreadable file or missing column is an InputError."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(path, f"manifest lacks column(s) {', '.join(missing)}")
            rows = list(reader)
    except OSError as exc:
        raise InputError(path, f"cannot read manifest ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(path, "manifest is not UTF-8 text") from None
    lines: dict[str, list[int]] = {}
    for line, row in enumerate(rows, start=2):
        lines.setdefault((row.get("sample_id") or "").strip(), []).append(line)
    pairs, problems = [], []
    for line, row in enumerate(rows, start=2):
        sample_id = (row.get("sample_id") or "").strip()
        if not sample_id or not (row.get("video_path") or "").strip():
            problems.append(ManifestProblem(sample_id or None, line, f"line {line}: empty sample_id or video_path"))
            continue
        if len(lines[sample_id]) > 1:
            repeat = lines[sample_id][1]  # where a reader going down the file meets the duplicate
            others = [n for n in lines[sample_id] if n != repeat]
            problems.append(ManifestProblem(sample_id, line, f"line {repeat}: duplicate sample_id {sample_id!r} "
                                            f"(also on line {', '.join(map(str, others))})"))
            continue
        audio = (row.get("audio_path") or "").strip()
        pairs.append(AVPair(
            sample_id=sample_id,
            video=path.parent / row["video_path"].strip(),
            audio=path.parent / audio if audio else None,
            source="manifest" if audio else "track",
            text=(row.get("text") or None), label=(row.get("label") or None),
        ))
    return pairs, problems


def read_manifest(path: str | Path) -> list[AVPair]:
    """`parse_manifest`, strictly: the first unusable row is an InputError."""
    pairs, problems = parse_manifest(path)
    if problems:
        raise InputError(path, problems[0].problem)
    return pairs


def pair_video(video: Path, audio_dir: Path | None = None) -> AVPair:
    """The pair of one video by the stem rules (no manifest)."""
    audio_exts = BESIDE_EXTENSIONS + tuple(e for e in AUDIO_CONTAINER_EXTENSIONS if e not in BESIDE_EXTENSIONS)
    if audio_dir is not None:
        found = _same_stem(audio_dir, video.stem, audio_exts)
        if found is not None:
            return AVPair(video.stem, video, found, "audio-dir")
    found = _same_stem(video.parent, video.stem, BESIDE_EXTENSIONS)
    if found is not None:
        return AVPair(video.stem, video, found, "beside")
    return AVPair(video.stem, video, None, "track")


def pair_videos(paths: Iterable[str | Path] = (), audio_dir: str | Path | None = None,
                manifest: str | Path | None = None) -> list[AVPair]:
    """All clips to score: manifest rows first, then videos found under `paths` that the
    manifest does not list, paired by the stem rules. A video found in a folder is named by its
    path under that folder without the extension, so same-stem files in subfolders stay apart."""
    audio_dir = Path(audio_dir) if audio_dir is not None else None
    if audio_dir is not None and not audio_dir.is_dir():
        raise InputError(audio_dir, "audio folder does not exist")
    pairs = read_manifest(manifest) if manifest is not None else []
    listed = {p.video.resolve() for p in pairs}
    for root in map(Path, paths):
        for video in find_videos([root]):
            if video.resolve() not in listed:
                pair = pair_video(video, audio_dir)
                if root.is_dir():
                    pair = replace(pair, sample_id=video.relative_to(root).with_suffix("").as_posix())
                pairs.append(pair)
    return pairs
