"""AV-Align as a harness metric: per-sample scores (cached signals, parallel), mean with a
seeded bootstrap CI; NaN (no peak on either side) excluded from the mean and counted."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from avbench.metrics.av_align import AVAlign, ClipResult, get_config, score_signals
from avbench.metrics.av_align.config import DEFAULT_VARIANT

from ..av_align_run import analyse_pairs
from ..media import AVPair
from .keyed_state import KeyedState
from .registry import MapContext, MapResult, Metric, MetricValue, Sample, register_metric

N_RESAMPLES = 10_000


class AVAlignMetric(Metric):
    name = "av_align"
    title = "AV-Align"
    kind = "per-sample"
    higher_is_better = True

    def __init__(self, variant: str = DEFAULT_VARIANT, seed: int = 0, n_resamples: int = N_RESAMPLES):
        self.config = get_config(variant)
        self.preset, self.version = self.config.variant, self.config.version
        self.seed, self.n_resamples = int(seed), int(n_resamples)

    def describe(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed}}

    def map(self, samples: list[Sample], context: MapContext) -> MapResult:
        pairs = [AVPair(s.sample_id, s.video, s.audio, "manifest" if s.audio else "track") for s in samples]
        run = analyse_pairs(pairs, self.config, workers=context.workers, use_cache=context.use_cache,
                            progress=context.progress, cache_root=context.cache_root)
        out = MapResult()
        for s in samples:
            key = str(s.video)
            if key in run.signals:
                result: ClipResult = score_signals(run.signals[key], self.config, key, str(s.audio or ""))
                out.payloads[s.sample_id] = {"score": np.float64(result.score),
                                             "n_audio_peaks": np.int64(len(result.audio_peaks)),
                                             "n_video_peaks": np.int64(len(result.video_peaks))}
            else:
                out.failures[s.sample_id] = run.failures.get(key, f"{key}: not measured")
        return out

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset, self.version)

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def sample_values(self, state: KeyedState) -> dict[str, float]:
        return {sample_id: float(p["score"]) for sample_id, p in state.ordered()}

    def compute(self, state: KeyedState, reference: Any = None) -> MetricValue:
        acc = AVAlign(self.preset, n_resamples=self.n_resamples, seed=self.seed)
        acc.scores.update(self.sample_values(state))
        summary = acc.compute()
        return MetricValue(
            value=summary.mean, n=summary.n, ci95=summary.ci95,
            ci_method=f"bootstrap-percentile-{self.n_resamples}" if summary.ci95 else None,
            details={"n_undefined": summary.n_undefined, "bootstrap": summary.bootstrap},
            notes=() if not summary.n_undefined else (f"{summary.n_undefined} sample(s) without peaks on either "
                                                      "side: undefined, excluded from the mean",),
        )


@register_metric("av_align", "AV-Align (audio onset peaks vs optical-flow peaks), per sample; option: variant")
def av_align(variant: str = DEFAULT_VARIANT, seed: int = 0, n_resamples: int = N_RESAMPLES) -> AVAlignMetric:
    return AVAlignMetric(variant, seed, n_resamples)


