"""The network metrics as harness metrics: per-sample network outputs cached by content, then
the metric classes' own statistics.

| name | per-sample payload (cached) | state | value |
|---|---|---|---|
| fvd | I3D features of the preset's clip `(1, d)` | Gaussian stats (n, Σx, Σxxᵀ) | Fréchet distance vs the reference |
| fid | Inception pool features of the preset's frames `(T', 2048)` | Gaussian stats | Fréchet distance vs the reference |
| fad | VGGish embeddings of the sample's audio `(E, 128)` | Gaussian stats | Fréchet distance vs the reference |
| kid | Inception pool features `(T', 2048)` | per-sample features | KID (subsets drawn in sample-id order) |
| is | Inception 1008 logits of the preset's frames `(T', 1008)` | per-sample features (logits) | Inception Score (sample-id order) |
| isv | C3D logits of the first 16 frames `(1, 101)` | per-sample features (logits) | video Inception Score (sample-id order) |

Every payload is `{"features": (rows, d) float32}`.

A network loads only when a sample is not in the cache, so a fully cached rerun opens no weights
file; missing weights stop the run before any work with the registry's URL/path message.
Feature caches are keyed by the file's sha256 + everything the features depend on (the preset's
feature pipeline and the weights' sha256), so FID and KID share entries when their pipelines agree.
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from avbench.metrics import weights as registry
from avbench.metrics.errors import AvbenchError, InputError, WeightsError

from ..cache import ArrayCache, cache_key
from .keyed_state import KeyedState
from .registry import MapContext, MapResult, Metric, MetricValue, Sample, register_metric


def weights_sha256(name: str, path: str | None = None) -> str:
    """The sha256 a network's results record: its registered checksum (verified when the file
    loads), or the file's own hash where the registry has none or a path is given."""
    from avbench.metrics.fileio import sha256_file

    spec = registry.get_spec(name)
    if path is not None:
        if not Path(path).is_file():
            raise WeightsError(f"{path}: weights file for {name!r} does not exist")
        return sha256_file(path)
    if spec.sha256 is not None:
        return spec.sha256
    return sha256_file(registry.resolve(name))


def require_weights(name: str, path: str | None = None) -> None:
    """Raise the registry's missing-weights message unless the file can be found (or downloaded)."""
    if path is not None or registry.default_path(registry.get_spec(name)).is_file():
        return
    registry.resolve(name)  # downloads when allowed, else raises with the URL and the path


class FeatureMetric(Metric):
    """A metric whose map step runs a network per sample (see the module table)."""

    kind = "set"
    needs_reference = True

    def __init__(self, weights: dict[str, str] | None = None, device: str | None = None, batch_size: int = 16):
        self.weight_paths = dict(weights or {})
        self.device = device
        self.batch_size = int(batch_size)
        self._network: Any = None

    # --- to define per metric ---
    @abstractmethod
    def weight_names(self) -> tuple[str, ...]:
        """Registry names of the weight files the network needs."""

    @abstractmethod
    def pipeline(self) -> dict[str, Any]:
        """Everything the per-sample payload depends on, besides the input files and weights."""

    @abstractmethod
    def build(self, device: str) -> Any:
        """The network wrapper (loads weights)."""

    @abstractmethod
    def extract(self, network: Any, sample: Sample) -> dict[str, np.ndarray]:
        """The per-sample payload (features) of `sample`, computed with `network`."""

    def input_key(self, sample: Sample) -> dict[str, Any]:
        return {"video": sample.video_sha256}

    # --- shared ---
    def weights(self) -> dict[str, str]:
        return {n: weights_sha256(n, self.weight_paths.get(n)) for n in self.weight_names()}

    def check_ready(self) -> None:
        for name in self.weight_names():
            require_weights(name, self.weight_paths.get(name))

    def map(self, samples: list[Sample], context: MapContext) -> MapResult:
        out = MapResult()
        cache = ArrayCache("features", context.cache_root, context.use_cache)
        base = {"pipeline": self.pipeline(), "weights": self.weights()}
        for sample in tqdm(samples, desc=self.name, unit="sample", disable=not context.progress, leave=False):
            key = cache_key({**base, "inputs": self.input_key(sample)})
            payload = cache.get(key)
            if payload is None:
                if self._network is None:
                    self._network = self.build(self.device or context.device)
                try:
                    payload = self.extract(self._network, sample)
                except InputError as exc:
                    out.failures[sample.sample_id] = str(exc) if exc.path else f"{sample.video}: {exc}"
                    continue
                cache.put(key, payload)
            out.payloads[sample.sample_id] = payload
        return out


# --- Fréchet metrics --------------------------------------------------------------------------

class GaussianState:
    """Gaussian statistics with the harness state interface (`add` a sample's feature rows)."""

    def __init__(self, stats: Any):
        self.stats = stats

    @property
    def n(self) -> int:
        return self.stats.n

    def add(self, sample_id: str, payload: dict[str, np.ndarray]) -> None:
        self.stats.update(payload["features"])

    def merge(self, other: "GaussianState") -> "GaussianState":
        self.stats.merge(other.stats)
        return self

    def save(self, path: str | Path) -> None:
        self.stats.save(path)


class FrechetMetric(FeatureMetric):
    """`n` counts the feature vectors the statistics hold (`unit`: clips, frames or audio examples)."""

    higher_is_better = False
    unit: str

    def __init__(self, metric: str, preset: str | None, **kw: Any):
        from avbench.metrics.presets import DEFAULT_PRESETS, get_preset

        super().__init__(**kw)
        self.preset_spec = get_preset(preset or DEFAULT_PRESETS[metric], metric)
        self.preset, self.version = self.preset_spec.name, self.preset_spec.version

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset_spec.weights,)

    def describe(self) -> dict[str, Any]:
        from avbench.metrics.presets import describe

        return describe(self.preset_spec)

    @abstractmethod
    def feature_dim(self) -> int:
        """Length of the feature vector the Gaussian statistics are taken over."""

    def new_state(self) -> GaussianState:
        from avbench.metrics.frechet import GaussianStats

        return GaussianState(GaussianStats(dim=self.feature_dim(), preset=self.preset, version=self.version,
                                           weights_sha256=self.weights()[self.preset_spec.weights]))

    def load_state(self, path: str | Path) -> GaussianState:
        from avbench.metrics.frechet import GaussianStats

        return GaussianState(GaussianStats.load(path))

    def compute(self, state: GaussianState, reference: GaussianState | None = None) -> MetricValue:
        from avbench.metrics.frechet import frechet_distance_of_stats

        if reference is None:
            raise AvbenchError(f"{self.name}: no reference statistics")
        spec = self.preset_spec.stats
        value = frechet_distance_of_stats(state.stats, reference.stats, spec.covariance, spec.eps)
        return MetricValue(value=float(value), n=state.n, details={"n_reference": reference.n, "unit": self.unit,
                                                                   "covariance": spec.covariance})


class FVDMetric(FrechetMetric):
    name, title, unit = "fvd", "FVD", "clips"

    def __init__(self, preset: str | None = None, **kw: Any):
        super().__init__("fvd", preset, **kw)

    def feature_dim(self) -> int:
        from avbench.metrics.fvd import LAYER_DIMS

        return LAYER_DIMS[self.preset_spec.layer]

    def pipeline(self) -> dict[str, Any]:
        p = self.preset_spec
        return {"network": "i3d", "weights": p.weights, "bn_eps": p.bn_eps, "layer": p.layer,
                "frames": asdict(p.frames), "clip": asdict(p.clip)}

    def build(self, device: str) -> Any:
        from avbench.metrics.fvd import I3DFeatures

        return I3DFeatures(self.preset_spec, self.weight_paths.get(self.preset_spec.weights), device, self.batch_size)

    def input_key(self, sample: Sample) -> dict[str, Any]:
        # A random clip offset is drawn from the sample's key, so the id is part of the input.
        clip = self.preset_spec.clip
        return {"video": sample.video_sha256, **({"key": sample.sample_id} if clip.offset == "random" else {})}

    def extract(self, network: Any, sample: Sample) -> dict[str, np.ndarray]:
        import torch

        from ..media import read_video_frames

        clip = self.preset_spec.clip
        frames = read_video_frames(sample.video, limit=clip.span if clip.offset == "start" else None)
        x = network.clip_input(frames, key=sample.sample_id, source=str(sample.video))
        return {"features": network.forward(torch.stack([x])).numpy()}


class FrameFeatureMixin:
    """Inception features of every `frame_stride`-th frame of the sample's video."""

    def extract(self, network: Any, sample: Sample) -> dict[str, np.ndarray]:
        from ..media import read_video_frames

        frames = read_video_frames(sample.video, stride=self.preset_spec.frame_stride)
        return {"features": network.frame_features(frames, str(sample.video))}

    def pipeline(self) -> dict[str, Any]:
        from avbench.metrics.inception_features import feature_pipeline

        weights, layer, frames, stride = feature_pipeline(self.preset_spec)
        return {"network": "inception-tf", "weights": weights, "layer": layer, "frames": asdict(frames),
                "frame_stride": stride}

    def build(self, device: str) -> Any:
        from avbench.metrics.inception_features import InceptionFeatures

        return InceptionFeatures(self.preset_spec, self.weight_paths.get(self.preset_spec.weights), device,
                                 self.batch_size)


class FIDMetric(FrameFeatureMixin, FrechetMetric):
    name, title, unit = "fid", "FID", "frames"

    def __init__(self, preset: str | None = None, **kw: Any):
        super().__init__("fid", preset, **kw)

    def feature_dim(self) -> int:
        from avbench.metrics.inception_features import LAYER_DIMS

        return LAYER_DIMS[self.preset_spec.layer]


class FADMetric(FrechetMetric):
    name, title, unit = "fad", "FAD", "0.96-s audio examples"

    def __init__(self, preset: str | None = None, **kw: Any):
        super().__init__("fad", preset, **kw)

    def feature_dim(self) -> int:
        from avbench.metrics.fad import VGGishFeatures

        return VGGishFeatures.dim

    def pipeline(self) -> dict[str, Any]:
        p = self.preset_spec
        return {"network": "vggish", "weights": p.weights, "sample_rate": p.sample_rate, "resampler": p.resampler,
                "window_samples": p.window_samples, "hop_samples": p.hop_samples, "peak_floor": p.peak_floor}

    def input_key(self, sample: Sample) -> dict[str, Any]:
        return {"audio": sample.audio_sha256 or f"{sample.video_sha256}#audio-track"}

    def build(self, device: str) -> Any:
        from avbench.metrics.fad import VGGishFeatures

        return VGGishFeatures(self.preset_spec, self.weight_paths.get(self.preset_spec.weights), device)

    def extract(self, network: Any, sample: Sample) -> dict[str, np.ndarray]:
        from ..media import read_audio

        source = sample.audio or sample.video
        waveform, rate = read_audio(source)
        return {"features": network.audio_features(waveform, rate, str(source))}


# --- stored-feature and logits metrics ---------------------------------------------------------

def _stacked(state: Any, field: str) -> np.ndarray:
    """Rows of a keyed state (sample-id order) or of a stored-feature reference file."""
    if isinstance(state, KeyedState):
        return state.stacked(field)
    return state.features()


class KIDMetric(FrameFeatureMixin, FeatureMetric):
    name, title = "kid", "KID"
    higher_is_better = False

    def __init__(self, preset: str | None = None, **kw: Any):
        from avbench.metrics.presets import get_preset

        super().__init__(**kw)
        self.preset_spec = get_preset(preset or "kid/ttur", "kid")
        self.preset, self.version = self.preset_spec.name, self.preset_spec.version

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset_spec.weights,)

    def describe(self) -> dict[str, Any]:
        from avbench.metrics.presets import describe

        return describe(self.preset_spec)

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset, self.version, {"weights_sha256": self.weights()[self.preset_spec.weights]})

    def load_state(self, path: str | Path) -> Any:
        from avbench.metrics.set_metric import load_state

        try:
            return KeyedState.load(path)
        except InputError:
            return load_state(path)  # a stored-feature file from `avbench stats build`

    def compute(self, state: KeyedState, reference: Any = None) -> MetricValue:
        from avbench.metrics.kid import kernel_distance

        if reference is None:
            raise AvbenchError("kid: no reference features")
        p = self.preset_spec
        found = (reference.preset, reference.version)
        if found != (self.preset, self.version):
            raise AvbenchError(f"kid: reference features are {found[0]} v{found[1]}, not {self.preset} v{self.version}")
        generated, real = _stacked(state, "features"), _stacked(reference, "features")
        mean, std = kernel_distance(generated, real, p.subsets, p.subset_size, p.degree, p.gamma, p.coef0, p.seed)
        return MetricValue(value=mean, n=int(len(generated)), details={"std": std, "unit": "frames",
                                                                       "n_reference": int(len(real))})


class LogitsMetric(FeatureMetric):
    """Inception Scores: per-sample logits; the metric class scores them in sample-id order."""

    kind = "set"
    needs_reference = False
    higher_is_better = True

    def new_state(self) -> KeyedState:
        return KeyedState(self.name, self.preset, self.version, self.weights())

    def load_state(self, path: str | Path) -> KeyedState:
        return KeyedState.load(path)

    @abstractmethod
    def scorer(self) -> Any:
        """The metrics-package scorer that turns the stacked logits into the score."""

    def compute(self, state: KeyedState, reference: Any = None) -> MetricValue:
        scorer = self.scorer()
        logits = state.stacked("features")
        if len(logits):
            scorer.update_logits(logits)
        result = scorer.compute()
        return MetricValue(value=result.mean, n=len(state),
                           details={"std": result.std, "n_scored": result.n_samples, "split_sizes": list(result.split_sizes),
                                    "n_unused": result.n_unused},
                           notes=tuple(result.notes))


class ISMetric(FrameFeatureMixin, LogitsMetric):
    name, title = "is", "IS"

    def __init__(self, preset: str = "is/openai", **kw: Any):
        from avbench.metrics.inception_score import get_frame_preset

        super().__init__(**kw)
        self.preset_spec = get_frame_preset(preset)
        self.preset, self.version = self.preset_spec.name, self.preset_spec.version

    def weight_names(self) -> tuple[str, ...]:
        return (self.preset_spec.weights,)

    def describe(self) -> dict[str, Any]:
        return asdict(self.preset_spec)

    def scorer(self) -> Any:
        from avbench.metrics.inception_score import InceptionScore

        return InceptionScore(self.preset)


class ISVMetric(LogitsMetric):
    name, title = "isv", "IS (video)"

    def __init__(self, preset: str = "isv/tgan2", **kw: Any):
        from avbench.metrics.video_inception_score import get_protocol

        super().__init__(**kw)
        self.protocol = get_protocol(preset)
        self.preset, self.version = self.protocol.name, self.protocol.version

    def weight_names(self) -> tuple[str, ...]:
        return (self.protocol.c3d_weights, self.protocol.mean_weights)

    def describe(self) -> dict[str, Any]:
        return asdict(self.protocol)

    def pipeline(self) -> dict[str, Any]:
        return {"network": "c3d", "protocol": asdict(self.protocol)}

    def build(self, device: str) -> Any:
        from avbench.metrics.video_inception_score import VideoInceptionScore

        scorer = VideoInceptionScore(self.preset, c3d_path=self.weight_paths.get(self.protocol.c3d_weights),
                                     mean_path=self.weight_paths.get(self.protocol.mean_weights), device=device,
                                     batch_size=self.batch_size)
        scorer.load()
        return scorer

    def extract(self, network: Any, sample: Sample) -> dict[str, np.ndarray]:
        from ..media import read_video_frames

        frames = read_video_frames(sample.video, limit=self.protocol.num_frames)
        return {"features": network.logits(frames[None], str(sample.video))}

    def scorer(self) -> Any:
        from avbench.metrics.video_inception_score import VideoInceptionScore

        return VideoInceptionScore(self.preset)


@register_metric("fvd", "Fréchet Video Distance (I3D) vs the real clips; option: preset (fvd/styleganv, fvd/videogpt)")
def fvd(**options: Any) -> FVDMetric:
    return FVDMetric(**options)


@register_metric("fid", "Fréchet Inception Distance over frames vs the real clips; option: preset (fid/ttur, fid/pytorch-fid)")
def fid(**options: Any) -> FIDMetric:
    return FIDMetric(**options)


@register_metric("kid", "Kernel Inception Distance over frames vs the real clips; option: preset (kid/ttur)")
def kid(**options: Any) -> KIDMetric:
    return KIDMetric(**options)


@register_metric("fad", "Fréchet Audio Distance (VGGish) vs the real clips' audio; option: preset (fad/google, fad/torchvggish)")
def fad(**options: Any) -> FADMetric:
    return FADMetric(**options)


@register_metric("is", "Inception Score over frames (TF Inception, 1008 classes); option: preset (is/openai, is/torch-fidelity)")
def inception_score(**options: Any) -> ISMetric:
    return ISMetric(**options)


@register_metric("isv", "video Inception Score (C3D, UCF-101); option: preset (isv/tgan2, isv/tgan, isv/styleganv)")
def video_inception_score(**options: Any) -> ISVMetric:
    return ISVMetric(**options)
