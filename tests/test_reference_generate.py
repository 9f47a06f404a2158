"""End-to-end generation with tiny random weights: the `reference` adapter and `avbench
generate-one` write a decodable 12 fps video and the exact conditioning audio; seeds are
respected; audio reaches the frames; missing weights give one clear line."""
from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from avbench.benchmark.generators import BenchmarkItem, generator_names, make_generator
from avbench.metrics.errors import InputError
from avbench.reference_model.audio import cut_conditioning_audio
from harness_support import run_installed
from reference_tiny import TINY_SIZE, write_base_model, write_weights

FAST = dict(width=TINY_SIZE, height=TINY_SIZE, num_inference_steps=1)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-reference")
    beats, mapper = write_weights(root / "weights")
    return {"base_model": str(write_base_model(root / "base")), "beats_weights": beats, "mapper_weights": mapper}


@pytest.fixture(scope="module")
def generator(tiny):
    return make_generator("reference", device="cpu", **tiny, **FAST)


def write_audio(path: Path, seconds: float, rate: int = 22050, channels: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    y = np.stack([0.3 * np.sin(2 * np.pi * (200 + 300 * c + 100 * seed) * t) + rng.normal(0, 0.05, t.size) for c in range(channels)], 1)
    sf.write(path, y.astype(np.float32), rate, subtype="FLOAT")
    return y.astype(np.float32)


def decode(path: Path) -> tuple[np.ndarray, Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
        return frames, stream.average_rate


def test_reference_is_a_registered_generator(generator):
    assert "reference" in generator_names()
    assert generator.output_spec == {"fps": 12, "frames": 24, "width": TINY_SIZE, "height": TINY_SIZE, "duration": 2.0}


def test_generation_writes_video_and_exact_audio(generator, tiny, tmp_path):
    source = write_audio(tmp_path / "in.wav", 2.6)
    item = BenchmarkItem("clip-1", tmp_path / "in.wav", duration=2.0, seed=5)
    sample = generator.generate(item, tmp_path / "out")
    assert sample.video_path == tmp_path / "out" / "clip-1.mp4"
    assert sample.audio_path == tmp_path / "out" / "clip-1.wav"
    frames, fps = decode(sample.video_path)
    assert frames.shape == (24, TINY_SIZE, TINY_SIZE, 3)
    assert fps == 12
    audio, rate = sf.read(sample.audio_path, dtype="float32")
    assert rate == 22050 and audio.shape == (44100, 2)
    np.testing.assert_array_equal(audio, source[:44100])
    meta = sample.meta
    assert meta["seed"] == 5 and meta["prompt"] == "<temp> <local1> <local2> <local3> <local4> <class>"
    assert meta["preset"]["fps"] == 12 and meta["preset"]["num_frames"] == 24
    expected_sha = hashlib.sha256(Path(tiny["mapper_weights"]).read_bytes()).hexdigest()
    assert meta["weights_sha256"]["tempotokens-mapper-vggsound"] == expected_sha


def test_seed_and_audio_decide_the_frames(generator, tmp_path):
    pipeline = generator._load()
    rate = 16000
    t = np.arange(2 * rate) / rate
    clicks = (np.random.default_rng(1).normal(0, 0.3, t.size) * (np.sin(2 * np.pi * 3 * t) > 0.9)).astype(np.float32)
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    prompt = generator.preset.prompt(None)
    a = pipeline.generate(clicks, prompt, seed=1)
    np.testing.assert_array_equal(a, pipeline.generate(clicks, prompt, seed=1))
    assert a.shape == (24, TINY_SIZE, TINY_SIZE, 3) and a.dtype == np.uint8
    # different audio, same seed: the audio tokens reach the UNet and change the frames
    assert np.abs(a.astype(int) - pipeline.generate(tone, prompt, seed=1)).sum() > 0
    assert np.abs(a.astype(int) - pipeline.generate(clicks, prompt, seed=2)).sum() > 0


def test_text_and_audio_prompts(generator, tmp_path):
    item = BenchmarkItem("x", Path("unused.wav"), duration=2.0, seed=0, label="dog barking")
    assert generator.prompt_for(item) == "<temp> <local1> <local2> <local3> <local4> <class>"
    joint = make_generator("reference", conditioning="text+audio", device="cpu")
    assert joint.prompt_for(item) == "a video of <temp> <local1> <local2> <local3> <local4> <class> dog barking"
    item_text = BenchmarkItem("x", Path("unused.wav"), duration=2.0, seed=0, text="rain on a roof", label="rain")
    assert joint.prompt_for(item_text).endswith("<class> rain on a roof")
    with pytest.raises(Exception, match="needs a text or a label"):
        joint.prompt_for(BenchmarkItem("x", Path("unused.wav"), duration=2.0, seed=0))


def test_conditioning_audio_cut_pad_and_errors(tmp_path):
    source = write_audio(tmp_path / "a.wav", 3.0, rate=8000, channels=1)
    cut = cut_conditioning_audio(tmp_path / "a.wav", start=0.5, seconds=2.0, max_pad=1 / 12)
    np.testing.assert_array_equal(cut.segment[0], source[4000:20000, 0])
    assert cut.padded_samples == 0 and cut.seconds == 2.0
    short = cut_conditioning_audio(tmp_path / "a.wav", start=1.05, seconds=2.0, max_pad=1 / 12)
    assert short.padded_samples == 400 and short.segment.shape == (1, 16000)
    assert not short.segment[0, -400:].any()
    with pytest.raises(InputError, match="needs 2 s"):
        cut_conditioning_audio(tmp_path / "a.wav", start=1.5, seconds=2.0, max_pad=1 / 12)
    # BEATs input: channel mean at 16 kHz
    t = np.arange(16000) / 8000
    tone = np.sin(2 * np.pi * 440 * t)
    sf.write(tmp_path / "b.wav", np.stack([tone + 0.2, tone - 0.2], 1).astype(np.float32), 8000, subtype="FLOAT")
    mono = cut_conditioning_audio(tmp_path / "b.wav", start=0.0, seconds=2.0, max_pad=0).mono(16000, "polyphase")
    assert mono.shape == (32000,) and mono.dtype == np.float32
    expected = np.sin(2 * np.pi * 440 * np.arange(32000) / 16000)
    np.testing.assert_allclose(mono[1000:-1000], expected[1000:-1000], atol=1e-2)


def test_generate_one_cli(tiny, tmp_path):
    write_audio(tmp_path / "song.wav", 2.0, rate=16000)
    out = tmp_path / "videos" / "song.mp4"
    done = run_installed([
        "generate-one", "--audio", str(tmp_path / "song.wav"), "--out", str(out), "--text", "a drum",
        "--base-model", tiny["base_model"], "--beats-weights", str(tiny["beats_weights"]),
        "--mapper-weights", str(tiny["mapper_weights"]), "--device", "cpu",
        "--width", str(TINY_SIZE), "--height", str(TINY_SIZE), "--steps", "1", "--seed", "3",
    ])
    assert done.returncode == 0, done.stderr
    frames, fps = decode(out)
    assert frames.shape[0] == 24 and fps == 12
    assert (out.parent / "song.wav").is_file()
    assert "<class> a drum" in done.stdout


def test_missing_weights_offline_give_one_line(tmp_path):
    write_audio(tmp_path / "song.wav", 2.0, rate=16000)
    done = run_installed(["generate-one", "--audio", str(tmp_path / "song.wav"), "--out", str(tmp_path / "v.mp4"),
                          "--offline"])
    code, err = done.returncode, done.stderr
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt" in err and "valle.blob.core.windows.net" in err
    assert "drive.google.com/drive/folders/10pRWoq0m5torvMXILmIQd7j9fLPEeHtS" in err
    assert "tempotokens/vggsound/learned_embeds.pth" in err
    # the tests' Hugging Face cache (conftest) is empty
    assert "base model 'cerspense/zeroscope_v2_576w'" in err and "hf download" in err


def test_upstream_dropout_option_reaches_the_mapper(generator):
    import torch

    from avbench.reference_model.pipeline import ReferencePipeline

    loaded = generator._load()
    noisy = ReferencePipeline(loaded.base, loaded.beats, loaded.mapper, generator.preset.with_overrides(upstream_dropout=True))
    wave = np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32)
    first = noisy.audio_tokens(wave, torch.Generator().manual_seed(1)).clip
    again = noisy.audio_tokens(wave, torch.Generator().manual_seed(1)).clip
    other = noisy.audio_tokens(wave, torch.Generator().manual_seed(2)).clip
    clean = loaded.audio_tokens(wave, torch.Generator().manual_seed(1)).clip
    assert torch.equal(first, again) and not torch.equal(first, other) and not torch.equal(first, clean)
    with pytest.raises(ValueError, match="needs a torch.Generator"):
        noisy.audio_tokens(wave)


def test_never_overwrites_the_input_audio(tmp_path):
    write_audio(tmp_path / "clip.wav", 2.0)
    before = (tmp_path / "clip.wav").read_bytes()
    unloaded = make_generator("reference", device="cpu")
    with pytest.raises(InputError, match="is where the generated files would be written"):
        unloaded.generate(BenchmarkItem("clip", tmp_path / "clip.wav", duration=2.0, seed=0), tmp_path)
    assert (tmp_path / "clip.wav").read_bytes() == before


def test_unknown_options_are_rejected():
    from avbench.metrics.errors import AvbenchError

    with pytest.raises(AvbenchError, match="unknown reference-model options: colour"):
        make_generator("reference", colour="red")
    with pytest.raises(AvbenchError, match="no TempoTokens mapper for dataset 'ucf'"):
        make_generator("reference", dataset="ucf")
