"""The generator protocol: a benchmark item in, one video out plus the audio it was conditioned on.

Generators are declared by name in the `avbench.generators` entry-point group: `folder` and the
controls `real`, `shuffled-audio`, `shifted` of this package, and the models other packages add
there, so a new model is a package of its own. `avbench generate --model NAME` looks them up here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Protocol

from avbench.metrics import plugins
from avbench.metrics.errors import AvbenchError


@dataclass(frozen=True)
class BenchmarkItem:
    """One item of a benchmark.

    `audio_path` is the item's audio (or a container with an audio track); `start` and
    `duration` (seconds) select the segment to condition on; `seed` fixes the generator's
    randomness; `video_path` is the dataset's own clip, where the benchmark has one.
    """

    item_id: str
    audio_path: Path
    duration: float
    seed: int
    start: float = 0.0
    label: str | None = None
    text: str | None = None
    video_path: Path | None = None


@dataclass(frozen=True)
class GeneratedSample:
    """What a generator wrote for one item: the video, the exact audio segment it was
    conditioned on (same duration as the video, time-aligned), and free-form metadata."""

    item_id: str
    video_path: Path
    audio_path: Path
    meta: dict[str, Any] = field(default_factory=dict)


class Generator(Protocol):
    """Writes `<out_dir>/<item_id>.mp4` (and the conditioning audio) for an item.

    Optional members the harness uses when present: `prepare(items)`, called once with every
    item of the benchmark before any `generate` (e.g. to pair items); `output_spec`, a dict of
    the output fields the generator guarantees (`fps`, `frames`, `width`, `height`, `duration`;
    None = native, not checked), overriding the benchmark protocol's; `expect_output(spec)`,
    called once with the resolved OutputSpec (a generator that checks what it hands over);
    `generate_batch(items, out_dir)`, used instead of `generate` when present: yields
    `(item_id, GeneratedSample or the exception that item failed with)` per item, so a model
    loaded once serves many items (an item it never reports is recorded as failed).
    """

    name: str

    def generate(self, item: BenchmarkItem, out_dir: Path) -> GeneratedSample: ...


GeneratorFactory = Callable[..., Generator]
ENTRY_POINT_GROUP = "avbench.generators"


@lru_cache(maxsize=1)
def _factories() -> dict[str, EntryPoint]:
    """Every generator an installed distribution declares in the `avbench.generators` entry-point
    group (name -> `module:factory`); avbench's own adapters and models are declared the same way."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def generator_names() -> list[str]:
    return sorted(_factories())


def generator_factory(name: str) -> GeneratorFactory:
    """The factory (a class or a function returning a Generator) declared as `name`. It is loaded
    only when asked for (a model imports its heavy dependencies); a model that cannot be loaded
    (e.g. its optional dependencies are missing) is an AvbenchError naming it and the error."""
    try:
        entry = _factories()[name]
    except KeyError:
        raise AvbenchError(f"unknown model {name!r}; known: {', '.join(generator_names()) or 'none'}") from None
    return plugins.load(entry, "model")


def make_generator(name: str, **options: Any) -> Generator:
    """An instance of the generator declared as `name`."""
    return generator_factory(name)(**options)
