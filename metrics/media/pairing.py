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

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from ..csv_files import read_csv
from ..errors import InputError
from ..metric import Sample

from .audio import AUDIO_CONTAINER_EXTENSIONS, AUDIO_FILE_EXTENSIONS
from .video import VIDEO_EXTENSIONS

BESIDE_EXTENSIONS = AUDIO_FILE_EXTENSIONS + (".m4a",)
MANIFEST_COLUMNS = ("sample_id", "video_path", "audio_path")


@dataclass(frozen=True)
class AVPair:
    """One clip to score. `audio` None = the video's own audio track. `problem`: why the clip
    cannot be scored, found while listing a folder ("x.mp4: video file is a folder"); a
    front end records it as the clip's failure instead of scoring it."""

    sample_id: str
    video: Path
    audio: Path | None
    source: str  # "manifest", "audio-dir", "beside" or "track"
    text: str | None = None
    label: str | None = None
    problem: str | None = None

    def to_sample(self) -> Sample:
        """This clip as the `Sample` a metric scores, named by `sample_id`."""
        return Sample(self.sample_id, self.video, self.audio, self.label, self.text)


def entry_problem(path: Path) -> str | None:
    """How the entry `path` fails to be a readable file, said of it ("is a broken symbolic link
    (...)", "is a folder", "is not a regular file", "does not exist"), or None for a regular
    file or a link to one."""
    if path.is_file():
        return None
    if path.is_symlink() and not path.exists():
        return f"is a broken symbolic link (its target {os.readlink(path)} cannot be reached)"
    if path.is_dir():
        return "is a folder"
    return "is not a regular file" if path.exists() else "does not exist"


def video_entries(paths: Iterable[str | Path]) -> list[Path]:
    """What `paths` name as videos: files as given; under folders (searched recursively, sorted),
    every entry with a video extension, whatever it is (see `entry_problem`)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            try:
                found.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in VIDEO_EXTENSIONS))
            except OSError as exc:  # a subfolder that cannot be read, or vanishes while listed
                raise InputError(exc.filename or p, f"cannot list the folder ({exc.strerror or exc})") from None
        elif p.exists():
            found.append(p)
        else:
            raise InputError(p, "no such file or folder")
    return found


def find_videos(paths: Iterable[str | Path]) -> list[Path]:
    """Video files named by `paths`: files as given, folders searched recursively (sorted); an
    entry that is no readable file (`entry_problem`) is left out."""
    return [p for p in video_entries(paths) if entry_problem(p) is None]


def same_stem(folder: Path, stem: str, extensions: tuple[str, ...]) -> Path | None:
    """`<folder>/<stem><ext>` for the first of `extensions` (lower or upper case) that is there,
    readable or not: a broken link named like the audio is reported (`entry_problem`), not
    passed over for another file."""
    for ext in extensions:
        for candidate in (folder / f"{stem}{ext}", folder / f"{stem}{ext.upper()}"):
            if os.path.lexists(candidate):
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
    (which one was meant is unknown), and so is a row with more fields than the header. An
    unreadable file, a missing column or no row at all is an InputError."""
    path = Path(path)
    rows = read_csv(path, "manifest").rows(MANIFEST_COLUMNS, nonempty=True, misfits=True)
    lines: dict[str, list[int]] = {}
    for row in rows:
        lines.setdefault(row.values["sample_id"].strip(), []).append(row.line)
    pairs, problems = [], []
    for row in rows:
        sample_id, video = row.values["sample_id"].strip(), row.values["video_path"].strip()
        misfit = row.misfit()
        if misfit:
            problems.append(ManifestProblem(sample_id or None, row.line, misfit))
            continue
        if not sample_id or not video:
            problems.append(ManifestProblem(sample_id or None, row.line, f"line {row.line}: empty sample_id or video_path"))
            continue
        if len(lines[sample_id]) > 1:
            repeat = lines[sample_id][1]  # where a reader going down the file meets the duplicate
            others = [n for n in lines[sample_id] if n != repeat]
            problems.append(ManifestProblem(sample_id, row.line, f"line {repeat}: duplicate sample_id {sample_id!r} "
                                            f"(also on line {', '.join(map(str, others))})"))
            continue
        audio = row.values["audio_path"].strip()
        pairs.append(AVPair(
            sample_id=sample_id, video=path.parent / video, audio=path.parent / audio if audio else None,
            source="manifest" if audio else "track",
            text=row.values.get("text") or None, label=row.values.get("label") or None,
        ))
    return pairs, problems


def read_manifest(path: str | Path) -> list[AVPair]:
    """`parse_manifest`, strictly: the first unusable row is an InputError."""
    pairs, problems = parse_manifest(path)
    if problems:
        raise InputError(path, problems[0].problem)
    return pairs


def pair_video(video: Path, audio_dir: Path | None = None) -> AVPair:
    """The pair of one video by the stem rules (no manifest), with its `problem` when the video
    or the audio found for it is no readable file."""
    audio_exts = BESIDE_EXTENSIONS + tuple(e for e in AUDIO_CONTAINER_EXTENSIONS if e not in BESIDE_EXTENSIONS)
    pair = AVPair(video.stem, video, None, "track")
    if audio_dir is not None and (found := same_stem(audio_dir, video.stem, audio_exts)) is not None:
        pair = AVPair(video.stem, video, found, "audio-dir")
    elif (found := same_stem(video.parent, video.stem, BESIDE_EXTENSIONS)) is not None:
        pair = AVPair(video.stem, video, found, "beside")
    problems = [f"{file}: {kind} file {problem}" for kind, file in (("video", pair.video), ("audio", pair.audio))
                if file is not None and (problem := entry_problem(file)) is not None]
    return replace(pair, problem="; ".join(problems) or None)


def pair_videos(paths: Iterable[str | Path] = (), audio_dir: str | Path | None = None,
                manifest: str | Path | None = None) -> list[AVPair]:
    """All clips to score: manifest rows first, then what `paths` name as videos that the
    manifest does not list, paired by the stem rules. A video found in a folder is named by its
    path under that folder without the extension, so same-stem files in subfolders stay apart.
    An entry named like a video that is no readable file (a broken link, a folder `x.mp4`) is
    a pair with its `problem`, so that every front end reports it."""
    audio_dir = Path(audio_dir) if audio_dir is not None else None
    if audio_dir is not None and not audio_dir.is_dir():
        raise InputError(audio_dir, "audio folder does not exist")
    pairs = read_manifest(manifest) if manifest is not None else []
    listed = {os.path.realpath(p.video) for p in pairs}  # realpath, unlike resolve(), takes a link loop
    for root in map(Path, paths):
        for video in video_entries([root]):
            if os.path.realpath(video) not in listed:
                pair = pair_video(video, audio_dir)
                if root.is_dir():
                    pair = replace(pair, sample_id=video.relative_to(root).with_suffix("").as_posix())
                pairs.append(pair)
    return pairs
