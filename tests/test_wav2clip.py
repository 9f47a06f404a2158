"""Wav2CLIP (key layout, frontend, checkpoint mapping) and the audio-visual CLIP-space score."""
import numpy as np
import pytest
import torch

from avbench.metrics.av_semantic import AVSemantic, mono_16k
from avbench.metrics.clip_preprocessing import CLIPImageSpec, clip_pixel_values
from avbench.metrics.errors import InputError, WeightsError
from avbench.metrics.networks.clip import load_clip
from avbench.metrics.networks.wav2clip import Wav2CLIP, wav2clip_from_checkpoint
from random_networks import upstream_wav2clip_checkpoint


def _upstream_keys():
    """lyrebird-wav2clip's ResNet (torchvision ResNet-18 names, 1 input channel, no fc) + MLP."""
    keys = {"audio_encoder.spectrogram.window": (512,), "audio_encoder.conv1.weight": (64, 1, 7, 7)}

    def bn(prefix, c):
        keys.update({f"{prefix}.weight": (c,), f"{prefix}.bias": (c,), f"{prefix}.running_mean": (c,),
                     f"{prefix}.running_var": (c,), f"{prefix}.num_batches_tracked": ()})

    bn("audio_encoder.bn1", 64)
    c_in = 64
    for layer, width in enumerate((64, 128, 256, 512), start=1):
        for block in (0, 1):
            p = f"audio_encoder.layer{layer}.{block}"
            first_in = c_in if block == 0 else width
            keys[f"{p}.conv1.weight"] = (width, first_in, 3, 3)
            bn(f"{p}.bn1", width)
            keys[f"{p}.conv2.weight"] = (width, width, 3, 3)
            bn(f"{p}.bn2", width)
            if block == 0 and layer > 1:
                keys[f"{p}.downsample.0.weight"] = (width, c_in, 1, 1)
                bn(f"{p}.downsample.1", width)
        c_in = width
    for i in (0, 3):
        keys[f"audio_transform.sequential.{i}.weight"] = (512, 512)
        keys[f"audio_transform.sequential.{i}.bias"] = (512,)
    return keys


@pytest.fixture(scope="module")
def wav2clip():
    torch.manual_seed(0)
    model = Wav2CLIP().eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model


def test_key_names_and_shapes_match_upstream(wav2clip):
    checkpoint = upstream_wav2clip_checkpoint(wav2clip)
    checkpoint.pop("loss_fn_i.logit_scale")
    assert {k: tuple(v.shape) for k, v in checkpoint.items()} == _upstream_keys()


def test_upstream_checkpoint_loads_strictly(wav2clip):
    loaded = wav2clip_from_checkpoint(upstream_wav2clip_checkpoint(wav2clip))
    x = torch.randn(1, 8000)
    with torch.inference_mode():
        torch.testing.assert_close(loaded(x), wav2clip(x), rtol=0, atol=0)
    with pytest.raises(WeightsError, match="not a Wav2CLIP checkpoint"):
        wav2clip_from_checkpoint({"conv1.weight": torch.zeros(1)})


def _numpy_log_spectrogram(x: np.ndarray) -> np.ndarray:
    """torchaudio Spectrogram(n_fft=512, hop_length=353) defaults, then Wav2CLIP's log and standardisation."""
    padded = np.pad(x.astype(np.float64), 256, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(512) / 512)  # periodic Hann
    n_frames = 1 + (len(padded) - 512) // 353
    frames = np.stack([padded[i * 353:i * 353 + 512] * window for i in range(n_frames)], axis=1)
    power = np.abs(np.fft.rfft(frames, axis=0)) ** 2
    logs = np.log(power + 1e-7)
    return (logs - logs.mean()) / (logs.std(ddof=1) + 1e-9)


@pytest.mark.parametrize("n", [16000, 5000, 12345])
def test_frontend_shapes_and_values(wav2clip, n):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 0.2
    spec = wav2clip.encoder.log_spectrogram(torch.from_numpy(x)[None])
    assert spec.shape == (1, 1, 257, 1 + n // 353)
    np.testing.assert_allclose(spec[0, 0].numpy(), _numpy_log_spectrogram(x), rtol=0, atol=2e-4)
    with torch.inference_mode():
        assert wav2clip(torch.from_numpy(x)[None]).shape == (1, 512)


def test_each_clip_is_standardised_alone(wav2clip):
    x = torch.randn(2, 4000) * torch.tensor([[0.1], [1.0]])
    with torch.inference_mode():
        batch = wav2clip(x)
        torch.testing.assert_close(batch[1:], wav2clip(x[1:]), rtol=0, atol=0)


def test_mono_16k_mixes_and_resamples():
    stereo = np.stack([np.ones(48000), -np.ones(48000) * 0.5], axis=1).astype(np.float32)
    mono = mono_16k(stereo, 48000)
    assert mono.shape == (16000,) and mono.dtype == np.float32
    assert np.allclose(mono[100:-100], 0.25, atol=1e-3)
    with pytest.raises(InputError):
        mono_16k(np.zeros((2, 2, 2)), 16000, source="a.wav")


def test_av_semantic_equals_a_direct_computation(tiny_clip_dir, wav2clip):
    towers = load_clip(str(tiny_clip_dir), offline=True)
    labels = ["dog barking", "rain", "drums"]
    metric = AVSemantic(labels=labels, towers=towers, audio_model=wav2clip)
    rng = np.random.default_rng(0)
    items = [(rng.integers(0, 256, (3, 48, 64, 3), dtype=np.uint8), rng.standard_normal(8000).astype(np.float32) * 0.1, "rain"),
             (rng.integers(0, 256, (2, 48, 64, 3), dtype=np.uint8), rng.standard_normal(24000).astype(np.float32) * 0.1, "drums")]
    for i, (frames, audio, label) in enumerate(items):
        metric.update(frames, audio, 16000, label=label, sample_id=f"s{i}")
    result = metric.compute()
    text = towers.text_embeddings([f"a video of {label}" for label in labels]).double()
    text = text / text.norm(dim=-1, keepdim=True)
    values, agree, audio_hits, video_hits = [], [], [], []
    for frames, audio, label in items:
        with torch.inference_mode():
            a = wav2clip(torch.from_numpy(audio)[None])[0].double()
        f = towers.image_embeddings(clip_pixel_values(frames, CLIPImageSpec(convention="openai"))).double()
        f = f / f.norm(dim=-1, keepdim=True)
        a = a / a.norm()
        values.append((f @ a).mean().item())
        video_mean = f.mean(0)
        audio_class = int(torch.argmax(text @ a))
        video_class = int(torch.argmax(text @ (video_mean / video_mean.norm())))
        agree.append(audio_class == video_class)
        audio_hits.append(audio_class == labels.index(label))
        video_hits.append(video_class == labels.index(label))
    assert result.value == pytest.approx(np.mean(values), abs=1e-9)
    assert result.details["agreement"] == np.mean(agree)
    assert result.details["audio_accuracy"] == np.mean(audio_hits)
    assert result.details["video_accuracy"] == np.mean(video_hits)
    assert result.preset == "av-semantic/wav2clip" and result.details["n_classes"] == 3
