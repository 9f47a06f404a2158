"""CLIP preprocessing, features and score conventions against transformers' own processor and
forward pass on a tiny random CLIP."""
import numpy as np
import pytest
import torch

from avbench.metrics.clip_preprocessing import CLIPImageSpec, clip_pixel_values, resized_size
from avbench.metrics.clip_score import (
    PRESETS,
    CLIPSIM,
    CLIPScore,
    cosines,
    hessel_text,
    item_text,
    set_value,
)
from avbench.metrics.errors import InputError, WeightsError
from avbench.metrics.networks.clip import load_clip

SIZES = [(36, 64), (224, 227), (300, 401), (50, 30), (16, 16)]


def _hf_pil_processor():
    try:  # transformers >= 5: the PIL backend has its own class
        from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil as processor
    except ImportError:  # transformers 4: CLIPImageProcessor is the PIL one
        from transformers import CLIPImageProcessor as processor
    return processor()


def _frames(h, w, n=2, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def towers(tiny_clip_dir):
    return load_clip(str(tiny_clip_dir), offline=True)


@pytest.mark.parametrize("size", SIZES)
def test_hf_convention_equals_the_hf_processor(size):
    frames = _frames(*size)
    expected = _hf_pil_processor()(images=list(frames), return_tensors="pt")["pixel_values"]
    ours = clip_pixel_values(frames, CLIPImageSpec(convention="hf"))
    assert ours.shape == (2, 3, 224, 224)
    assert torch.equal(ours, expected)


def test_openai_crop_rounds_where_hf_floors():
    # 300x401 -> 224x299: 75 spare columns; HF crops at 75 // 2 = 37, torchvision at round(37.5) = 38
    assert resized_size(300, 401, 224) == (224, 299)
    frames = _frames(300, 401)
    hf = clip_pixel_values(frames, CLIPImageSpec(convention="hf"))
    openai = clip_pixel_values(frames, CLIPImageSpec(convention="openai"))
    assert torch.allclose(openai[..., :-1], hf[..., 1:], atol=1e-6)
    assert not torch.allclose(openai, hf, atol=1e-3)
    same = _frames(36, 64)  # 224x398: 174 spare columns, both crop at 87
    assert torch.allclose(clip_pixel_values(same, CLIPImageSpec(convention="openai")),
                          clip_pixel_values(same, CLIPImageSpec(convention="hf")), atol=1e-6)


def test_bad_frames_are_refused():
    with pytest.raises(InputError, match="uint8 RGB"):
        clip_pixel_values(np.zeros((1, 8, 8, 3), np.float32), source="x.mp4")


def test_features_equal_the_transformers_forward(towers):
    frames = _frames(240, 320, n=3)
    texts = ["a video of dog barking", "a video of rain"]
    pixel_values = _hf_pil_processor()(images=list(frames), return_tensors="pt")["pixel_values"]
    tokens = towers.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = towers.model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"],
                           pixel_values=pixel_values)
    images = towers.image_embeddings(clip_pixel_values(frames, CLIPImageSpec(convention="hf")))
    text = towers.text_embeddings(texts)
    torch.testing.assert_close(images / images.norm(dim=-1, keepdim=True), out.image_embeds, rtol=0, atol=1e-6)
    torch.testing.assert_close(text / text.norm(dim=-1, keepdim=True), out.text_embeds, rtol=0, atol=1e-6)
    cos = np.stack([cosines(images, text[j]) for j in range(2)], 1)
    np.testing.assert_allclose(cos, (out.logits_per_image / out.logits_per_image.new_tensor(towers.model.logit_scale.exp().item())).numpy(), atol=1e-6)


def test_clipsim_equals_a_direct_cosine(towers):
    clips = [_frames(64, 96, n=4, seed=1), _frames(64, 96, n=2, seed=2)]
    labels = ["dog barking", "playing drums"]
    metric = CLIPSIM("clipsim", towers=towers)
    for i, (frames, label) in enumerate(zip(clips, labels)):
        metric.update(frames, label=label, sample_id=f"v{i}")
    result = metric.compute()
    processor = _hf_pil_processor()
    direct = []
    for frames, label in zip(clips, labels):
        # CLIPSIM's OpenAI crop equals the HF one for 64x96 (224x336: 112 spare columns)
        pixel_values = processor(images=list(frames), return_tensors="pt")["pixel_values"]
        tokens = towers.tokenizer([f"a video of {label}"], return_tensors="pt")
        with torch.inference_mode():
            img = towers.model.visual_projection(towers.model.vision_model(pixel_values=pixel_values).pooler_output)
            txt = towers.model.text_projection(towers.model.text_model(**tokens).pooler_output)
        cos = torch.nn.functional.cosine_similarity(img.double(), txt.double(), dim=-1)
        direct.append(cos.mean().item())
    assert result.value == pytest.approx(np.mean(direct), abs=1e-6)
    assert result.details["value_x100"] == pytest.approx(100 * result.value)
    assert metric.sample_values()["v0"] == pytest.approx(direct[0], abs=1e-6)
    assert result.preset == "clipsim" and result.details["n_frames"] == 6 and metric.template == "a video of {label}"


def test_conventions_differ_as_specified():
    # sample A: one frame agrees (0.3), one disagrees (-0.2); sample B disagrees on both frames
    cos = [np.array([0.3, -0.2]), np.array([-0.1, -0.1])]
    assert set_value(cos, "hessel") == pytest.approx(2.5 * (0.3 + 0 + 0 + 0) / 4)  # clamp per frame
    assert set_value(cos, "torchmetrics") == 0.0  # mean 100*cos = -2.5, clamped after the mean
    assert set_value(cos, "clipsim") == pytest.approx(((0.3 - 0.2) / 2 + (-0.1 - 0.1) / 2) / 2)
    positive = [np.array([0.3, -0.1])]
    assert set_value(positive, "hessel") == pytest.approx(2.5 * 0.3 / 2)
    assert set_value(positive, "torchmetrics") == pytest.approx(100 * 0.1)


def test_texts_prefix_and_template():
    assert item_text("dog barking", None) == "a video of dog barking"
    assert item_text("dog", None, template="{label} sound") == "dog sound"
    assert item_text("dog", "a dog barks at the door") == "a dog barks at the door"
    assert hessel_text("a video of rain", PRESETS["clipscore/hessel"].text_prefix) == "A photo depicts a video of rain"
    assert hessel_text("a video of rain", "A photo depicts") == "A photo depicts a video of rain"
    assert hessel_text("x", "") == "x"
    with pytest.raises(InputError, match="no label"):
        item_text(None, None, source="v.mp4")


def test_presets_pin_models_and_conventions():
    assert PRESETS["clipsim"].model_id == "openai/clip-vit-base-patch32"
    assert PRESETS["clipscore/hessel"].model_id == "openai/clip-vit-base-patch32"
    assert PRESETS["clipscore/torchmetrics"].model_id == "openai/clip-vit-large-patch14"
    assert PRESETS["clipscore/torchmetrics"].image.convention == "hf"


def test_hessel_metric_uses_the_prefixed_text(towers):
    frames = _frames(64, 96, n=2, seed=3)
    metric = CLIPScore("clipscore/hessel", towers=towers)
    value = metric.update(frames, label="rain")
    img = towers.image_embeddings(clip_pixel_values(frames, CLIPImageSpec(convention="openai")))
    txt = towers.text_embeddings(["A photo depicts a video of rain"])[0]
    assert value == pytest.approx(float(np.mean(2.5 * np.clip(cosines(img, txt), 0, None))), abs=1e-12)


def test_merge_concatenates_samples(towers):
    a, b = CLIPSIM("clipsim", towers=towers), CLIPSIM("clipsim", towers=towers)
    a.update(_frames(32, 32, seed=4), label="a", sample_id="a")
    b.update(_frames(32, 32, seed=5), label="b", sample_id="b")
    whole = CLIPSIM("clipsim", towers=towers)
    whole.update(_frames(32, 32, seed=4), label="a", sample_id="a")
    whole.update(_frames(32, 32, seed=5), label="b", sample_id="b")
    assert a.merge(b).compute().value == whole.compute().value


def test_missing_model_offline_names_it_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(WeightsError) as err:
        load_clip("openai/clip-vit-base-patch32", offline=True)
    message = str(err.value)
    assert "'openai/clip-vit-base-patch32'" in message and "hf download openai/clip-vit-base-patch32" in message
    assert "local directory" in message
