"""`folder`: pre-generated videos (any model, any tool) matched to benchmark items, either by
name (`<path>/<item_id>.<ext>`) or by a user manifest (CSV `sample_id,video_path[,audio_path]`),
and checked against the output the run expects (the benchmark protocol, or the properties the
user declares as this generator's own)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from avbench.metrics.errors import AvbenchError, InputError

from ..definition import OutputSpec
from ..generators import BenchmarkItem, GeneratedSample
from avbench.metrics.media import VIDEO_EXTENSIONS, entry_problem, parse_manifest, probe, same_stem
from avbench.metrics.media.edit import copy_file
from .segments import output_paths, write_item_audio

AUDIO_BESIDE = (".wav", ".flac")
SPEC_FIELDS = {"fps": float, "frames": int, "width": int, "height": int, "duration": float}
NATIVE = "native"  # a declared field with this value is the videos' own, not checked


def _declared(options: dict[str, Any]) -> dict[str, Any]:
    """Output fields the user declares (`fps=10`, `width=native`, ...): a number, or None for native."""
    spec = {}
    for name, kind in SPEC_FIELDS.items():
        if name in options:
            value = options.pop(name)
            try:
                spec[name] = None if str(value).lower() == NATIVE else kind(value)
            except (TypeError, ValueError):
                raise AvbenchError(f"model `folder`: option {name} must be a number or {NATIVE}, not {value!r}") from None
    return spec


class FolderGenerator:
    """Takes an existing video as the sample of each item (linked, not re-encoded).

    Matching: `path=DIR` finds `<DIR>/<item_id>.<video ext>`; `manifest=CSV` takes the row whose
    sample_id is the item id (relative paths against the CSV's folder). The conditioning audio is
    the manifest's audio_path, else `<item_id>.wav`/`.flac` beside the video, else the item's
    audio segment. Declared `fps`/`frames`/`width`/`height`/`duration` (or `native`) replace the
    benchmark protocol's fields; every video is checked against the result before it is taken
    (`check=false` takes them unchecked, leaving it to `avbench validate` and scoring).
    """

    name = "folder"

    def __init__(self, path: str | Path | None = None, manifest: str | Path | None = None, check: bool = True,
                 **options: Any):
        self.output_spec = _declared(options)
        if options:
            raise AvbenchError(f"model `folder`: unknown option(s) {', '.join(sorted(options))} "
                               f"(options: path, manifest, check, {', '.join(SPEC_FIELDS)})")
        self.check = bool(check)
        if (path is None) == (manifest is None):
            raise AvbenchError("model `folder` needs exactly one of options.path (a folder of <item_id>.mp4) "
                               "or options.manifest (a CSV sample_id,video_path[,audio_path])")
        self.path = Path(path) if path is not None else None
        self.rows: dict[str, tuple[Path, Path | None]] = {}
        if self.path is not None and not self.path.is_dir():
            raise InputError(self.path, "folder of generated videos does not exist")
        if manifest is not None:
            pairs, problems = parse_manifest(manifest)
            if problems:
                raise InputError(manifest, "; ".join(p.problem for p in problems))
            self.rows = {p.sample_id: (p.video, p.audio) for p in pairs}
        self.spec = OutputSpec()

    def expect_output(self, spec: OutputSpec) -> None:
        """The output every video must conform to (the harness passes the resolved spec)."""
        self.spec = spec

    def _match(self, item_id: str) -> tuple[Path, Path | None]:
        if self.path is not None:
            video = same_stem(self.path, item_id, VIDEO_EXTENSIONS)
            if video is None:
                raise InputError(self.path, f"no video for item {item_id} ({item_id}.mp4 or another video extension)")
            return video, same_stem(self.path, item_id, AUDIO_BESIDE)
        if item_id not in self.rows:
            raise AvbenchError(f"item {item_id}: no row with sample_id {item_id} in the manifest")
        video, audio = self.rows[item_id]
        return video, audio if audio is not None else same_stem(video.parent, video.stem, AUDIO_BESIDE)

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        from ..scoring.inputs import spec_problems

        video, audio = self._match(item.item_id)
        for kind, file in (("video", video), ("audio", audio)):
            problem = None if file is None else entry_problem(file)
            if problem is not None:
                raise InputError(file, f"{kind} file of item {item.item_id} {problem}")
        problems = spec_problems(probe(video), self.spec) if self.check else []
        if problems:
            raise InputError(video, "; ".join(problems) + " (declare the videos' own properties with "
                             "--option fps=..|native, frames=, width=, height=, duration=)")
        video_dst, audio_dst = output_paths(item, out_dir)
        video_dst = video_dst.with_suffix(video.suffix.lower())
        copy_file(video, video_dst)
        if audio is not None:
            audio_dst = audio_dst.with_suffix(audio.suffix.lower())
            copy_file(audio, audio_dst)
        else:
            write_item_audio(item, audio_dst)
        return GeneratedSample(item.item_id, video_dst, audio_dst, {"source": str(video)})
