"""`folder`: pre-generated videos matched to benchmark items by id (`<path>/<item_id>.<ext>`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from metrics.errors import AvbenchError, InputError

from ..generators import BenchmarkItem, GeneratedSample, register_generator
from ..media import VIDEO_EXTENSIONS
from ..media.edit import copy_file
from .segments import output_paths, write_item_audio

AUDIO_BESIDE = (".wav", ".flac")


@register_generator("folder")
class FolderGenerator:
    """Takes `<path>/<item_id>.<video ext>` as the sample of each item (linked, not re-encoded).

    The conditioning audio is `<path>/<item_id>.wav` (or `.flac`) when the folder has one (the
    model's own copy), else the item's audio segment.
    """

    name = "folder"

    def __init__(self, path: str | Path | None = None, **options: Any):
        if path is None:
            raise AvbenchError("model `folder` needs options.path: the folder of generated videos")
        if options:
            raise AvbenchError(f"model `folder`: unknown option(s) {', '.join(sorted(options))}")
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(self.path, "folder of generated videos does not exist")

    def _find(self, item_id: str, extensions: tuple[str, ...]) -> Path | None:
        for ext in extensions:
            candidate = self.path / f"{item_id}{ext}"
            if candidate.is_file():
                return candidate
        return None

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample:
        video_dst, audio_dst = output_paths(item, out_dir)
        video = self._find(item.item_id, VIDEO_EXTENSIONS)
        if video is None:
            raise InputError(self.path, f"no video for item {item.item_id} ({item.item_id}.mp4 or another video extension)")
        video_dst = video_dst.with_suffix(video.suffix.lower())
        copy_file(video, video_dst)
        audio = self._find(item.item_id, AUDIO_BESIDE)
        if audio is not None:
            audio_dst = audio_dst.with_suffix(audio.suffix.lower())
            copy_file(audio, audio_dst)
        else:
            write_item_audio(item, audio_dst)
        return GeneratedSample(item.item_id, video_dst, audio_dst, {"source": str(video)})
