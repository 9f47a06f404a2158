"""`avbench generate-one`: one video from one audio file with the reference model (TempoTokens)."""
from __future__ import annotations

import argparse

NAME = "generate-one"
HELP = (
    "Generate one video from an audio file with the reference model (TempoTokens): writes OUT.mp4 "
    "and, beside it, OUT.wav (the audio it was conditioned on)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .weight_files import MAPPER_DATASETS  # the weights registry: not for `avbench --help`

    parser.add_argument("--audio", required=True, help="audio file or video with an audio track")
    parser.add_argument("--out", required=True, help="output video path (.mp4)")
    parser.add_argument("--text", help='text for joint conditioning: "a video of <audio tokens> TEXT"')
    parser.add_argument("--start", type=float, default=0.0, help="start of the audio segment (s, default 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--dataset", default="vggsound", choices=tuple(MAPPER_DATASETS),
                        help="which released mapper to use (default vggsound)")
    parser.add_argument("--base-model", help="hub id or local folder (default cerspense/zeroscope_v2_576w)")
    parser.add_argument("--beats-weights", help="path of BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt")
    parser.add_argument("--mapper-weights", help="path of the mapper's learned_embeds.pth")
    parser.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--width", type=int, help="frame width in pixels, a multiple of 8 (default 384)")
    parser.add_argument("--height", type=int, help="frame height in pixels, a multiple of 8 (default 384)")
    parser.add_argument("--steps", type=int, help="denoising steps (default 25)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance scale (default 25)")
    parser.add_argument("--upstream-dropout", action="store_true",
                        help="keep upstream's always-on dropout in the class-token pooling (random output)")
    parser.add_argument("--offline", action="store_true", help="never download (also: AVBENCH_OFFLINE=1)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from avbench.metrics.errors import InputError

    from avbench.benchmark.generators import BenchmarkItem

    from .adapter import ReferenceGenerator

    out = Path(args.out)
    if out.suffix.lower() != ".mp4":
        raise InputError(out, "the output must be an .mp4 path")
    audio = Path(args.audio)
    if not audio.is_file():
        raise InputError(audio, "no such file")
    generator = ReferenceGenerator(
        dataset=args.dataset,
        conditioning="audio" if args.text is None else "text+audio",
        base_model=args.base_model,
        beats_weights=args.beats_weights,
        mapper_weights=args.mapper_weights,
        device=args.device,
        offline=True if args.offline else None,
        width=args.width,
        height=args.height,
        num_inference_steps=args.steps,
        guidance_scale=args.guidance,
        upstream_dropout=True if args.upstream_dropout else None,
    )
    item = BenchmarkItem(
        item_id=out.stem,
        audio_path=audio,
        duration=generator.preset.audio_seconds,
        seed=args.seed,
        start=args.start,
        text=args.text,
    )
    sample = generator.generate(item, out.parent)
    print(f"wrote {sample.video_path} and {sample.audio_path} (prompt: {sample.meta['prompt']!r}, seed {args.seed})")
    return 0
