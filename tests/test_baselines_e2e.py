"""The TATS driver protocol end to end: `avbench generate --model tats` on a tiny custom
benchmark, through a real subprocess (our interpreter, the FAKE upstream checkout in
tests/fake_upstreams standing in for the model), device=cpu."""
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
import numpy as np
import soundfile as sf

from baselines.manifest import read_records
from benchmark.cli import main
from benchmark.media import probe, read_video_frames
from metrics.fileio import sha256_file

FAKE_TATS = Path(__file__).resolve().parent / "fake_upstreams" / "fake_tats_checkout"
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


def _git_checkout(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the fake checkout as its own git repository (one commit), and that commit."""
    checkout = tmp_path / "TATS"
    shutil.copytree(FAKE_TATS, checkout, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "fake"]):
        subprocess.run(git + args, check=True)
    return checkout, subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def test_tats_driver_end_to_end_through_the_cli(tmp_path, capsys):
    checkout, commit = _git_checkout(tmp_path)
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
