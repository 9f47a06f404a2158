"""The driver protocols end to end: `avbench generate --model tats|mm-diffusion` on tiny custom
benchmarks, through a real subprocess (our interpreter, the FAKE upstream checkouts in
tests/fake_upstreams standing in for the models), device=cpu."""
from __future__ import annotations

import csv
import json
import pickle
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import soundfile as sf
import torch

from avbench.baselines.manifest import read_records
from avbench.benchmark.cli import main
from avbench.metrics.media import probe, read_video_frames
from avbench.metrics.fileio import sha256_file

FAKE_TATS = Path(__file__).resolve().parent / "fake_upstreams" / "fake_tats_checkout"
FAKE_MM = Path(__file__).resolve().parent / "fake_upstreams" / "fake_mm_diffusion_checkout"
FPS = Fraction(30000, 1001)
RATE = 22050


def _drum_clip(root: Path, item_id: str, seed: int) -> None:
    """An AudioSet_Drums-like item: stft/test/<id>.pickle (90, 45, 17), video/test/<id>.mp4
    (90 frames at 29.97 fps), and the benchmark's audio/<id>.wav (stereo, 3.5 s at 22.05 kHz)."""
    rng = np.random.default_rng(seed)
    for sub in ("stft/test", "video/test", "audio"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with open(root / "stft" / "test" / f"{item_id}.pickle", "wb") as fh:
        pickle.dump(rng.random((90, 45, 17)).astype(np.float64), fh)
    with av.open(str(root / "video" / "test" / f"{item_id}.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for k in range(90):
            frame = np.full((48, 64, 3), (k * 3 + seed * 40) % 256, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    sf.write(root / "audio" / f"{item_id}.wav", rng.uniform(-0.5, 0.5, (int(3.5 * RATE), 2)), RATE, subtype="PCM_16")


def _git_checkout(fake: Path, checkout: Path) -> tuple[Path, str]:
    """A copy of a fake checkout as its own git repository (one commit), and that commit."""
    shutil.copytree(fake, checkout, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "fake"]):
        subprocess.run(git + args, check=True)
    return checkout, subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def test_tats_driver_end_to_end_through_the_cli(tmp_path, capsys):
    checkout, commit = _git_checkout(FAKE_TATS, tmp_path / "TATS")
    data = tmp_path / "AudioSet_Dataset"
    for k, item_id in enumerate(("101", "102", "103")):
        _drum_clip(data, item_id, k)
    (data / "stft" / "test" / "103.pickle").write_bytes(b"not a pickle")  # this item must fail alone
    items = tmp_path / "items.csv"
    with open(items, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item_id", "video_path", "audio_path", "start"])
        writer.writerow(["101", "", str(data / "audio" / "101.wav"), "0"])
        writer.writerow(["102", "", str(data / "audio" / "102.wav"), "1.0"])
        writer.writerow(["103", "", str(data / "audio" / "103.wav"), "0"])
    ckpts = {}
    for role in ("gpt", "vqgan", "stft_vqgan"):
        ckpts[role] = tmp_path / f"{role}.ckpt"
        ckpts[role].write_bytes(role.encode() * 100)
    out = tmp_path / "gen"
    options = [f"checkout={checkout}", f"python={sys.executable}", "device=cpu", f"stft_root={data / 'stft'}",
               *(f"{role}_ckpt={path}" for role, path in ckpts.items()), f"gpt_sha256={sha256_file(ckpts['gpt'])}"]
    argv = ["generate", "--model", "tats", "--benchmark", "custom", "--items", str(items), "--out", str(out), "--quiet"]
    for option in options:
        argv += ["--option", option]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "2 generated" in captured.out and "1 failed" in captured.out
    assert "failed: 103" in captured.err

    records = {r["item_id"]: r for r in read_records(out)}
    assert records["103"]["status"] == "failed" and "UnpicklingError" in records["103"]["error"]
    for item_id, start_s in (("101", 0.0), ("102", 1.0)):
        rec = records[item_id]
        start_frame = round(start_s * FPS)  # clip_start=item: the item's start on the source's frames
        assert rec["status"] == "ok" and rec["pairing"] == "exact" and rec["mode"] == "driver"
        assert rec["extra"]["start_frame"] == start_frame
        assert rec["fps"] == "30000/1001" and (rec["n_frames"], rec["height"], rec["width"]) == (16, 96, 96)
        assert rec["checkpoint_sha256"] == {role: sha256_file(p) for role, p in ckpts.items()}
        assert rec["checkpoint_verified"] == {"gpt": True, "vqgan": False, "stft_vqgan": False}
        assert rec["argv"][0] == sys.executable and rec["argv"][1].endswith("baselines/drivers/tats_driver.py")
        assert rec["argv"][2].endswith("job.json") and rec["seed"] is not None
        assert rec["upstream_commit"] == commit and rec["upstream_dirty"] is False
        assert abs(rec["audio_offset_s"] - start_frame / float(FPS)) < 1e-12
        assert abs(rec["audio_duration_s"] - 16 / float(FPS)) < 1e-12

        info = probe(out / f"{item_id}.mp4")
        assert info.fps_rational == "30000/1001" and info.n_frames == 16 and (info.width, info.height) == (96, 96)
        assert info.video_codec == "h264"
        # The wav is the original audio of [start_frame/fps, (start_frame+16)/fps), all channels.
        original, rate = sf.read(data / "audio" / f"{item_id}.wav", dtype="float32")
        first = int(round(start_frame / FPS * rate))
        expected = original[first:first + int(round(16 / FPS * rate))]
        written, written_rate = sf.read(out / f"{item_id}.wav", dtype="float32")
        assert written_rate == rate and np.array_equal(written, expected)

    # The fake model's frames depend on the seed and on the conditioning: the two items differ.
    a, b = (read_video_frames(out / f"{i}.mp4") for i in ("101", "102"))
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 5
    job = json.loads(next((out / "_work").glob("tats-*/job.json")).read_text())
    assert job["settings"]["top_k"] == 2048 and job["settings"]["top_p"] == 0.92 and job["settings"]["temperature"] == 1.0
    assert [i["start_frame"] for i in job["items"]] == [0, 30, 0]

    # A rerun skips what is done and retries only the failed item.
    assert main(argv) == 0
    assert "2 already present, 1 failed" in capsys.readouterr().out



def _envelope(t: np.ndarray) -> np.ndarray:
    return 0.25 + 0.15 * np.sin(2 * np.pi * 0.7 * t)


def _mm_fake_frames(cond: np.ndarray, noise_video: np.ndarray, gain: float) -> np.ndarray:
    """What the fake base model makes (its docstring's formula, in float64): (16, 3, 64, 64)."""
    level = 4 * np.sqrt((cond.reshape(16, -1).astype(np.float64) ** 2).mean(1)) - 1
    ramp = np.linspace(-0.25, 0.25, 64)
    video = gain * level[:, None, None, None] + 0.3 * noise_video[0, :, :, :1, :1] \
        + (np.arange(3) - 1.0)[None, :, None, None] * ramp
    return np.broadcast_to(video, (16, 3, 64, 64))


def _as_uint8(x: np.ndarray) -> np.ndarray:
    """(F, C, H, W) -> (F, H, W, C) uint8: clamp to [0, 255] after (x + 1) * 127.5, then truncate."""
    return np.clip((x + 1) * 127.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)


def test_mm_diffusion_driver_end_to_end_through_the_cli(tmp_path, capsys, monkeypatch):
    checkout, commit = _git_checkout(FAKE_MM, tmp_path / "MM-Diffusion")
    audio = tmp_path / "audio"
    audio.mkdir()
    rng = np.random.default_rng(5)
    # m1: mono at 16 kHz (no resampling: the conditioning must be the samples themselves)
    mono = (rng.uniform(-1, 1, 3 * 16000) * _envelope(np.arange(3 * 16000) / 16000)).astype(np.float32)
    sf.write(audio / "m1.wav", mono, 16000, subtype="PCM_16")
    # s1: stereo at 48 kHz, channel 0 a 440 Hz tone under a slow envelope, channel 1 another tone
    t = np.arange(3 * 48000) / 48000
    sf.write(audio / "s1.wav", np.stack([_envelope(t) * np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 3000 * t)], 1),
             48000, subtype="PCM_16")
    sf.write(audio / "bad.wav", rng.uniform(-0.5, 0.5, (3 * 16000, 2)), 16000, subtype="PCM_16")
    starts = {"m1": 0.5, "s1": 1.0, "bad": 5.0}  # bad starts past the end of its 3 s: it must fail alone
    items = tmp_path / "items.csv"
    items.write_text("item_id,video_path,audio_path,start\n"
                     + "".join(f"{i},,{audio / i}.wav,{s}\n" for i, s in starts.items()))
    gains = {"base": 0.8, "sr": 0.9}
    ckpts = {role: tmp_path / f"{role}.pt" for role in gains}
    for role, path in ckpts.items():
        torch.save({"gain": torch.tensor([gains[role]])}, path)
    dump = tmp_path / "dump"
    dump.mkdir()
    monkeypatch.setenv("FAKE_MM_DIFFUSION_DUMP", str(dump))
    out = tmp_path / "gen"
    options = [f"checkout={checkout}", f"python={sys.executable}", "device=cpu", "allow_mono=true",
               f"base_ckpt={ckpts['base']}", f"sr_ckpt={ckpts['sr']}", f"base_sha256={sha256_file(ckpts['base'])}"]
    argv = ["generate", "--model", "mm-diffusion", "--benchmark", "custom", "--items", str(items), "--out", str(out),
            "--quiet"]
    for option in options:
        argv += ["--option", option]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "2 generated" in captured.out and "1 failed" in captured.out and "failed: bad" in captured.err

    records = {r["item_id"]: r for r in read_records(out)}
    assert records["bad"]["status"] == "failed" and "past the end of the audio (3 s)" in records["bad"]["error"]
    # The driver ran once, on the two good items in id order; the fake saved each call.
    base_calls = [dict(np.load(p)) for p in sorted(dump.glob("base_*.npz"))]
    sr_calls = [dict(np.load(p)) for p in sorted(dump.glob("sr_*.npz"))]
    assert len(base_calls) == len(sr_calls) == 2
    frames = {}
    for item_id, base, sr in zip(("m1", "s1"), base_calls, sr_calls):
        rec, start = records[item_id], starts[item_id]
        assert rec["status"] == "ok" and rec["pairing"] == "exact" and rec["mode"] == "driver"
        assert (rec["audio_offset_s"], rec["audio_duration_s"], rec["fps"]) == (start, 1.6, "10/1")
        assert (rec["n_frames"], rec["height"], rec["width"]) == (16, 256, 256)
        assert rec["checkpoint_sha256"] == {role: sha256_file(p) for role, p in ckpts.items()}
        assert rec["checkpoint_verified"] == {"base": True, "sr": False}
        assert rec["upstream_commit"] == commit and rec["upstream_dirty"] is False
        assert rec["argv"][0] == sys.executable and rec["argv"][1].endswith("baselines/drivers/mm_diffusion_driver.py")
        assert rec["extra"]["sample_output"] == "sr (256x256)" and rec["extra"]["paper_setting"] is True
        assert rec["extra"]["variant"] == str(out / "variants" / "64x64" / f"{item_id}.mp4")
        assert "--classifier_scale" in rec["extra"]["flags"]

        # The conditioning: channel 0 of [start, start + 1.6 s) at 16 kHz, (1, 1, 25600), float64 as upstream's.
        cond = base["condition"]
        assert cond.shape == (1, 1, 25600) and cond.dtype == np.float64
        if item_id == "m1":
            original, _ = sf.read(audio / "m1.wav", dtype="float32")
            assert np.array_equal(cond[0, 0], original[8000:8000 + 25600])
        else:  # resampled from 48 kHz: the tone itself, away from the segment's edges
            n = np.arange(25600) / 16000 + start
            expected = _envelope(n) * np.sin(2 * np.pi * 440 * n)
            assert np.abs(cond[0, 0, 400:-400] - expected[400:-400]).max() < 2e-3
        # The sampler settings of the script, and the seed recorded in the manifest honoured.
        assert (base["use_fp16"], base["clip_denoised"], base["class_scale"], str(base["device"])) == (True, True, 3.0, "cpu")
        assert (base["model_fp16"], base["model_training"], base["num_timesteps"]) == (True, False, 1000)
        assert base["video_requires_grad"] and base["other_model_kwargs"].size == 0
        torch.manual_seed(rec["seed"])
        noise_video, noise_audio = torch.randn(1, 16, 3, 64, 64), torch.randn(1, 1, 25600)
        sr_noise = torch.randn(1, 3, 256, 256).numpy()
        assert np.array_equal(base["noise_video"], noise_video.numpy()) and np.array_equal(base["noise_audio"], noise_audio.numpy())
        video = _mm_fake_frames(cond[0, 0], base["noise_video"], gains["base"])
        assert np.allclose(base["video"][0], video, atol=1e-5)
        # SR: the 16 frames as a batch of 16, the same noise draw for every frame, ddim25.
        assert tuple(sr["shape"]) == (16, 3, 256, 256) and np.allclose(sr["low_res"], video, atol=1e-5)
        assert all(np.array_equal(sr["noise"][k], sr_noise[0]) for k in range(16))
        assert (sr["clip_denoised"], sr["eta"], sr["model_fp16"], sr["num_timesteps"]) == (True, 0.0, True, 25)
        up = np.stack([cv2.resize(f.transpose(1, 2, 0).astype(np.float32), (256, 256), interpolation=cv2.INTER_LINEAR)
                       for f in video]).transpose(0, 3, 1, 2)
        upsampled = gains["sr"] * up + 0.1 * sr_noise[0, :, :1, :1]
        assert np.allclose(sr["sample"], upsampled, atol=1e-4)

        # The files: H.264, 16 frames at exactly 10/1, 256x256 (64x64 kept as the variant), the
        # pixels the fake made (within codec tolerance), the wav the original segment.
        for path, size, expected in ((out / f"{item_id}.mp4", 256, upsampled),
                                     (out / "variants" / "64x64" / f"{item_id}.mp4", 64, video)):
            info = probe(path)
            assert (info.video_codec, info.fps_rational, info.n_frames, info.width, info.height) == ("h264", "10/1", 16, size, size)
            decoded = read_video_frames(path).astype(int)
            diff = np.abs(decoded - _as_uint8(expected).astype(int))
            assert diff.mean() < 1.5 and np.percentile(diff, 99) <= 6
        frames[item_id] = read_video_frames(out / f"{item_id}.mp4")
        original, rate = sf.read(audio / f"{item_id}.wav", dtype="float32")
        written, written_rate = sf.read(out / f"{item_id}.wav", dtype="float32")
        first = int(round(start * rate))
        assert written_rate == rate and np.array_equal(written, original[first:first + int(round(1.6 * rate))])
    assert np.abs(frames["m1"].astype(int) - frames["s1"].astype(int)).mean() > 5

    # A rerun skips what is done and retries only the failed item (which fails again, before the driver).
    assert main(argv) == 0
    assert "2 already present, 1 failed" in capsys.readouterr().out
    assert len(list(dump.glob("base_*.npz"))) == 2

def test_preflight_verb_lists_every_problem(tmp_path, capsys):
    items = tmp_path / "items.csv"
    items.write_text("item_id,video_path,audio_path\n1,,missing.wav\n")
    argv = ["preflight", "--model", "tats", "--benchmark", "custom", "--items", str(items), "--out", str(tmp_path / "o"),
            "--option", f"checkout={FAKE_TATS}", "--option", f"python={sys.executable}", "--option", "device=cpu",
            "--option", f"stft_root={tmp_path}", "--option", f"gpt_ckpt={tmp_path / 'g'}",
            "--option", f"vqgan_ckpt={tmp_path / 'v'}", "--option", f"stft_vqgan_ckpt={tmp_path / 's'}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tats preflight found 6 problem(s)" in err
    assert f"{tmp_path / 'g'}: gpt checkpoint does not exist" in err and "missing.wav: no such file" in err
    assert main(["preflight", "--model", "real", "--benchmark", "custom", "--items", str(items), "--out", "x"]) == 0
