"""The shared feeding path (`metrics.scoring.map_metrics`): each file is hashed once per run, and
metrics computing the same features (e.g. FID and KID of one Inception pipeline) decode and
embed each sample once, with the cache off too."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import avbench.metrics.metric as metric_module
from avbench.metrics.metric import MapContext, Metric, Sample
from avbench.metrics.scoring import map_metrics


class CountingMetric(Metric):
    """Features: the file's byte count, scaled by the pipeline's `gain`; counts its calls."""

    name, title, higher_is_better, default_preset = "counting", "Counting", True, "p"
    calls: list[tuple[int, str]] = []

    def __init__(self, gain: int):
        super().__init__("p")
        self.gain = gain

    @classmethod
    def presets(cls) -> dict[str, Any]:
        return {"p": type("Preset", (), {"name": "p", "version": "1"})()}

    def describe(self) -> dict[str, Any]:
        return {"gain": self.gain}

    def sample_features(self, sample: Sample) -> dict[str, np.ndarray]:
        CountingMetric.calls.append((self.gain, sample.sample_id))
        return {"features": np.array([self.gain * sample.video.stat().st_size])}

    def new_state(self): ...
    def load_state(self, path): ...
    def compute(self): ...


@pytest.fixture
def samples(tmp_path: Path) -> list[Sample]:
    out = []
    for i in range(3):
        path = tmp_path / f"v{i}.mp4"
        path.write_bytes(b"x" * (10 + i))
        out.append(Sample(f"v{i}", path))
    return out


@pytest.mark.parametrize("use_cache", [True, False])
def test_metrics_of_one_pipeline_are_mapped_once(samples, tmp_path, use_cache):
    CountingMetric.calls.clear()
    metrics = {"a": CountingMetric(1), "b": CountingMetric(1), "c": CountingMetric(2)}
    context = MapContext(progress=False, use_cache=use_cache, cache_root=tmp_path / "cache")
    features, failures = map_metrics(metrics, samples, context)
    assert failures == []
    assert sorted(CountingMetric.calls) == sorted([(1, s.sample_id) for s in samples] + [(2, s.sample_id) for s in samples])
    for s in samples:
        size = s.video.stat().st_size
        assert features["a"][s.sample_id]["features"].tolist() == [size]
        assert features["b"][s.sample_id]["features"].tolist() == [size]
        assert features["c"][s.sample_id]["features"].tolist() == [2 * size]


def test_each_file_is_hashed_once_for_all_metrics(samples, tmp_path, monkeypatch):
    hashed: list[Path] = []
    real = metric_module.sha256_file

    def counting(path):
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(metric_module, "sha256_file", counting)
    metrics = {"a": CountingMetric(1), "c": CountingMetric(2), "d": CountingMetric(3)}
    map_metrics(metrics, samples, MapContext(progress=False, cache_root=tmp_path / "cache"))
    assert sorted(hashed) == sorted(s.video for s in samples)
