"""`avbench data`: a benchmark's dataset: its layout, the ids to download, and `prepare` (the layout
built from your download)."""
from __future__ import annotations

import argparse

NAME = "data"
HELP = "A benchmark's dataset: its layout, the source ids to download, and prepare (build the layout from your download)."


def _benchmark_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("benchmark", metavar="B", help="vggsound, landscape, audioset-drums, or a benchmark YAML")
    parser.add_argument("--items", metavar="CSV", help="these rows of the benchmark's items only (same columns)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    prepare = sub.add_parser("prepare", help="cut every item's clip from your download into the benchmark's layout")
    _benchmark_argument(prepare)
    prepare.add_argument("--source", required=True, metavar="DIR",
                         help="your download: <id>.<ext> whole videos (as yt-dlp -o '%%(id)s.%%(ext)s' names them) "
                              "and/or <item_id>.<ext> clips already cut, at any depth")
    prepare.add_argument("--root", required=True, metavar="ROOT", help="the data root to write (--data-root of the other verbs)")
    prepare.add_argument("--quiet", action="store_true", help="no progress bar")
    layout = sub.add_parser("layout", help="print the files the benchmark expects under its data root")
    _benchmark_argument(layout)
    ids = sub.add_parser("ids", help="print the source ids to download, one a line")
    _benchmark_argument(ids)
    form = ids.add_mutually_exclusive_group()
    form.add_argument("--urls", action="store_true", help="print download URLs instead of ids")
    form.add_argument("--sections", action="store_true",
                      help="print item_id, URL, start and end seconds, tab-separated, one item a line")


def run(args: argparse.Namespace) -> int:
    from ..definition import load_benchmark

    root = getattr(args, "root", None) or "ROOT"
    benchmark = load_benchmark(args.benchmark, data_root=root, items=args.items)
    if args.action == "prepare":
        from ..prepare import prepare_dataset

        report = prepare_dataset(benchmark, args.source, progress=not args.quiet)
        print(f"data prepare {benchmark.id}: " + "\n".join(report.summary()))
        return 1 if report.missing else 0
    if args.action == "layout":
        print("\n".join(_layout_lines(benchmark)))
        return 0
    print("\n".join(_id_lines(benchmark, args.urls, args.sections)))
    return 0


def _layout_lines(benchmark) -> list[str]:
    from ..prepare import REPORT

    protocol, sources = benchmark.protocol, benchmark.sources
    lines = [f"{benchmark.id}: {benchmark.title}, {len(benchmark.rows)} items",
             f"  {benchmark.layout.get('video')}    the item's clip (the source's frame rate and size)",
             f"  {benchmark.layout.get('audio')}    its audio: 16-bit PCM WAV, mono, {protocol.audio_sample_rate} Hz",
             f"  {REPORT}    written by `avbench data prepare`: the items it could not prepare, and why"]
    if sources is not None:
        start = sources.start or "0"
        end = sources.end or (f"{start} + {sources.seconds:g}" if sources.seconds else "the end of the file")
        cut = "" if sources.id == "item_id" else f"seconds [{start}, {end}) of the source {{{sources.id}}}.<ext>, or "
        lines.append(f"each clip: {cut}the whole of a clip {{item_id}}.<ext> already cut")
    first = benchmark.items()[0]
    lines.append(f"e.g. {first.video_path}, {first.audio_path}")
    lines.append(f"items: {benchmark.notes.get('source', 'the items CSV')}")
    return lines


def _id_lines(benchmark, urls: bool, sections: bool) -> list[str]:
    from avbench.metrics.errors import AvbenchError

    if benchmark.sources is None:
        raise AvbenchError(f"benchmark {benchmark.name} does not say where its clips come from (no `sources:`)")
    benchmark.sources.require_columns(set(benchmark.rows[0]), benchmark.id)
    segments = [benchmark.sources.segment(row) for row in benchmark.rows]
    if (urls or sections) and benchmark.sources.url is None:
        raise AvbenchError(f"benchmark {benchmark.name} names no download URL of its sources (see its `source:` "
                           f"in {benchmark.definition_path}); `avbench data ids {benchmark.name}` lists their ids")
    if sections:
        return [f"{s.item_id}\t{s.url}\t{s.start:g}\t{'' if s.duration is None else f'{s.start + s.duration:g}'}"
                for s in segments]
    return list(dict.fromkeys(s.url if urls else s.source_id for s in segments))
