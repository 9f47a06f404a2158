"""Farneback optical flow in torch, batched over frame pairs (non-canonical; see docs/av-align.md).

`farneback` computes what `cv2.calcOpticalFlowFarneback(prev, curr, None, *params.as_args())`
computes for each pair of a batch, stage by stage as OpenCV's CPU path does (modules/video/src/
optflowgf.cpp), on any torch device:

1. pyramid: level k (coarsest first) has scale s = pyr_scale**k; the float32 frame is
   Gaussian-blurred at full resolution (sigma (1/s - 1)/2, an odd kernel of cvRound(5 sigma) | 1
   >= 3 taps, reflect-101 border) and resized bilinearly (pixel centres, edge clamped) to
   cvRound(s W) x cvRound(s H). Levels stop before either side would drop below 32 px.
2. polynomial expansion: separable Gaussian-weighted least squares (2 poly_n + 1 taps,
   replicated border) giving 5 coefficients per pixel.
3. update matrices: the second frame's coefficients sampled bilinearly at x + flow, combined into
   the 2x2 system (G, h) per pixel, damped over a 5-pixel frame border.
4. blur: G and h averaged over the window (box of `winsize`, or Gaussian with
   OPTFLOW_FARNEBACK_GAUSSIAN), replicated border.
5. update flow: solve G d = h per pixel (with OpenCV's 1e-3 regulariser) for `iterations` rounds;
   the flow is upscaled bilinearly (x 1/pyr_scale) to initialise the next finer level.

Differences from OpenCV (measured in tests/test_torch_flow.py and benchmarks/torch_flow.py):
float32 as OpenCV, but the filters are depthwise convolutions where OpenCV runs row buffers, and
the polynomial expansion's horizontal pass sums in float32 where OpenCV uses double; the box
window is a float64 running sum and the 2x2 solve float64, as in OpenCV. Summation order differs
(and FMA use), so values agree to float rounding, not bit for bit; where the 2x2 systems are
near-singular (flat regions, discontinuous motion) rounding is amplified, for OpenCV too.

Batching several clips: `mean_magnitudes` takes any stack of pairs of one frame size;
`stream_trajectories` streams many clips through it, the pairs of consecutive clips of one frame
size in the same batches, and applies the AV-Align convention (`pair_values_to_trajectory`) per
clip.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Iterable, Iterator, TypeVar

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
from ..media import pyav_frames
from ..media.errors import require_file
from .presets import FarnebackParams

_MIN_LEVEL_SIDE = 32  # OpenCV stops adding pyramid levels before a side drops below this
_BORDER_DAMPING = (0.14, 0.14, 0.4472, 0.4472, 0.4472)  # weight of rows/columns 0..4 from an edge
_REGULARISER = 1e-3  # added to det(G) in the solve, as OpenCV does
# The two frames' quadratic coefficients are averaged; the cross term also halves OpenCV's factor 2.
_QUAD_WEIGHTS = torch.tensor([0.5, 0.5, 0.25])[None, :, None, None]
_FIXED_GAUSSIAN_3 = (0.25, 0.5, 0.25)  # getGaussianKernel(3, sigma <= 0): a fixed table, not exp()
K = TypeVar("K")


def default_device() -> torch.device:
    """"cuda" when a CUDA device is available, else "cpu"."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _check_params(params: FarnebackParams) -> None:
    if params.flags & cv2.OPTFLOW_USE_INITIAL_FLOW:
        raise ValueError("torch Farneback computes flow from zero; OPTFLOW_USE_INITIAL_FLOW is not supported")
    if params.flags & ~cv2.OPTFLOW_FARNEBACK_GAUSSIAN:
        raise ValueError(f"unknown Farneback flags {params.flags:#x}")
    if not 0 < params.pyr_scale < 1:
        raise ValueError(f"pyr_scale must be in (0, 1), got {params.pyr_scale}")
    if params.poly_n < 1 or params.winsize < 1 or params.iterations < 0 or params.levels < 0:
        raise ValueError(f"invalid Farneback parameters {params}")


def level_sizes(height: int, width: int, params: FarnebackParams) -> list[tuple[float, int, int]]:
    """Pyramid levels, coarsest first: (scale, height, width) in pixels, as OpenCV chooses them."""
    levels, scale = 0, 1.0
    while levels < params.levels:
        scale *= params.pyr_scale
        if width * scale < _MIN_LEVEL_SIDE or height * scale < _MIN_LEVEL_SIDE:
            break
        levels += 1
    sizes = []
    for k in range(levels, -1, -1):
        scale = 1.0
        for _ in range(k):  # repeated products, not pow: the same double as OpenCV
            scale *= params.pyr_scale
        sizes.append((scale, round(height * scale), round(width * scale)))  # round() = cvRound, half to even
    return sizes


def _smoothing_kernel(scale: float) -> np.ndarray:
    """The 1-D float32 kernel OpenCV's GaussianBlur uses before resizing to a level of `scale`."""
    sigma = (1.0 / scale - 1.0) * 0.5
    ksize = max(round(sigma * 5) | 1, 3)
    if sigma <= 0:  # the finest level: OpenCV passes sigma 0 and gets its fixed 3-tap table
        return np.array(_FIXED_GAUSSIAN_3, dtype=np.float32)
    x = np.arange(ksize, dtype=np.float64) - (ksize - 1) / 2
    kernel = np.exp(-0.5 * x * x / (sigma * sigma))
    return (kernel / kernel.sum()).astype(np.float32)


def _reflect_101(size: int, radius: int) -> list[int]:
    """Source index of each of `size + 2 radius` padded positions under OpenCV's
    BORDER_REFLECT_101 (`gfedcb|abcdefgh|gfedcba`), folding again for short axes."""
    out = []
    for p in range(-radius, size + radius):
        while size > 1 and not 0 <= p < size:
            p = -p if p < 0 else 2 * size - 2 - p
        out.append(p if size > 1 else 0)
    return out


def _pad(x: torch.Tensor, radius: int, dim: int, border: str) -> torch.Tensor:
    """`x` extended by `radius` on both sides of `dim` ("replicate" or "reflect_101")."""
    pad = (radius, radius, 0, 0) if dim == 3 else (0, 0, radius, radius)
    if border == "replicate":
        return F.pad(x, pad, mode="replicate")
    if radius < x.shape[dim]:  # torch's "reflect" is BORDER_REFLECT_101 while it does not fold twice
        return F.pad(x, pad, mode="reflect")
    index = torch.tensor(_reflect_101(x.shape[dim], radius), device=x.device)
    return x.index_select(dim, index)


def _correlate(x: torch.Tensor, kernels: np.ndarray, dim: int, border: str) -> torch.Tensor:
    """Channel c of `x` `(N, C, H, W)` correlated along `dim` (2 = rows, 3 = columns) with the odd
    1-D kernel `kernels[c]` (`kernels` `(C, taps)`), the border extended by `border`. Runs as one
    depthwise conv2d over N*C channels in channels-last layout (on CPU ~10x faster than a
    single-channel conv over a batch of N*C)."""
    n, c, h, w = x.shape
    taps = kernels.shape[1]
    y = _pad(x.reshape(1, n * c, h, w).contiguous(memory_format=torch.channels_last), taps // 2, dim, border)
    shape = (n * c, 1, taps, 1) if dim == 2 else (n * c, 1, 1, taps)
    weight = torch.as_tensor(np.tile(kernels, (n, 1)), dtype=x.dtype, device=x.device).view(shape)
    return F.conv2d(y, weight, groups=n * c).view(n, c, h, w)


def _separable(x: torch.Tensor, kernel: np.ndarray, border: str) -> torch.Tensor:
    """Every channel of `x` `(N, C, H, W)` correlated with the odd 1-D `kernel` vertically then
    horizontally, the border extended by `border` ("replicate" or "reflect_101")."""
    kernels = np.tile(kernel, (x.shape[1], 1))
    return _correlate(_correlate(x, kernels, 2, border), kernels, 3, border)


def pyramid_level(frames: torch.Tensor, scale: float, height: int, width: int) -> torch.Tensor:
    """`frames` `(N, 1, H, W)` float32 blurred for `scale` and resized to `(N, 1, height, width)`."""
    kernel = _smoothing_kernel(scale)
    blurred = _separable(frames, kernel, "reflect_101")
    if (height, width) == tuple(frames.shape[-2:]):
        return blurred
    return F.interpolate(blurred, size=(height, width), mode="bilinear", align_corners=False)


def _expansion_filters(n: int, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, ...]]:
    """OpenCV's polynomial-expansion kernels g, x g, x^2 g (float32, 2n+1 taps) and the entries
    (1,1), (0,3), (3,3), (5,5) of the inverse of the 6x6 normal-equation matrix (float64)."""
    if sigma < np.finfo(np.float32).eps:
        sigma = n * 0.3
    x = np.arange(-n, n + 1)
    g = np.exp(-x * x / (2 * sigma * sigma)).astype(np.float32)
    g = (g * (1.0 / g.astype(np.float64).sum())).astype(np.float32)
    xg = (x * g).astype(np.float32)
    xxg = (x * x * g).astype(np.float32)
    # OpenCV forms the products in float32 and sums them in double; do the same.
    gg = np.outer(g, g).astype(np.float32)
    xs = np.broadcast_to(x.astype(np.float32), gg.shape)
    ys = xs.T
    big = np.zeros((6, 6))
    big[0, 0] = gg.astype(np.float64).sum()
    big[1, 1] = (gg * xs * xs).astype(np.float64).sum()
    big[3, 3] = (gg * xs * xs * xs * xs).astype(np.float64).sum()
    big[5, 5] = (gg * xs * xs * ys * ys).astype(np.float64).sum()
    big[2, 2] = big[0, 3] = big[0, 4] = big[3, 0] = big[4, 0] = big[1, 1]
    big[4, 4] = big[3, 3]
    big[3, 4] = big[4, 3] = big[5, 5]
    inv = np.linalg.inv(big)
    return g, xg, xxg, (inv[1, 1], inv[0, 3], inv[3, 3], inv[5, 5])


def polynomial_expansion(images: torch.Tensor, n: int, sigma: float) -> torch.Tensor:
    """Quadratic fit per pixel of `images` `(N, 1, H, W)` float32 over a (2n+1)^2 Gaussian-weighted
    window: `(N, 5, H, W)` coefficients in OpenCV's order (y, x, y^2, x^2, xy)."""
    g, xg, xxg, (ig11, ig03, ig33, ig55) = _expansion_filters(n, sigma)
    # Vertical: smoothing, first and second moments in y.
    cols = _correlate(images.expand(-1, 3, -1, -1), np.stack([g, xg, xxg]), 2, "replicate")
    # Horizontal: the smoothed rows need g, x g and x^2 g, the y moment g and x g, the y^2 moment g.
    b1, b2, b4, b3, b6, b5 = _correlate(cols[:, [0, 0, 0, 1, 1, 2]], np.stack([g, xg, xxg, g, xg, g]), 3,
                                        "replicate").unbind(1)
    return torch.stack([b3 * ig11, b2 * ig11, b1 * ig03 + b5 * ig33, b1 * ig03 + b4 * ig33, b6 * ig55], dim=1)


def _border_damping(height: int, width: int, device: torch.device) -> torch.Tensor:
    """`(H, W)` float32 weight that damps the equations near the frame border (1 inside)."""
    def axis(size: int) -> tuple[torch.Tensor, torch.Tensor]:
        near = torch.ones(size, dtype=torch.float32)
        far = torch.ones(size, dtype=torch.float32)
        k = min(len(_BORDER_DAMPING), size)
        near[:k] = torch.tensor(_BORDER_DAMPING[:k])
        far[size - k:] = torch.tensor(_BORDER_DAMPING[:k][::-1])
        return near, far
    left, right = axis(width)
    top, bottom = axis(height)
    # OpenCV multiplies left * right * top * bottom in this order, in float32.
    return (((left * right)[None, :] * top[:, None]) * bottom[:, None]).to(device)


def update_matrices(r0: torch.Tensor, r1: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Per pixel the 2x2 system of one Farneback step: `r0`, `r1` `(B, 5, H, W)` coefficients of
    the two frames, `flow` `(B, 2, H, W)` current estimate (x, y) in pixels. Returns `(B, 5, H, W)`
    float32: G11, G12, G22, h1, h2."""
    b, _, h, w = r0.shape
    dx, dy = flow[:, 0], flow[:, 1]
    fx = torch.arange(w, dtype=torch.float32, device=flow.device) + dx
    fy = torch.arange(h, dtype=torch.float32, device=flow.device)[:, None] + dy
    x1, y1 = torch.floor(fx), torch.floor(fy)
    ax, ay = fx - x1, fy - y1
    # Bilinear sampling needs both neighbours inside; elsewhere OpenCV drops the second frame,
    # which zero weights do for the linear terms.
    inside = ((x1 >= 0) & (x1 < w - 1) & (y1 >= 0) & (y1 < h - 1))[:, None]
    if h > 1 and w > 1:
        top_left = (y1.clamp(0, h - 2) * w + x1.clamp(0, w - 2)).long().reshape(b, 1, h * w)
        flat = r1.reshape(b, 5, h * w)
        sampled = torch.zeros_like(r0)
        for offset, weight in ((0, (1 - ax) * (1 - ay)), (1, ax * (1 - ay)), (w, (1 - ax) * ay), (w + 1, ax * ay)):
            corner = torch.gather(flat, 2, (top_left + offset).expand(b, 5, h * w)).reshape(b, 5, h, w)
            sampled = sampled + torch.where(inside, weight[:, None], 0.0) * corner
    else:
        sampled = torch.zeros_like(r0)
    # Outside, OpenCV keeps the first frame's quadratic terms; averaging r0 with itself is exact.
    quad = (r0[:, 2:] + torch.where(inside, sampled[:, 2:], r0[:, 2:])) * _QUAD_WEIGHTS.to(r0.device)
    r2 = (r0[:, 0] - sampled[:, 0]) * 0.5
    r3 = (r0[:, 1] - sampled[:, 1]) * 0.5
    r4, r5, r6 = quad.unbind(1)
    r2 = r2 + (r4 * dy + r6 * dx)
    r3 = r3 + (r6 * dy + r5 * dx)
    r2, r3, r4, r5, r6 = (torch.stack([r2, r3, r4, r5, r6], dim=1) * _border_damping(h, w, r0.device)).unbind(1)
    return torch.stack([r4 * r4 + r6 * r6, (r4 + r5) * r6, r5 * r5 + r6 * r6, r4 * r2 + r6 * r3, r6 * r2 + r5 * r3],
                       dim=1)


def _gaussian_window(winsize: int) -> np.ndarray:
    """The 1-D float32 Gaussian (2 (winsize // 2) + 1 taps, sigma 0.3 per tap of radius) that
    OPTFLOW_FARNEBACK_GAUSSIAN averages the matrices with."""
    m = winsize // 2
    sigma = m * 0.3
    taps = np.ones(m + 1, dtype=np.float32)
    if m:
        taps[1:] = np.exp(-np.arange(1, m + 1) ** 2 / (2 * sigma * sigma)).astype(np.float32)
    total = 1.0 + 2.0 * taps[1:].astype(np.float64).sum()
    taps = (taps * (1.0 / total)).astype(np.float32)
    return np.concatenate([taps[:0:-1], taps])


def _box_sum(x: torch.Tensor, radius: int, dim: int) -> torch.Tensor:
    """Sum over `2 radius + 1` neighbours along `dim` (replicated border) by differences of a
    float64 running sum, as OpenCV's box filter keeps its running sums in double."""
    padded = _pad(x.to(torch.float64), radius, dim, "replicate")
    running = F.pad(torch.cumsum(padded, dim), (1, 0, 0, 0) if dim == 3 else (0, 0, 1, 0))
    size = x.shape[dim]
    return running.narrow(dim, 2 * radius + 1, size) - running.narrow(dim, 0, size)


def blur_matrices(matrices: torch.Tensor, winsize: int, gaussian: bool) -> torch.Tensor:
    """`matrices` `(B, 5, H, W)` float32 averaged over the `winsize` window with a replicated
    border: a Gaussian in float32 (OPTFLOW_FARNEBACK_GAUSSIAN) or a box in float64 (OpenCV
    divides the (2 (winsize // 2) + 1)^2 sum by winsize^2, which differs for an even winsize)."""
    if gaussian:
        return _separable(matrices, _gaussian_window(winsize), "replicate")
    m = winsize // 2
    return _box_sum(_box_sum(matrices, m, 2), m, 3) * (1.0 / (winsize * winsize))


def solve_flow(blurred: torch.Tensor) -> torch.Tensor:
    """Flow `(B, 2, H, W)` float32 in pixels from the blurred system `(B, 5, H, W)`, solved in
    float64 as OpenCV does (the determinant cancels)."""
    g11, g12, g22, h1, h2 = blurred.to(torch.float64).unbind(1)
    idet = 1.0 / (g11 * g22 - g12 * g12 + _REGULARISER)
    return torch.stack([(g11 * h2 - g12 * h1) * idet, (g22 * h1 - g12 * h2) * idet], dim=1).to(torch.float32)


def _as_float_frames(frames: torch.Tensor, name: str) -> torch.Tensor:
    if frames.dim() != 3:
        raise ValueError(f"{name} must be (B, H, W) grayscale frames, got shape {tuple(frames.shape)}")
    if frames.dtype not in (torch.uint8, torch.float32):
        raise ValueError(f"{name} must be uint8 or float32, got {frames.dtype}")
    return frames.to(torch.float32)


def farneback(prev: torch.Tensor, curr: torch.Tensor, params: FarnebackParams) -> torch.Tensor:
    """Dense flow from `prev` to `curr`, each `(B, H, W)` grayscale, uint8 or float32 (grey levels),
    on any device: `(B, H, W, 2)` float32 (x, y) displacement in pixels, per pair what
    `cv2.calcOpticalFlowFarneback(prev[i], curr[i], None, *params.as_args())` computes (flags 0
    or OPTFLOW_FARNEBACK_GAUSSIAN)."""
    _check_params(params)
    if prev.shape != curr.shape or prev.device != curr.device:
        raise ValueError(f"prev and curr differ: {tuple(prev.shape)} on {prev.device} vs "
                         f"{tuple(curr.shape)} on {curr.device}")
    batch, height, width = prev.shape
    both = torch.cat([_as_float_frames(prev, "prev"), _as_float_frames(curr, "curr")])[:, None]
    gaussian = bool(params.flags & cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
    flow: torch.Tensor | None = None
    for scale, h, w in level_sizes(height, width, params):
        if flow is None:
            flow = torch.zeros(batch, 2, h, w, dtype=torch.float32, device=prev.device)
        else:
            flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False) * (1.0 / params.pyr_scale)
        coefficients = polynomial_expansion(pyramid_level(both, scale, h, w), params.poly_n, params.poly_sigma)
        r0, r1 = coefficients[:batch], coefficients[batch:]
        matrices = update_matrices(r0, r1, flow)
        for i in range(params.iterations):
            flow = solve_flow(blur_matrices(matrices, params.winsize, gaussian))
            if i < params.iterations - 1:
                matrices = update_matrices(r0, r1, flow)
    assert flow is not None
    return flow.permute(0, 2, 3, 1).contiguous()


def mean_magnitudes(prev: torch.Tensor, curr: torch.Tensor, params: FarnebackParams) -> torch.Tensor:
    """Per pair the mean flow magnitude in pixels, `(B,)` float64 on the frames' device: the
    float32 `sqrt(fx^2 + fy^2)` averaged in float64, as `cv2.mean(cv2.magnitude(fx, fy))[0]`."""
    flow = farneback(prev, curr, params)
    magnitude = torch.sqrt(flow[..., 0] * flow[..., 0] + flow[..., 1] * flow[..., 1])
    return magnitude.to(torch.float64).mean(dim=(1, 2))


def pair_values_to_trajectory(values: np.ndarray) -> np.ndarray:
    """AV-Align's trajectory from the N-1 consecutive-pair values of an N-frame clip: `(N,)`
    float64 with the first pair counted twice (empty when there is no pair)."""
    values = np.asarray(values, dtype=np.float64)
    return values if values.size == 0 else np.concatenate([values[:1], values])


def flow_trajectory(gray_frames: Iterable[np.ndarray], params: FarnebackParams,
                    device: torch.device | str | None = None, batch_size: int = 16) -> np.ndarray:
    """A clip's `(N,)` float64 mean-flow trajectory (pixels per frame) from its `(H, W)` uint8
    grayscale frames, `[m(f0,f1), m(f0,f1), m(f1,f2), ..., m(f_{N-2},f_{N-1})]`, empty if N < 2.
    Frames stream through in batches of `batch_size` pairs, so memory does not grow with N."""
    ((_, trajectory),) = stream_trajectories([(None, gray_frames)], params, device, batch_size)
    if isinstance(trajectory, BaseException):
        raise trajectory
    return trajectory


@dataclass
class _Clip(Generic[K]):
    key: K
    values: list[float] = field(default_factory=list)
    error: InputError | None = None
    read: bool = False  # every frame read


def stream_trajectories(clips: Iterable[tuple[K, Iterable[np.ndarray]]], params: FarnebackParams,
                        device: torch.device | str | None = None,
                        batch_size: int = 16) -> Iterator[tuple[K, np.ndarray | InputError]]:
    """`(key, trajectory)` of each `(key, gray frames)` clip, in order, as `flow_trajectory`
    computes it, with the pairs of consecutive clips of one frame size batched together
    (`batch_size` pairs per call): short clips fill a batch between them, and memory holds one
    batch whatever the clips' lengths. A clip whose frames raise an InputError gets that error
    instead of a trajectory; the others go on."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = torch.device(device) if device is not None else default_device()
    prev: list[np.ndarray] = []
    curr: list[np.ndarray] = []
    owners: list[_Clip[K]] = []  # the clip of each pending pair
    waiting: list[_Clip[K]] = []  # clips not yet yielded, in order

    def flush() -> Iterator[tuple[K, np.ndarray | InputError]]:
        if owners:
            values = mean_magnitudes(torch.from_numpy(np.stack(prev)).to(device),
                                     torch.from_numpy(np.stack(curr)).to(device), params).tolist()
            for owner, value in zip(owners, values):
                owner.values.append(value)
            prev.clear()
            curr.clear()
            owners.clear()
        while waiting and waiting[0].read:
            clip = waiting.pop(0)
            yield clip.key, clip.error if clip.error is not None else pair_values_to_trajectory(np.asarray(clip.values))

    for key, frames in clips:
        clip = _Clip(key)
        waiting.append(clip)
        last: np.ndarray | None = None
        try:
            for frame in frames:
                if last is not None:
                    if prev and prev[0].shape != frame.shape:  # a batch holds one frame size
                        yield from flush()
                    prev.append(last)
                    curr.append(frame)
                    owners.append(clip)
                    if len(owners) == batch_size:
                        yield from flush()
                last = frame
        except InputError as exc:
            clip.error = exc
            keep = [i for i, owner in enumerate(owners) if owner is not clip]
            prev[:], curr[:], owners[:] = [prev[i] for i in keep], [curr[i] for i in keep], [owners[i] for i in keep]
        clip.read = True
    yield from flush()


_END = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def prefetched_gray_frames(path: str | Path, queue_size: int = 8) -> Iterator[np.ndarray]:
    """`(H, W)` uint8 grayscale frames of the video at `path`, decoded by PyAV in a background
    thread up to `queue_size` frames ahead, converted as the canonical path converts OpenCV's
    frames (bgr24, then `cv2.COLOR_BGR2GRAY`). A missing or undecodable file is an InputError
    naming it; the thread stops when the consumer stops early or decoding fails."""
    _, frames = pyav_frames(require_file(path, "video"), "bgr24")
    slots: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for frame in frames:
                if not put(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it in its thread
            put(_Failure(exc))
        finally:
            frames.close()  # type: ignore[attr-defined]

    worker = threading.Thread(target=produce, name=f"decode {Path(path).name}", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
