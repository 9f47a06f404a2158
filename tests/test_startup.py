"""What `avbench` loads as a user runs it, in a fresh interpreter: `--help` and a cached re-run of
`avbench av-align` under another preset import none of the heavy libraries they do not use, and
the re-run starts no worker process; its scores are a fresh computation's."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from avbench.benchmark.cli import verb_modules
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align import onsets
from avbench.metrics.av_align.clip import ClipSignals, envelope_rate, score_signals
from avbench.metrics.av_align.presets import PRESETS
from avbench.metrics.cache import ArrayCache

HEAVY = ("cv2", "torch", "av", "librosa", "numba", "scipy", "matplotlib", "pandas")

# Runs `main(argv)` for each argv in a fresh interpreter; prints the exit codes, the heavy
# modules imported and the processes multiprocessing started (any pool starts its workers
# through BaseProcess.start).
PROBE = """
import json, sys
import multiprocessing.process
started = []
start = multiprocessing.process.BaseProcess.start
multiprocessing.process.BaseProcess.start = lambda self: (started.append(self.name), start(self))[1]
from avbench.benchmark.cli import main
codes = []
for argv in json.loads(sys.argv[1]):
    try:
        codes.append(main(argv))
    except SystemExit as exc:
        codes.append(exc.code)
print(json.dumps({"codes": codes, "started": started, "heavy": sorted(m for m in %r if m in sys.modules)}))
""" % (HEAVY,)


def probe(*argvs: list[str]) -> dict:
    """What `avbench ARGV` does for each argv in turn, in one fresh interpreter (the console
    script calls the same `main`)."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argvs)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("argvs", [[["--help"]], [["av-align", "--help"]],
                                   [[verb.NAME, "--help"] for verb in verb_modules()]],
                         ids=["avbench", "av-align", "every-verb"])
def test_help_imports_no_heavy_library(argvs):
    found = probe(*argvs)
    assert found["codes"] == [0] * len(argvs)
    assert found["heavy"] == [] and found["started"] == []


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    for k, (size, frames) in enumerate([(64, 24), (96, 48), (128, 36)]):
        write_clip(SyntheticClip(name=f"clip{k}", n_frames=frames, width=size, height=size,
                                 event_frames=tuple(range(4, frames - 3, 7)), fps=Fraction(24), seed=k), folder)
    return folder


def scores(path) -> dict[str, tuple]:
    record = json.loads(path.read_text())
    return {c["video"]: (c["score"], c["audio_peaks"], c["video_peaks"]) for c in record["clips"]}


def test_cached_rerun_with_another_preset_starts_no_worker_and_imports_no_heavy_library(clips, tmp_path):
    # fills the cache: signals, and onset times under the onset parameters every canonical preset shares
    assert probe(["av-align", str(clips), "--quiet", "--workers", "1"])["codes"] == [0]
    rerun = probe(["av-align", str(clips), "--quiet", "--preset", "tempotokens-2023", "--json",
                   str(tmp_path / "cached.json")])
    assert rerun["codes"] == [0]
    assert rerun["started"] == [] and rerun["heavy"] == []

    fresh = probe(["av-align", str(clips), "--quiet", "--preset", "tempotokens-2023", "--no-cache", "--workers", "1",
                   "--json", str(tmp_path / "fresh.json")])
    assert fresh["codes"] == [0]
    assert scores(tmp_path / "cached.json") == scores(tmp_path / "fresh.json")
    assert len(scores(tmp_path / "cached.json")) == 3


@pytest.mark.parametrize("preset", ["tempotokens-2025", "calibrated"])  # onsets in the whole envelope, in a span
def test_cached_onset_times_are_librosa_s_without_librosa(preset, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    envelope = rng.random(90).astype(np.float32) ** 4
    signals = ClipSignals(rng.random(48), envelope, 24.0, 48, envelope_rate(PRESETS[preset]))
    computed = score_signals(signals, PRESETS[preset])
    assert computed.audio_peaks  # the envelope has onsets to find
    cache = ArrayCache("av-align/onsets", tmp_path)
    stored = score_signals(signals, PRESETS[preset], onset_cache=cache)

    def no_librosa(*args):
        raise AssertionError("onsets detected again although cached")

    monkeypatch.setattr(onsets, "_detect_onsets", no_librosa)
    cached = score_signals(signals, PRESETS[preset], onset_cache=cache)
    for result in (stored, cached):
        assert (result.audio_peaks, result.score) == (computed.audio_peaks, computed.score)
    reversed_envelope = ClipSignals(signals.trajectory, envelope[::-1].copy(), 24.0, 48, signals.envelope_rate)
    with pytest.raises(AssertionError, match="although cached"):  # another envelope, another entry
        score_signals(reversed_envelope, PRESETS[preset], onset_cache=cache)


def test_a_reader_that_stops_early_gets_no_traceback():
    """`avbench data ids vggsound --urls | head -n 1`: about 0.6 MB for a pipe buffer of 64 KiB, so
    the pipe closes under avbench, which stops quietly as a Unix filter does."""
    done = subprocess.run(["bash", "-c", "avbench data ids vggsound --urls | head -n 1; echo \"${PIPESTATUS[0]}\""],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("https://") and lines[1] == "141", done.stdout
    assert done.stderr == ""
