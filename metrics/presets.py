"""Named, versioned presets of the set metrics FVD, FID, KID and FAD.

A preset pins every parameter that changes the number (network and weights, BN eps, feature
layer, resize kernel and geometry, value mapping, clip length and frame stride, clip sampling,
covariance estimator, eps, precision, KID subsets, audio framing) and is written, with its
version, into every result and every saved statistics file. Changing a preset's parameters
means a new version. The canonical code each preset follows is named in its `notes`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Union

from .frechet import COVARIANCE_ESTIMATORS
from .resize import GEOMETRIES, RESIZE_KERNELS

# How uint8 RGB values become network input; implemented in `metrics.frames.VALUE_MAPS`.
VALUE_MAP_NAMES = ("tf-fvd", "videogpt", "ttur", "pytorch-fid")


@dataclass(frozen=True)
class FrameTransform:
    """Decoded `(T, H, W, 3)` uint8 RGB frames → network input `(T, 3, size, size)` float32."""

    value_map: str
    resize_kernel: str
    geometry: str
    size: int

    def __post_init__(self) -> None:
        if self.value_map not in VALUE_MAP_NAMES:
            raise ValueError(f"unknown value map {self.value_map!r}")
        if self.resize_kernel not in RESIZE_KERNELS or self.geometry not in GEOMETRIES:
            raise ValueError(f"unknown resize {self.resize_kernel!r}/{self.geometry!r}")


@dataclass(frozen=True)
class ClipSampling:
    """Which frames of a video form its clip: `length` frames taken every `stride` frames,
    starting at frame 0 (`offset="start"`) or at an offset drawn from `seed` and the video's key
    (`offset="random"`, independent of processing order). A shorter video is an error."""

    length: int
    stride: int = 1
    offset: str = "start"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.offset not in ("start", "random") or self.length < 1 or self.stride < 1:
            raise ValueError(f"invalid clip sampling {self}")

    @property
    def span(self) -> int:
        """Frames a video needs to hold one clip."""
        return (self.length - 1) * self.stride + 1


@dataclass(frozen=True)
class FrechetSpec:
    """How the Fréchet distance is computed from the accumulated statistics."""

    covariance: str = "unbiased"
    eps: float = 0.0  # added to both covariance diagonals; 0 = none (metrics.frechet)
    dtype: str = "float64"
    sqrt_method: str = "eigh"

    def __post_init__(self) -> None:
        if self.covariance not in COVARIANCE_ESTIMATORS:
            raise ValueError(f"unknown covariance estimator {self.covariance!r}")
        if (self.dtype, self.sqrt_method) != ("float64", "eigh"):
            raise ValueError("only float64 statistics with the eigh trace route are implemented")


@dataclass(frozen=True)
class FVDPreset:
    name: str
    version: str
    weights: str
    bn_eps: float
    layer: str  # I3D output: "logits" (400-d time-averaged) or "pool" (1024-d)
    frames: FrameTransform
    clip: ClipSampling
    stats: FrechetSpec
    notes: str = ""
    metric: str = field(default="fvd", init=False)


@dataclass(frozen=True)
class FIDPreset:
    name: str
    version: str
    weights: str
    layer: str  # InceptionV3TF output: "pool" (2048-d)
    frames: FrameTransform
    frame_stride: int  # every frame_stride-th frame of a video counts as one image
    stats: FrechetSpec
    notes: str = ""
    metric: str = field(default="fid", init=False)


@dataclass(frozen=True)
class KIDPreset:
    name: str
    version: str
    weights: str
    layer: str
    frames: FrameTransform
    frame_stride: int
    subsets: int
    subset_size: int
    degree: int
    gamma: float | None  # None = 1 / feature dimension
    coef0: float
    seed: int  # seeds numpy.random.RandomState, drawn as torch-fidelity does
    notes: str = ""
    metric: str = field(default="kid", init=False)


@dataclass(frozen=True)
class FADPreset:
    name: str
    version: str
    weights: str
    sample_rate: int  # Hz the network's frontend expects
    resampler: str  # librosa.resample res_type for other rates
    window_samples: int | None  # None: continuous 0.96 s examples; else one example per window
    hop_samples: int | None
    peak_floor: float | None  # None: no peak normalisation; else x / max(floor, amax(x))
    stats: FrechetSpec
    notes: str = ""
    metric: str = field(default="fad", init=False)


Preset = Union[FVDPreset, FIDPreset, KIDPreset, FADPreset]

TF_FVD_FRAMES = FrameTransform(value_map="tf-fvd", resize_kernel="tf1-bilinear", geometry="direct", size=224)
TTUR_FRAMES = FrameTransform(value_map="ttur", resize_kernel="tf1-bilinear", geometry="direct", size=299)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        FVDPreset(
            name="fvd/styleganv",
            version="1",
            weights="i3d-styleganv",
            bn_eps=1e-3,
            layer="logits",
            frames=TF_FVD_FRAMES,
            clip=ClipSampling(length=16, stride=1, offset="start", seed=0),
            stats=FrechetSpec(covariance="unbiased"),
            notes=(
                "TF reference pipeline (google-research frechet_video_distance: TF1 bilinear direct to "
                "224x224, 2x/255-1, time-averaged 400-d logits, unbiased float64 covariance) on the I3D "
                "weights of StyleGAN-V's TorchScript (TF-Hub i3d-kinetics-400/1, BN eps 1e-3); first 16 "
                "frames of every video. StyleGAN-V's own script uses the biased covariance (-0.05% at "
                "N=2048) and random real-clip offsets; this preset follows the TF reference."
            ),
        ),
        FVDPreset(
            name="fvd/videogpt",
            version="1",
            weights="i3d-videogpt",
            bn_eps=1e-5,
            layer="logits",
            frames=FrameTransform(value_map="videogpt", resize_kernel="torch-bilinear", geometry="short-side-crop", size=224),
            clip=ClipSampling(length=16, stride=1, offset="start", seed=0),
            stats=FrechetSpec(covariance="unbiased"),
            notes=(
                "VideoGPT/DIGAN/MM-Diffusion family: i3d_pretrained_400.pt with BN eps 1e-5, /255, shorter "
                "side to 224 (torch bilinear) and centre crop, (x-0.5)*2, unbiased covariance. VideoGPT "
                "computes the statistics in float32 (about 1e-4 relative); this preset uses float64."
            ),
        ),
        FIDPreset(
            name="fid/ttur",
            version="1",
            weights="inception-torch-fidelity",
            layer="pool",
            frames=TTUR_FRAMES,
            frame_stride=1,
            stats=FrechetSpec(covariance="unbiased"),
            notes=(
                "torch-fidelity / TTUR: uint8 frames, TF1 bilinear to 299x299, (x-128)/128, 2048-d pool3, "
                "unbiased float64 covariance; every frame of every video is one image."
            ),
        ),
        FIDPreset(
            name="fid/pytorch-fid",
            version="1",
            weights="inception-pytorch-fid",
            layer="pool",
            frames=FrameTransform(value_map="pytorch-fid", resize_kernel="torch-bilinear", geometry="direct", size=299),
            frame_stride=1,
            stats=FrechetSpec(covariance="unbiased"),
            notes=(
                "pytorch-fid: x/255, torch bilinear to 299x299, 2x-1, 2048-d pool3, unbiased covariance "
                "(pytorch-fid's sqrtm adds eps 1e-6 only when its product is singular; the eigh route "
                "never needs it)."
            ),
        ),
        KIDPreset(
            name="kid/ttur",
            version="1",
            weights="inception-torch-fidelity",
            layer="pool",
            frames=TTUR_FRAMES,
            frame_stride=1,
            subsets=100,
            subset_size=1000,
            degree=3,
            gamma=None,
            coef0=1.0,
            seed=2020,
            notes=(
                "torch-fidelity KID (MMD-GAN estimator): 2048-d pool3 features as fid/ttur, cubic polynomial "
                "kernel (x.y/d + 1)^3, unbiased MMD^2, 100 subsets of 1000 drawn without replacement by "
                "numpy RandomState(2020), mean and ddof-0 std over subsets; kernels in float64."
            ),
        ),
        FADPreset(
            name="fad/google",
            version="1",
            weights="vggish",
            sample_rate=16000,
            resampler="kaiser_best",
            window_samples=16000,
            hop_samples=8000,
            peak_floor=0.1 / 32768,
            stats=FrechetSpec(covariance="unbiased"),
            notes=(
                "google-research frechet_audio_distance: mono 16 kHz, peak-normalised x/max(floor, amax(x)) "
                "(the reference divides raw int16 samples by max(0.1, amax), i.e. floor 0.1/32768 in "
                "[-1, 1] units), 1 s windows with 0.5 s hop, one 0.96 s example per window, VGGish "
                "embedding without ReLU or PCA, unbiased covariance. Stereo is averaged to mono and "
                "other rates are resampled with resampy kaiser_best (the reference expects 16 kHz mono)."
            ),
        ),
        FADPreset(
            name="fad/torchvggish",
            version="1",
            weights="vggish",
            sample_rate=16000,
            resampler="kaiser_best",
            window_samples=None,
            hop_samples=None,
            peak_floor=None,
            stats=FrechetSpec(covariance="unbiased"),
            notes=(
                "torchvggish frontend as gudgud96 frechet_audio_distance and fadtk use it: channel mean, "
                "resampy kaiser_best to 16 kHz, continuous non-overlapping 0.96 s examples, no peak "
                "normalisation; VGGish embedding with the final ReLU removed, no PCA; unbiased covariance."
            ),
        ),
    )
}

def presets_of(metric: str) -> dict[str, Preset]:
    """The presets of `metric` by name (read from `PRESETS` when called, so added presets are seen)."""
    return {name: p for name, p in PRESETS.items() if p.metric == metric}


def describe(preset: Preset) -> dict[str, Any]:
    """Every parameter of `preset` as plain JSON-able data (for results and stats files)."""
    return asdict(preset)
