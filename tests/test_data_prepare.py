"""`avbench data prepare|layout|ids` and `validate` on a data root, run as a user runs them: the
installed `avbench` in a fresh interpreter, on generated "downloads" named by fake YouTube ids,
through the real VGGSound definition (its layout, sources and protocol) restricted by `--items`.

The cut is checked against the sources themselves: the prepared video's visual events (texture
jumps) sit at the source's event frames less the start, and the prepared audio's clicks at the
times the source's own decoded track has them, less the start."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from avbench.benchmark.definition import DEFINITIONS
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from harness_support import run_installed
from malformed_support import assert_clear_error

FPS = 10
EVENTS = (5, 17, 33, 45)  # visual event frames of the long source (6 s)
RATE = 22050  # the sources' audio rate, which the prepared wavs keep
HEADER = "item_id,ytid,yt_start,yt_end\n"


def source_clip(name: str, frames: int, seed: int = 0) -> SyntheticClip:
    return SyntheticClip(name=name, fps=Fraction(FPS), n_frames=frames, width=64, height=48, seed=seed,
                         event_frames=tuple(e for e in EVENTS if e < frames - 2), audio_in_container=True,
                         sample_rate=22050)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """`aaaaaaaaaaa.mp4` (6 s), `bbbbbbbbbbb.mp4` (3 s), a clip already cut and named by its item
    id (in a subfolder, as an archive holds it), and a damaged file, all with audio in the container."""
    folder = tmp_path_factory.mktemp("downloads")
    write_clip(source_clip("aaaaaaaaaaa", 60), folder)
    write_clip(source_clip("bbbbbbbbbbb", 30, seed=1), folder)
    write_clip(source_clip("eeeeeeeeeee_4000_6500", 25, seed=2), folder / "cut")
    (folder / "ggggggggggg.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    return folder


def items_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def events(video: Path) -> list[int]:
    """Frames whose texture jumped from the frame before (mean absolute change far above coding noise)."""
    with av.open(str(video)) as container:
        frames = np.stack([f.to_ndarray(format="gray").astype(float) for f in container.decode(video=0)])
    change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    return [int(i) + 1 for i in np.flatnonzero(change > 8 * np.median(change) + 1)]


def clicks(samples: np.ndarray, rate: int) -> np.ndarray:
    """Onset times (s) of the clicks: first sample above a tenth of the peak after 0.2 s of quiet."""
    loud = np.flatnonzero(np.abs(samples) > 0.1 * np.abs(samples).max())
    return loud[np.insert(np.diff(loud) > 0.2 * rate, 0, True)] / rate


def track(path: Path) -> tuple[np.ndarray, int]:
    """A container's first audio track, mono, at its own rate, as its timestamps place it."""
    with av.open(str(path)) as container:
        frames = list(container.decode(audio=0))
    assert frames[0].pts == 0
    return np.concatenate([f.to_ndarray().mean(axis=0) for f in frames]), frames[0].sample_rate


def prepare(root: Path, items: Path, sources: Path) -> subprocess.CompletedProcess:
    return run_installed(["data", "prepare", "vggsound", "--items", str(items), "--source", str(sources),
                          "--root", str(root), "--quiet"])


def test_prepare_cuts_reports_skips_and_validates(sources, tmp_path):
    items = items_csv(tmp_path / "items.csv", [
        "aaaaaaaaaaa_1000_3500,aaaaaaaaaaa,1.0,3.5",  # cut from the 6-s video
        "bbbbbbbbbbb_2000_4500,bbbbbbbbbbb,2.0,4.5",  # the video lasts 3 s: too short
        "ccccccccccc_0_2500,ccccccccccc,0.0,2.5",  # never downloaded
        "eeeeeeeeeee_4000_6500,eeeeeeeeeee,4.0,6.5",  # already cut, named by item id
        "ggggggggggg_0_2500,ggggggggggg,0.0,2.5",  # damaged
    ])
    root = tmp_path / "root"
    done = prepare(root, items, sources)
    assert done.returncode == 1, done.stderr
    assert "5 items in" in done.stdout and "2 ready (2 written, 0 already there), 3 missing" in done.stdout
    with open(root / "missing.csv", newline="") as fh:
        missing = {r["item_id"]: r for r in csv.DictReader(fh)}
    assert {k: r["reason"] for k, r in missing.items()} == {
        "bbbbbbbbbbb_2000_4500": "too short", "ccccccccccc_0_2500": "absent", "ggggggggggg_0_2500": "unreadable"}
    assert "bbbbbbbbbbb.mp4" in missing["bbbbbbbbbbb_2000_4500"]["detail"]
    assert missing["ccccccccccc_0_2500"]["url"] == "https://www.youtube.com/watch?v=ccccccccccc"

    video, audio = root / "video" / "aaaaaaaaaaa_1000_3500.mp4", root / "audio" / "aaaaaaaaaaa_1000_3500.wav"
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == FPS and stream.frames == 25  # frames at [1.0, 3.5) s of a 10 fps source
    assert events(video) == [e - FPS for e in EVENTS if FPS <= e < 35]
    samples, rate = sf.read(audio)
    info = sf.info(audio)
    assert (rate, info.channels, info.subtype, samples.shape[0]) == (RATE, 1, "PCM_16", int(2.5 * RATE))
    source, source_rate = track(sources / "aaaaaaaaaaa.mp4")
    assert source_rate == RATE  # not resampled: the segment's samples, 16-bit
    assert np.abs(samples - source[RATE:RATE + samples.shape[0]]).max() <= 1 / 32768 + 1e-6
    expected = [t - 1.0 for t in clicks(source, source_rate) if 1.0 <= t < 3.5]
    assert len(expected) == 2 and np.allclose(clicks(samples, rate), expected, atol=1e-3)

    cut = root / "video" / "eeeeeeeeeee_4000_6500.mp4"  # already the segment: the source's own file
    assert cut.read_bytes() == (sources / "cut" / "eeeeeeeeeee_4000_6500.mp4").read_bytes()
    assert sf.info(root / "audio" / "eeeeeeeeeee_4000_6500.wav").samplerate == RATE

    ready = items_csv(tmp_path / "ready.csv", ["aaaaaaaaaaa_1000_3500,aaaaaaaaaaa,1.0,3.5",
                                               "eeeeeeeeeee_4000_6500,eeeeeeeeeee,4.0,6.5"])
    checked = run_installed(["validate", "--benchmark", "vggsound", "--items", str(ready), "--data-root", str(root),
                             "--quiet"])
    assert checked.returncode == 0 and "2 items checked, 2 ok" in checked.stdout, (checked.stdout, checked.stderr)

    written = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.suffix in (".mp4", ".wav")}
    again = prepare(root, items, sources)
    assert again.returncode == 1 and "2 ready (0 written, 2 already there), 3 missing" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.suffix in (".mp4", ".wav")} == written


def test_killed_prepare_resumes(sources, tmp_path):
    starts = (0, 1, 2, 3)
    items = items_csv(tmp_path / "items.csv", [f"aaaaaaaaaaa_{s}000_{s + 2}500,aaaaaaaaaaa,{s},{s + 2.5}" for s in starts])
    root = tmp_path / "root"
    argv = ["avbench", "data", "prepare", "vggsound", "--items", str(items), "--source", str(sources),
            "--root", str(root), "--quiet"]
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(root.glob("video/*.mp4")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / "missing.csv").exists()  # killed mid-way
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.suffix in (".mp4", ".wav")}

    done = prepare(root, items, sources)
    assert done.returncode == 0 and "4 ready" in done.stdout and "0 missing" in done.stdout, done.stdout
    files = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.suffix in (".mp4", ".wav")}
    assert len(files) == 8 and {p: files[p] for p in before if p.suffix == ".mp4"} == {
        p: t for p, t in before.items() if p.suffix == ".mp4"}
    assert not [p for p in root.rglob("*.tmp")]
    for s in starts:
        assert sf.info(root / "audio" / f"aaaaaaaaaaa_{s}000_{s + 2}500.wav").frames == int(2.5 * RATE)


def test_validate_without_a_copy_says_so_once(tmp_path):
    for root, problem in ((tmp_path / "nowhere", "does not exist"), (tmp_path, "holds no audio/ or video/ folder")):
        done = run_installed(["validate", "--benchmark", "landscape", "--data-root", str(root), "--quiet"])
        assert done.stdout == ""
        assert_clear_error(done, str(root), problem, "avbench data prepare landscape")


def test_layout_and_ids_follow_the_definition():
    with open(DEFINITIONS / "landscape.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    done = run_installed(["data", "ids", "landscape", "--sections"])
    assert done.returncode == 0, done.stderr
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    # The split gives only the start; Landscape's clips are 10 s.
    assert lines == [[r["item_id"], f"https://www.youtube.com/watch?v={r['ytid']}", r["yt_start"],
                      str(int(r["yt_start"]) + 10)] for r in rows]
    ids = run_installed(["data", "ids", "landscape"]).stdout.split()
    assert ids == list(dict.fromkeys(r["ytid"] for r in rows)) and len(ids) == 100
    layout = run_installed(["data", "layout", "landscape"])
    assert "video/{item_id}.mp4" in layout.stdout and "16000 Hz" in layout.stdout and "101 items" in layout.stdout
