"""docs/architecture.md, "Adding a metric", followed step by step for an audio metric: the class
(presets, `sample_key` on the audio, features, state, value), its one line in
`catalogue.BUILTIN`, and the Python API front end scoring it from files, cached and not.

The default `Metric.sample_key` keys features on the video alone; a metric of the audio that
kept it would get, from the cache, another sample's features whenever two samples share a video.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

import avbench.metrics
from avbench.metrics import catalogue
from avbench.metrics.bootstrap import bootstrap_mean_ci
from avbench.metrics.errors import AvbenchError
from avbench.metrics.keyed_state import KeyedState
from avbench.metrics.media import read_audio
from avbench.metrics.metric import Features, Metric, MetricResult, Sample
from avbench.metrics.scoring import folder_samples, score_folders
from synthetic_sets import moving_pattern, tone, write_video


@dataclass(frozen=True)
class LoudnessPreset:
    """Every parameter that changes the number: which statistic of the waveform."""

    name: str
    version: str
    statistic: str  # "rms" or "peak"


PRESETS = {p.name: p for p in (LoudnessPreset("loudness/rms", "1", "rms"), LoudnessPreset("loudness/peak", "1", "peak"))}


class Loudness(Metric):
    """Loudness of each sample's audio (RMS or peak amplitude), averaged over the set."""

    name, title = "loudness", "Loudness"
    higher_is_better = True
    kind = "per-sample"
    default_preset = "loudness/rms"
    computed: list[tuple[str, str]] = []  # (preset, sample id) of every feature computation

    @classmethod
    def presets(cls) -> dict[str, LoudnessPreset]:
        return dict(PRESETS)

    def sample_key(self, sample: Sample) -> dict[str, Any]:
        return {"audio": sample.audio_key()}

    def sample_features(self, sample: Sample) -> Features:
        waveform, _ = read_audio(sample.audio or sample.require_video())
        Loudness.computed.append((self.preset.name, sample.sample_id))
        return {"loudness": np.float64(_loudness(waveform, self.preset.statistic))}

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset.name, self.preset.version)

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def sample_values(self) -> dict[str, float]:
        return {sample_id: float(p["loudness"]) for sample_id, p in self.generated.ordered()}

    def compute(self) -> MetricResult:
        values = list(self.sample_values().values())
        if not values:
            raise AvbenchError(f"{self.name}: no samples were scored")
        ci = bootstrap_mean_ci(values, n_resamples=200)
        return self.result(float(np.mean(values)), len(values), ci95=ci, ci_method="bootstrap-percentile-200")


def _loudness(waveform: np.ndarray, statistic: str) -> float:
    x = np.asarray(waveform, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if statistic == "rms" else float(np.abs(x).max())


@pytest.fixture
def registered(monkeypatch):
    """Step 2, the line in `catalogue.BUILTIN`, for a module standing in `metrics/loudness.py`."""
    monkeypatch.setitem(sys.modules, "avbench.metrics.loudness", sys.modules[__name__])
    monkeypatch.setitem(catalogue.BUILTIN, "loudness", "loudness:Loudness")
    yield
    monkeypatch.undo()


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """Two samples with the same video file and different audio beside it, and a fresh cache."""
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "generated"
    write_video(root / "a.mp4", moving_pattern(0, 8, 32, 32))
    shutil.copyfile(root / "a.mp4", root / "b.mp4")
    for stem, gain in (("a", 0.1), ("b", 0.6)):
        soundfile.write(str(root / f"{stem}.wav"), gain * tone(1, 1.0, 0.0), 16000, subtype="PCM_16")
    return root


def _expected(folder: Path, statistic: str) -> dict[str, float]:
    return {stem: _loudness(read_audio(folder / f"{stem}.wav")[0], statistic) for stem in ("a", "b")}


def test_an_audio_metric_keyed_on_its_audio_gets_each_samples_own_features(registered, folder):
    a, b = (s.with_hashes() for s in folder_samples(folder))
    metric = Loudness()
    assert Metric.sample_key(metric, a) == Metric.sample_key(metric, b)  # the default: the same video
    assert metric.sample_key(a) != metric.sample_key(b)
    expected = _expected(folder, "rms")
    assert expected["a"] != pytest.approx(expected["b"])
    Loudness.computed.clear()
    for use_cache, computed in ((True, {"a", "b"}), (True, set()), (False, {"a", "b"})):  # computed, cached, fresh
        report = score_folders(folder, metrics=["loudness"], use_cache=use_cache, progress=False)
        assert {sample_id for _, sample_id in Loudness.computed} == computed
        Loudness.computed.clear()
        assert report.failures == [] and report.errors == {}
        assert report.samples["loudness"] == pytest.approx(expected, rel=1e-12)
        result = report["loudness"]
        assert (result.metric, result.preset, result.n) == ("loudness", "loudness/rms", 2)
        assert result.value == pytest.approx(np.mean(list(expected.values())), rel=1e-12)


def test_each_preset_keys_its_own_features(registered, folder):
    Loudness.computed.clear()
    report = score_folders(folder, metrics=["loudness"], presets=["loudness/rms", "loudness/peak"], progress=False)
    assert sorted(Loudness.computed) == [(p, s) for p in ("loudness/peak", "loudness/rms") for s in ("a", "b")]
    for preset in ("rms", "peak"):
        assert report.samples[f"loudness[loudness/{preset}]"] == pytest.approx(_expected(folder, preset), rel=1e-12)


def test_one_line_in_the_catalogue_makes_it_a_metric_everywhere(registered):
    assert catalogue.metric_names().index("loudness") == len(catalogue.BUILTIN) - 1  # after the built-in ones
    assert catalogue.metric_class("loudness") is Loudness
    assert catalogue.metric_of_preset("loudness/peak") == "loudness"
    assert catalogue.summary("loudness") == "Loudness of each sample's audio (RMS or peak amplitude), averaged over the set."
    assert catalogue.make_metric("loudness", "loudness/peak").preset is PRESETS["loudness/peak"]
    assert avbench.metrics.Loudness is Loudness and "Loudness" in avbench.metrics.__all__


def test_every_built_in_metric_class_is_exported_by_name_and_imported_on_first_use(tmp_path):
    code = ("import sys, avbench.metrics as m\n"
            "assert not {'torch', 'numpy', 'avbench.metrics.catalogue'} & set(sys.modules), sorted(sys.modules)\n"
            "from avbench.metrics import *\n"
            "from avbench.metrics.catalogue import BUILTIN, metric_class\n"
            "for name in BUILTIN:\n"
            "    cls = metric_class(name)\n"
            "    assert getattr(m, cls.__name__) is cls and cls.__name__ in m.__all__, name\n"
            "print(' '.join(m.__all__))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {
        "score_folders", "score_samples", "folder_samples", "ScoreReport", "reference_state", "make_metric",
        "metric_names", "metric_class", "Metric", "MetricResult", "Sample", "MapContext", "av_align_clip", "AVAlign",
        "FVD", "FID", "KID", "FAD", "InceptionScore", "VideoInceptionScore", "CLIPScore", "CLIPSIM", "AVSemantic",
        "AvbenchError", "InputError", "WeightsError"}
    with pytest.raises(AttributeError, match="has no attribute 'Loudness'"):
        avbench.metrics.Loudness
