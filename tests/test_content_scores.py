"""`avbench score-files --metrics is,isv,clipsim,clipscore,av-semantic` end to end on generated
videos with random-weight networks: the CLI's numbers equal the metric classes run directly on
the decoded media; missing weights give the URL/path message and a non-zero exit."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
import torch

import avbench.benchmark.cli as cli
from avbench.metrics.av_semantic import AVSemantic
from avbench.metrics.catalogue import make_metric, metric_names
from avbench.metrics.clip_score import CLIPSIM, CLIPScore
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.inception_score import ISScoring, InceptionScore, inception_score, softmax64
from avbench.metrics.media import read_audio, read_video_frames
from avbench.metrics.scoring import build_metrics
from avbench.metrics.networks import inception
from avbench.metrics.networks.clip import load_clip
from avbench.metrics.networks.loading import load_strict
from avbench.metrics.networks.wav2clip import wav2clip_from_checkpoint
from avbench.metrics.frames import transform_frames
from avbench.metrics.presets import TTUR_FRAMES
from random_networks import install_random_weights, write_wav2clip_checkpoint
from single_thread import one_thread  # noqa: F401  (module fixture)
from synthetic_sets import moving_pattern, tone, write_video

LABELS = {"clip0": "dog barking", "clip1": "rain", "clip2": "playing drums"}


@pytest.fixture(scope="module")
def env(tmp_path_factory, tiny_clip_dir):
    root = tmp_path_factory.mktemp("content")
    videos = root / "videos"
    for i, stem in enumerate(LABELS):
        write_video(videos / f"{stem}.mp4", moving_pattern(i, 10, 40, 56))
        soundfile.write(str(videos / f"{stem}.wav"), tone(i, 1.5, 0.0), 16000, subtype="PCM_16")
    write_video(videos / "nolabel.mp4", moving_pattern(9, 10, 40, 56))
    soundfile.write(str(videos / "nolabel.wav"), tone(9, 1.5, 0.0), 16000, subtype="PCM_16")
    (videos / "broken.mp4").write_bytes(b"\x00 not a video")
    labels = root / "labels.csv"
    labels.write_text("stem,label\n" + "".join(f"{k},{v}\n" for k, v in LABELS.items()))
    wav2clip = write_wav2clip_checkpoint(root / "wav2clip.pt")
    return SimpleNamespace(root=root, videos=videos, labels=labels, clip=str(tiny_clip_dir), wav2clip=wav2clip)


def test_missing_weights_name_url_and_path_and_exit_non_zero(env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AVBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    code = cli.main(["score-files", str(env.videos), "--metrics", "isv,clipsim,av-semantic", "--offline",
                     "--quiet", "--labels", str(env.labels)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "isv not computed" in out
    assert "https://github.com/rezoo/tgan2/releases/download/v1.0/conv3d_deepnetA_ucf.npz" in out
    assert str(tmp_path / "conv3d_deepnetA_ucf.npz") in out
    assert "'clip-vit-base-patch32' (Hugging Face model openai/clip-vit-base-patch32, revision main) not in " in out
    assert "avbench weights download clip-vit-base-patch32" in out
    assert "Traceback" not in out + err


def test_clip_and_av_scores_through_the_cli_equal_the_api(env, tmp_path, capsys):
    out_json = tmp_path / "out.json"
    code = cli.main(["score-files", str(env.videos), "--metrics", "clipsim,clipscore,av-semantic",
                     "--preset", "clipscore/hessel", "--preset", "clipscore/torchmetrics",
                     "--labels", str(env.labels), "--clip-model", env.clip, "--weights",
                     f"wav2clip={env.wav2clip}", "--quiet", "--json", str(out_json)])
    printed = capsys.readouterr().out
    assert code == 0
    for preset in ("clipsim", "clipscore/hessel", "clipscore/torchmetrics", "av-semantic/wav2clip"):
        assert f"[preset {preset} v1" in printed
    report = json.loads(out_json.read_text())
    by_preset = {r["preset"]: r for r in report["results"].values()}
    failed = {(f["sample_id"], f["stage"]) for f in report["failures"]}
    assert ("broken", "clipsim") in failed and ("nolabel", "clipsim") in failed
    assert ("nolabel", "av_semantic") not in failed  # needs no label

    towers = load_clip(env.clip, offline=True)
    wav2clip = wav2clip_from_checkpoint(torch.load(env.wav2clip, weights_only=True))
    direct = {p: (CLIPSIM if p == "clipsim" else CLIPScore)(p, towers=towers)
              for p in ("clipsim", "clipscore/hessel", "clipscore/torchmetrics")}
    av = AVSemantic(labels=list(LABELS.values()), towers=towers, audio_model=wav2clip)
    for stem, label in LABELS.items():
        frames = read_video_frames(env.videos / f"{stem}.mp4")
        for metric in direct.values():
            metric.update(frames, label=label, sample_id=stem)
        audio, rate = read_audio(env.videos / f"{stem}.wav")
        av.update(frames, audio, rate, label=label, sample_id=stem)
    frames = read_video_frames(env.videos / "nolabel.mp4")
    av.update(frames, *read_audio(env.videos / "nolabel.wav"), sample_id="nolabel")
    for preset, metric in direct.items():
        assert by_preset[preset]["value"] == pytest.approx(metric.compute().value, abs=1e-12)
        assert by_preset[preset]["n"] == 3
    expected = av.compute()
    assert by_preset["av-semantic/wav2clip"]["n"] == 4
    assert by_preset["av-semantic/wav2clip"]["value"] == pytest.approx(expected.value, abs=1e-12)
    assert by_preset["av-semantic/wav2clip"]["details"]["agreement"] == expected.details["agreement"]


def test_preset_selection_and_unknown_names():
    def chosen(names, presets=()):
        return {key: m.preset.name for key, m in build_metrics(names, presets).items()}

    assert chosen(["clipscore"]) == {"clipscore": "clipscore/hessel"}
    assert chosen(["clipscore"], ["clipscore/hessel", "clipscore/torchmetrics"]) == {
        "clipscore[clipscore/hessel]": "clipscore/hessel", "clipscore[clipscore/torchmetrics]": "clipscore/torchmetrics"}
    assert chosen(["clipscore", "isv"], ["clipscore/torchmetrics", "isv/tgan"]) == {
        "clipscore": "clipscore/torchmetrics", "isv": "isv/tgan"}
    with pytest.raises(InputError, match="isv/tgan"):
        chosen(["clipsim"], ["isv/tgan"])
    assert {"is", "isv", "clipsim", "clipscore", "av_semantic"} <= set(metric_names())


def test_metric_options_reach_the_metric_or_are_refused():
    """`score_folders`' options: per metric, in either spelling; nothing left out silently."""
    built = build_metrics(["av-align", "clipscore"], options={"av-align": {"fps": 12}, "clipscore": {"seed": 3}},
                          template="a {label} clip")
    assert (built["av_align"].fps, built["clipscore"].seed, built["clipscore"].template) == (12, 3, "a {label} clip")
    assert build_metrics(["clipscore"], options={"clipscore": {"template": "mine"}})["clipscore"].template == "mine"
    for names, options, message in [
            (["av_align"], {"av_allign": {"fps": 12}}, "options for unknown metric 'av_allign'; known: "),
            (["av_align"], {"fvd": {"batch_size": 2}}, "options for metric fvd, which is not among the metrics av_align:"),
            (["av_align"], {"fps": 12}, "metric option fps=12 is not METRIC.KEY=VALUE"),
            (["av_align"], {"av_align": {"fsp": 12}}, "metric av_align: unknown option 'fsp'; its options: batch_size, "
                                                      "device, flow, flow_device, fps, n_resamples, preset, seed, "
                                                      "strict, time_axis, "
                                                      "weights"),
            (["av_align"], {"av_align": {"fps": 12}, "av-align": {"fps": 24}}, "metric av_align: option 'fps' given twice"),
            (["fvd"], {"fvd": {"preset": "fvd/videogpt"}}, "metric fvd: a preset is chosen with --preset")]:
        with pytest.raises(AvbenchError) as raised:
            build_metrics(names, options=options)
        assert str(raised.value).startswith(message), str(raised.value)
    with pytest.raises(AvbenchError) as raised:  # the same check in the one constructor every front end calls
        make_metric("av_align", "calibrated", fsp=12, device="cpu", batch_size=2, weights={})
    assert str(raised.value).startswith("metric av_align: unknown option 'fsp'; its options: ")


def test_frame_is_end_to_end_equals_the_network_on_every_frame(env, tmp_path, monkeypatch, capsys):
    paths = install_random_weights(monkeypatch, tmp_path / "w", ("inception-torch-fidelity",))
    video = env.videos / "clip0.mp4"
    metric = InceptionScore("is/openai")
    metric.update(read_video_frames(video), source=str(video))  # 10 frames, one IS sample each
    network = load_strict(inception.InceptionV3TF(), torch.load(paths["inception-torch-fidelity"], weights_only=True), "random")
    with torch.inference_mode():  # an independent forward pass on the first frames
        logits = network(transform_frames(read_video_frames(video, limit=3), TTUR_FRAMES))["logits_unbiased"]
    np.testing.assert_allclose(metric.logits()[:3], logits.numpy(), rtol=1e-5, atol=1e-5)
    result = metric.compute()
    assert result.details["n_scored"] == 10 and result.details["split_sizes"] == [1] * 10
    assert result.value == pytest.approx(inception_score(softmax64(metric.logits()), ISScoring(splits=10)).mean, rel=1e-12)
    assert result.weights_sha256["inception-torch-fidelity"]
    assert "[preset is/openai v1" in str(result)
