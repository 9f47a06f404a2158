"""Baseline wrappers without the upstream models: options, argv, preflight messages, output
normalisation (TATS grid + rescale at 6 fps, MM-Diffusion mp4 with an MP3 track), exact audio
segments, manifest lines, the folder adapter, and batch generation in the harness."""
from __future__ import annotations

import csv
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import soundfile as sf

from avbench.baselines.batch import BaselineGenerator
from avbench.baselines.contract import parse_options
from avbench.baselines.manifest import append_record, read_records
from avbench.baselines.mm_diffusion import FLAGS, MMDiffusionGenerator, write_staged_clip
from avbench.baselines.normalise import mono_conditioning, undo_tats_grid, write_sample_video
from avbench.benchmark.adapters.segments import write_audio_segment
from avbench.baselines.preflight import PreflightError
from avbench.baselines.tats import TatsGenerator, parse_upstream_outputs, upstream_save_dir
from avbench.benchmark.definition import OutputSpec
from avbench.benchmark.generate import FAILURES, MANIFEST, generate, read_generated
from avbench.benchmark.generators import BenchmarkItem, GeneratedSample
from avbench.metrics.media import probe, read_video_frames
from avbench.benchmark.synthetic_benchmark import resolve
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.fileio import sha256_file
from harness_support import declare_generator

FAKE_TATS = Path(__file__).resolve().parent / "fake_upstreams" / "fake_tats_checkout"


def _item(item_id: str, audio: Path, start: float = 0.0, duration: float = 2.0) -> BenchmarkItem:
    return BenchmarkItem(item_id=item_id, audio_path=audio, duration=duration, seed=7, start=start)


def _tats(tmp_path: Path, **extra) -> TatsGenerator:
    options = {"checkout": str(FAKE_TATS), "python": sys.executable, "stft_root": str(tmp_path / "stft"),
               "gpt_ckpt": str(tmp_path / "gpt.ckpt"), "vqgan_ckpt": str(tmp_path / "vqgan.ckpt"),
               "stft_vqgan_ckpt": str(tmp_path / "stft.ckpt"), **extra}
    return TatsGenerator(**options)


def _mm(tmp_path: Path, **extra) -> MMDiffusionGenerator:
    options = {"checkout": str(tmp_path / "MM-Diffusion"), "python": sys.executable,
               "base_ckpt": str(tmp_path / "Landscape.pt"), "sr_ckpt": str(tmp_path / "Landscape_SR.pt"), **extra}
    return MMDiffusionGenerator(**options)


def test_options_list_every_unknown_and_missing_one():
    with pytest.raises(AvbenchError) as err:
        TatsGenerator(checkout="x", python="y", bogus=1, other=2)
    text = str(err.value)
    assert "unknown option(s) bogus, other" in text
    assert "missing option(s) gpt_ckpt, stft_root, stft_vqgan_ckpt, vqgan_ckpt" in text
    with pytest.raises(AvbenchError, match="mode must be one of driver, upstream"):
        TatsGenerator(checkout="x", python="y", gpt_ckpt="a", vqgan_ckpt="b", stft_vqgan_ckpt="c", stft_root="d",
                      mode="fast")
    assert parse_options("m", {}, {}) == {}


def test_upstream_argv_is_the_shipped_command(tmp_path):
    tats = _tats(tmp_path, device="2", top_k=1024)
    argv = tats.upstream_argv(tmp_path / "data" / "stft", tmp_path / "save", 3)
    c = {role: str((tmp_path / name).resolve()) for role, name in
         (("gpt", "gpt.ckpt"), ("vqgan", "vqgan.ckpt"), ("stft", "stft.ckpt"))}
    assert argv == [sys.executable, "scripts/sample_vqgan_transformer_audio_cond.py", "--gpt_ckpt", c["gpt"],
                    "--vqgan_ckpt", c["vqgan"], "--stft_vqgan_ckpt", c["stft"], "--dataset", "drum", "--n_sample", "3",
                    "--save", str(tmp_path / "save"), "--data_path", str(tmp_path / "data" / "stft"),
                    "--top_k", "1024", "--top_p", "0.92"]
    assert upstream_save_dir(Path("s"), 1024, 0.92) == Path("s/videos/drum/topp0.92_topk1024")
    assert tats.contract.environment()["CUDA_VISIBLE_DEVICES"] == "2"
    assert tats.contract.environment()["PYTHONPATH"] == str(FAKE_TATS.resolve())

    mm = _mm(tmp_path, device="1")
    argv = mm.upstream_argv(tmp_path / "ref", tmp_path / "res")
    assert argv[:2] == [sys.executable, "py_scripts/audio2video_sample_sr.py"]
    pairs = dict(zip(argv[2::2], argv[3::2]))
    assert pairs["--sample_fn"] == "ddpm" and pairs["--classifier_scale"] == "3.0" and pairs["--devices"] == "1"
    assert pairs["--sr_sample_fn"] == "ddim" and pairs["--sr_timestep_respacing"] == "ddim25"
    assert pairs["--video_size"] == "16,3,64,64" and pairs["--audio_size"] == "1,25600"
    assert pairs["--batch_size"] == "1" and pairs["--all_save_num"] == "1" and pairs["--use_fp16"] == "True"
    assert pairs["--ref_path"] == str(tmp_path / "ref") and pairs["--output_dir"] == str(tmp_path / "res")
    assert "--timestep_respacing" not in argv and mm.paper_setting
    fast = _mm(tmp_path, timestep_respacing=250)
    assert fast.flags()[-2:] == ["--timestep_respacing", "250"] and not fast.paper_setting
    assert len(FLAGS) % 2 == 0


def test_preflight_names_every_missing_piece(tmp_path):
    # A checkout whose package needs a library this interpreter lacks.
    checkout = tmp_path / "TATS"
    (checkout / "tats" / "modules").mkdir(parents=True)
    (checkout / "tats" / "__init__.py").write_text("import pytorch_lightning_not_installed_here\n")
    (checkout / "tats" / "modules" / "__init__.py").write_text("")
    (checkout / "tats" / "modules" / "gpt.py").write_text("")
    (tmp_path / "gpt.ckpt").write_bytes(b"weights")
    (tmp_path / "vqgan.ckpt").write_bytes(b"weights")
    silent = tmp_path / "silent.mp4"
    with av.open(str(silent), "w") as container:  # a video without an audio stream
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")))
        container.mux(stream.encode())
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    tats = _tats(tmp_path, checkout=str(checkout), device="0", gpt_sha256="0" * 64)
    with pytest.raises(PreflightError) as err:
        tats.preflight([_item("5", silent)], blocker / "out")
    problems = err.value.problems
    text = " | ".join(problems)
    assert "cannot import tats" in text and "pytorch_lightning_not_installed_here" in text
    assert f"{tmp_path / 'gpt.ckpt'}: gpt checkpoint has sha256 {sha256_file(tmp_path / 'gpt.ckpt')}, expected {'0' * 64}" in text
    assert f"{tmp_path / 'stft.ckpt'}: stft_vqgan checkpoint does not exist" in text
    assert f"{silent}: no audio stream (item 5)" in text
    assert f"{blocker / 'out'}: folder is not writable" in text
    assert f"{tmp_path / 'stft' / 'test' / '5.pickle'}: STFT pickle of item 5 does not exist" in text
    assert str(err.value).startswith(f"tats preflight found {len(problems)} problem(s): ")

    # The fake checkout imports, but no GPU is visible here; and mono audio where stereo is needed.
    mono = tmp_path / "mono.wav"
    sf.write(mono, np.zeros(16000, np.float32), 16000)
    mm = _mm(tmp_path, checkout=str(FAKE_TATS), device="0")
    mm.PACKAGE = "tats"  # the fake checkout holds a TATS package; the import check is what is under test
    mm.MODULES = ("torch", "tats")
    with pytest.raises(PreflightError) as err:
        mm.preflight([_item("m", mono)], tmp_path / "out")
    text = " | ".join(err.value.problems)
    assert "no CUDA GPU visible (device=0" in text
    assert f"{mono}: mono audio where stereo is required (item m)" in text
    assert f"{tmp_path / 'Landscape.pt'}: base checkpoint does not exist" in text
    mm_mono = _mm(tmp_path, checkout=str(FAKE_TATS), device="cpu", allow_mono=True)
    mm_mono.PACKAGE, mm_mono.MODULES = "tats", ("torch", "tats")
    (tmp_path / "Landscape.pt").write_bytes(b"a")
    (tmp_path / "Landscape_SR.pt").write_bytes(b"b")
    report = mm_mono.preflight([_item("m", mono)], tmp_path / "out")
    assert report.checkpoint_verified == {"base": False, "sr": False}
    assert any("impractically slow" in w for w in report.warnings)
    assert any("no expected sha256" in w for w in report.warnings)


def _smooth_frames(n: int, h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([np.stack([(x * 2 + k * 5) % 256, (y * 2 + k * 3) % 256, np.full_like(x, 40 + k * 8)], -1)
                     for k in range(n)]).astype(np.uint8)


def test_tats_upstream_output_is_normalised(tmp_path):
    """A generation_*.avi as TATS writes it (frame at the top left of a (h+2)x(w+2) zero grid,
    rescaled by imageio to a multiple of 16, 6 fps) back to 96x96 at the source fps."""
    frames = _smooth_frames(16, 96, 96)
    grid = np.zeros((16, 98, 98, 3), np.uint8)
    grid[:, :96, :96] = frames
    rescaled = np.stack([cv2.resize(g, (112, 112), interpolation=cv2.INTER_CUBIC) for g in grid])
    save = tmp_path / "videos" / "drum" / "topp0.92_topk2048"
    save.mkdir(parents=True)
    with av.open(str(save / "generation_0.avi"), "w") as container:
        stream = container.add_stream("mjpeg", rate=6)
        stream.width = stream.height = 112
        stream.pix_fmt = "yuvj444p"
        stream.options = {"q:v": "1"}
        for f in rescaled:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        container.mux(stream.encode())
    (save / "generation_1.avi").write_bytes(b"")
    (save / "groundtruth_0.avi").write_bytes(b"")
    (save / "groundtruth_7731_0.avi").write_bytes(b"")
    (save / "groundtruth_12_1.avi").write_bytes(b"")
    found = parse_upstream_outputs(save)
    assert found == {"7731": save / "generation_0.avi", "12": save / "generation_1.avi"}

    restored = undo_tats_grid(read_video_frames(found["7731"]), 96, 96)
    assert restored.shape == (16, 96, 96, 3)
    fps = Fraction(30000, 1001)
    out = tmp_path / "7731.mp4"
    write_sample_video(restored, fps, 16, out)
    info = probe(out)
    assert (info.fps_rational, info.n_frames, info.width, info.height, info.video_codec) == ("30000/1001", 16, 96, 96, "h264")
    back = read_video_frames(out).astype(float)
    # Interior pixels (away from the padding edge the rescale blurs in) survive within codec tolerance.
    err = np.abs(back[:, 2:-3, 2:-3] - frames[:, 2:-3, 2:-3]).mean()
    assert err < 4.0, err
    with pytest.raises(AvbenchError, match="15 frames where the model makes 16"):
        write_sample_video(restored[:15], fps, 16, tmp_path / "short.mp4")


def _stereo_source(path: Path, rate: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    data = rng.uniform(-0.6, 0.6, (int(rate * seconds), 2)).astype(np.float32)
    sf.write(path, data, rate, subtype="PCM_16")
    return sf.read(path, dtype="float32")[0]


def test_mm_diffusion_outputs_with_an_mp3_track_are_normalised(tmp_path):
    """MM-Diffusion-like mp4s (H.264 at 10 fps with an MP3 track): the video is re-encoded at
    exactly 10/1, the wav is the item's original segment (not the MP3), both sizes are kept."""
    source = tmp_path / "source.wav"
    original = _stereo_source(source, 44100, 4.0)
    files = {}
    for kind, size in (("base", 64), ("sr", 256)):
        files[kind] = tmp_path / f"ddpm_samples_0_0_0_{kind}.mp4"
        with av.open(str(files[kind]), "w") as container:
            video = container.add_stream("libx264", rate=10)
            video.width = video.height = size
            video.pix_fmt = "yuv420p"
            audio = container.add_stream("libmp3lame", rate=16000, layout="stereo")
            for f in _smooth_frames(16, size, size):
                container.mux(video.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
            container.mux(video.encode())
            pcm = (np.random.default_rng(0).uniform(-0.3, 0.3, (2, 25600)) * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1).copy(), format="s16", layout="stereo")
            frame.sample_rate = 16000
            container.mux(audio.encode(frame))
            container.mux(audio.encode())
        assert probe(files[kind]).audio_streams[0].codec.startswith("mp3")
    mm = _mm(tmp_path)
    item = _item("clip/7", source, start=1.25, duration=2.0)
    out = tmp_path / "gen"
    (out / "clip").mkdir(parents=True)
    outcome = mm._finish(item, out, {k: read_video_frames(f) for k, f in files.items()}, ["argv"], 12.5, 7)
    assert outcome.sample.video_path == out / "clip" / "7.mp4"
    info = probe(outcome.sample.video_path)
    assert (info.fps_rational, info.n_frames, info.width, info.height) == ("10/1", 16, 256, 256)
    variant = probe(out / "variants" / "64x64" / "clip" / "7.mp4")
    assert (variant.fps_rational, variant.n_frames, variant.width) == ("10/1", 16, 64)
    written, rate = sf.read(outcome.sample.audio_path, dtype="float32")
    assert rate == 44100 and np.array_equal(written, original[int(1.25 * 44100):int(1.25 * 44100) + int(1.6 * 44100)])
    rec = outcome.record
    assert (rec.status, rec.pairing, rec.fps, rec.n_frames, rec.height, rec.width) == ("ok", "exact", "10/1", 16, 256, 256)
    assert (rec.audio_offset_s, rec.audio_duration_s, rec.seed, rec.wall_s) == (1.25, 1.6, 7, 12.5)
    assert rec.extra["sample_output"] == "sr (256x256)" and rec.extra["paper_setting"] is True
    append_record(out, rec)
    assert read_records(out)[0]["extra"]["variant"].endswith("variants/64x64/clip/7.mp4")
    assert _mm(tmp_path, output="base").output_spec == {"fps": 10.0, "frames": 16, "width": 64, "height": 64,
                                                        "duration": 1.6}


def test_audio_segments_are_exact(tmp_path):
    source = tmp_path / "s.wav"
    original = _stereo_source(source, 16000, 3.0)
    rate = write_audio_segment(source, 0.5, 16 / 30, tmp_path / "seg.wav")
    written, _ = sf.read(tmp_path / "seg.wav", dtype="float32")
    assert rate == 16000 and np.array_equal(written, original[8000:8000 + round(16 / 30 * 16000)])
    # Past the end: silence fills the rest.
    write_audio_segment(source, 2.5, 1.0, tmp_path / "tail.wav")
    tail, _ = sf.read(tmp_path / "tail.wav", dtype="float32")
    assert tail.shape == (16000, 2) and np.array_equal(tail[:8000], original[40000:]) and not tail[8000:].any()
    # MM-Diffusion's conditioning: channel 0, 16 kHz, exactly 25600 samples, zero tail.
    cond = mono_conditioning(source, 2.0, 25600, 16000)
    assert cond.shape == (1, 25600) and cond.dtype == np.float32
    assert np.array_equal(cond[0, :16000], original[32000:, 0]) and not cond[0, 16000:].any()
    with pytest.raises(InputError, match="no audio"):
        write_audio_segment(source, 0.0, 0.0, tmp_path / "none.wav")
    # The staged upstream clip carries that conditioning on both channels of a 16 kHz PCM track.
    write_staged_clip(cond, tmp_path / "clip.avi")
    info = probe(tmp_path / "clip.avi")
    assert (info.n_frames, info.fps_rational, info.audio_streams[0].channels) == (16, "10/1", 2)


@pytest.fixture(scope="module")
def tiny_bench():
    from avbench.benchmark.definition import load_benchmark

    return load_benchmark(resolve("synthetic:tiny"))


def test_folder_adapter_matches_by_manifest_and_validates(tiny_bench, tmp_path):
    root = tiny_bench.data_root
    ids = tiny_bench.item_ids
    manifest = tmp_path / "samples.csv"
    with open(manifest, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sample_id", "video_path", "audio_path"])
        for item_id in ids:
            writer.writerow([item_id, str(root / f"{item_id}.mp4"), ""])
    out = tmp_path / "gen"
    outcome = generate("folder", tiny_bench, out, options={"manifest": str(manifest)}, progress=False)
    assert sorted(outcome.generated) == sorted(ids) and not outcome.failures
    # The protocol asks for other properties: every item fails naming its file and what is off.
    info = probe(root / f"{ids[0]}.mp4")
    declared = {"fps": 12, "width": 64, "height": 48}
    outcome = generate("folder", tiny_bench, tmp_path / "gen2", options={"path": str(root), **declared}, progress=False)
    assert set(outcome.failures) == set(ids)
    message = outcome.failures[ids[0]]
    assert str(root / f"{ids[0]}.mp4") in message
    assert f"wrong fps: {info.fps:g} (expected 12)" in message
    assert f"wrong size: {info.width}x{info.height} (expected 64x48)" in message
    # Declared native: nothing pinned is checked.
    natives = {k: "native" for k in ("fps", "frames", "width", "height", "duration")}
    outcome = generate("folder", tiny_bench, tmp_path / "gen3", options={"path": str(root), **natives}, progress=False)
    assert not outcome.failures
    with pytest.raises(AvbenchError, match="exactly one of options.path"):
        generate("folder", tiny_bench, tmp_path / "gen4", options={}, progress=False)
    with pytest.raises(AvbenchError, match="unknown option"):
        generate("folder", tiny_bench, tmp_path / "gen5", options={"path": str(root), "colour": 1}, progress=False)


class _BatchGenerator:
    """A batch generator for the harness test: fails one item, never reports another."""

    name = "test-batch"
    output_spec = {k: None for k in ("fps", "frames", "width", "height", "duration")}
    calls: list[list[str]] = []

    def __init__(self, source: str = ""):
        self.source = Path(source)

    def generate(self, item, out_dir):  # pragma: no cover - the batch path is used
        raise AssertionError("generate_batch must be used")

    def generate_batch(self, items, out_dir):
        _BatchGenerator.calls.append([i.item_id for i in items])
        for item in items:
            if item.item_id.endswith("1"):
                yield item.item_id, AvbenchError("model refused")
            elif item.item_id.endswith("2"):
                continue
            else:
                video, audio = Path(out_dir) / f"{item.item_id}.mp4", Path(out_dir) / f"{item.item_id}.wav"
                video.write_bytes((self.source / f"{item.item_id}.mp4").read_bytes())
                audio.write_bytes(b"RIFF")
                yield item.item_id, GeneratedSample(item.item_id, video, audio)


def test_generate_uses_generate_batch_and_records_failures(tiny_bench, tmp_path, monkeypatch):
    declare_generator(monkeypatch, "test-batch", f"{__name__}:_BatchGenerator")
    _BatchGenerator.calls.clear()
    out = tmp_path / "gen"
    options = {"source": str(tiny_bench.data_root)}
    outcome = generate("test-batch", tiny_bench, out, options=options, progress=False)
    ids = sorted(tiny_bench.item_ids)
    assert _BatchGenerator.calls == [ids]
    assert outcome.failures[ids[1]] == "model refused"
    assert outcome.failures[ids[2]] == f"the test-batch batch did not report item {ids[2]}"
    assert sorted(read_generated(out / MANIFEST)) == sorted(outcome.generated)
    assert ids[1] in (out / FAILURES).read_text()
    generate("test-batch", tiny_bench, out, options=options, progress=False)
    assert _BatchGenerator.calls[1] == [ids[1], ids[2]]  # only what is not done yet


def test_baseline_base_class_has_no_model():
    assert not hasattr(BaselineGenerator, "output_spec")
    assert OutputSpec().overridden(TatsGenerator.output_spec).frames == 16
