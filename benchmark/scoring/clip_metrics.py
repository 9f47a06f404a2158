"""CLIP text–video scores as harness metrics (`clipsim`, `clipscore`): per sample, the cosine of
every frame with the item's caption (its text, else its label through the benchmark's template),
cached by content; the set value follows the preset's convention (metrics.clip_score) over
samples in id order, with a seeded bootstrap CI over samples."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .feature_metrics import FeatureMetric
from .keyed_state import KeyedState
from .registry import MetricValue, Sample, register_metric

N_RESAMPLES = 10_000


class CLIPMetric(FeatureMetric):
    kind = "per-sample"
    needs_reference = False
    needs_text = True
    higher_is_better = True

    def __init__(self, name: str, preset: str, template: str = "a video of {label}", clip_model: str | None = None,
                 seed: int = 0, n_resamples: int = N_RESAMPLES, **kw: Any):
        from avbench.metrics.clip_score import get_preset

        super().__init__(**kw)
        self.name = name
        self.title = "CLIPSIM" if name == "clipsim" else "CLIPScore"
        self.preset_spec = get_preset(preset)
        self.preset, self.version = self.preset_spec.name, self.preset_spec.version
        self.template = template
        self.model_source = clip_model or self.preset_spec.model_id
        self.seed, self.n_resamples = int(seed), int(n_resamples)

    def weight_names(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self.preset_spec), "model": self.model_source, "template": self.template,
                "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed}}

    def weights(self) -> dict[str, str]:
        return {}  # Hub models: the model id (and revision, once loaded) is in `describe`

    def pipeline(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"network": "clip", "model": self.model_source, "image": asdict(self.preset_spec.image),
                "prefix": self.preset_spec.text_prefix}

    def caption(self, sample: Sample) -> str:
        from avbench.metrics.clip_score import item_text

        return item_text(sample.label, sample.text, self.template, str(sample.video))

    def input_key(self, sample: Sample) -> dict[str, Any]:
        try:
            caption = self.caption(sample)
        except Exception:  # no caption: extract() reports it for this sample
            caption = None
        return {"video": sample.video_sha256, "caption": caption}

    def build(self, device: str) -> Any:
        from avbench.metrics.clip_score import CLIPScore

        scorer = CLIPScore(self.preset, template=self.template, model_path=self.model_source,
                           device=device, batch_size=self.batch_size)
        scorer.towers  # load now: a missing model is one message, before any sample
        return scorer

    def extract(self, network: Any, sample: Sample) -> dict[str, np.ndarray]:
        from avbench.metrics.clip_score import cosines

        from ..media import read_video_frames

        caption = self.caption(sample)
        frames = read_video_frames(sample.video)
        return {"cos": cosines(network.image_embeddings(frames, str(sample.video)), network.text_embedding(caption))}

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset, self.version, {"model": self.model_source,
                                                                 "template": self.template})

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    def sample_values(self, state: KeyedState) -> dict[str, float]:
        from avbench.metrics.clip_score import per_frame_scores

        conv = self.preset_spec.convention
        return {sample_id: float(per_frame_scores(p["cos"], conv).mean()) for sample_id, p in state.ordered()}

    def compute(self, state: KeyedState, reference: Any = None) -> MetricValue:
        from avbench.metrics.clip_score import set_value

        conv = self.preset_spec.convention
        per_sample = [p["cos"] for _, p in state.ordered()]
        value = set_value(per_sample, conv)
        ci = _bootstrap_ci(per_sample, lambda xs: set_value(xs, conv), self.n_resamples, self.seed)
        details = {"n_frames": int(sum(len(c) for c in per_sample)),
                   "bootstrap": {"method": "percentile", "level": 0.95, "n_resamples": self.n_resamples,
                                 "seed": self.seed}}
        if conv == "clipsim":
            details["value_x100"] = 100.0 * value
        return MetricValue(value=value, n=len(per_sample), ci95=ci,
                           ci_method=f"bootstrap-percentile-{self.n_resamples}" if ci else None, details=details)


def _bootstrap_ci(items: list[np.ndarray], statistic, n_resamples: int, seed: int) -> tuple[float, float] | None:
    """Percentile 95% CI of `statistic` over samples resampled with replacement
    (`numpy.random.default_rng(seed)`, index draws as `metrics.bootstrap`)."""
    if len(items) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = np.array([statistic([items[i] for i in rng.integers(0, len(items), size=len(items))])
                       for _ in range(n_resamples)])
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)


@register_metric("clipsim", "CLIPSIM: frame-mean cosine of CLIP ViT-B/32 frames with the item's caption; options: "
                 "template (default: the benchmark's), clip_model", takes_template=True)
def clipsim(preset: str = "clipsim", **options: Any) -> CLIPMetric:
    return CLIPMetric("clipsim", preset, **options)


@register_metric("clipscore", "CLIPScore vs the item's caption; option: preset (clipscore/hessel, clipscore/torchmetrics)",
                 takes_template=True)
def clipscore(preset: str = "clipscore/hessel", **options: Any) -> CLIPMetric:
    return CLIPMetric("clipscore", preset, **options)

