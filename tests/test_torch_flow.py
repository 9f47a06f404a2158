"""The torch Farneback (`metrics/av_align/torch_flow.py`) against `cv2.calcOpticalFlowFarneback`,
its batching and trajectory convention, and its PyAV prefetch decoder against `cv2.VideoCapture`.

Tolerances. Where the motion is smooth (a translated texture, shifted noise) the torch flow
differs from OpenCV's by float32 rounding only: measured per-pixel errors are up to ~2e-5 px
(mean 5e-8 to 7e-7 px) over the parameter sets below, per-pair mean magnitudes ~3e-8 relative.
The bounds (1e-3 px per pixel, 1e-5 px mean, 1e-5 relative) leave a margin of ~50x and still
fail on any systematic difference (a wrong border mode, kernel or pyramid size moves flows by
1e-2 px or more). Where objects move over a still background (blobs) the motion is
discontinuous and the solution is sensitive to rounding: OpenCV itself moves by up to 0.16 px
per pixel, 5e-4 px on average and 1.6e-3 relative on the mean magnitude when its float input
changes by 1e-3 grey levels, and torch's measured differences (up to 0.13 px, 1.6e-4 px mean,
2.7e-4 relative) are of that order; there the bounds are 1e-3 px mean and 2e-3 relative, with no
per-pixel bound. Flat regions are avoided: there the 2x2 systems are singular up to rounding and
OpenCV moves by hundreds of pixels when its input changes by 1e-5 grey levels (docs/av-align.md).
"""
from __future__ import annotations

import threading
from fractions import Fraction

import cv2
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align.flow import flow_value
from avbench.metrics.av_align.presets import FarnebackParams
from avbench.metrics.av_align.torch_flow import (default_device, farneback, flow_trajectory, level_sizes,
                                                 mean_magnitudes, prefetched_gray_frames, stream_trajectories)
from avbench.metrics.errors import InputError

# (per-pixel max error px or None, mean error px, relative error of the mean magnitude)
SMOOTH = (1e-3, 1e-5, 1e-5)
DISCONTINUOUS = (None, 1e-3, 2e-3)

PARAMS = {
    "default": FarnebackParams(),
    "levels1": FarnebackParams(levels=1),
    "win9-poly7": FarnebackParams(winsize=9, poly_n=7, poly_sigma=1.5),
    "gaussian": FarnebackParams(flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN),
    "gaussian-win9-poly7-levels1": FarnebackParams(levels=1, winsize=9, poly_n=7, poly_sigma=1.5,
                                                   flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN),
    "even-winsize": FarnebackParams(winsize=10, iterations=2),
}


def texture(h: int, w: int, seed: int, cell: int = 4) -> np.ndarray:
    """A smooth random uint8 texture `(h, w)`: noise on a grid of `cell` px, cubic-interpolated,
    kept off 0 and 255 so that the cubic's overshoot leaves no clipped (flat) patch."""
    rng = np.random.default_rng(seed)
    coarse = (0.15 + 0.7 * rng.random((h // cell + 2, w // cell + 2))).astype(np.float32)
    return np.clip(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC) * 255, 0, 255).astype(np.uint8)


def translated(h: int, w: int, dx: int, dy: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured frame and the same texture moved by (dx, dy) px."""
    big = texture(h + 16, w + 16, seed)
    return big[8:8 + h, 8:8 + w].copy(), big[8 - dy:8 - dy + h, 8 - dx:8 - dx + w].copy()


def noise(h: int, w: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel uniform noise, then the same noise moved by one pixel with fresh noise added."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w), dtype=np.uint8)
    b = np.roll(a, 1, axis=1).astype(np.int16) + rng.integers(-8, 9, (h, w))
    return a, np.clip(b, 0, 255).astype(np.uint8)


def blobs(h: int, w: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bright Gaussian blobs on a faint texture, each moving its own way by up to 3 px."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = []
    centres = rng.uniform([10, 10], [w - 10, h - 10], size=(4, 2))
    moves = rng.uniform(-3, 3, size=(4, 2))
    for t in (0, 1):
        img = texture(h, w, seed, cell=8).astype(np.float32) * 0.3
        for (cx, cy), (mx, my) in zip(centres, moves):
            img += 160 * np.exp(-((xx - cx - t * mx) ** 2 + (yy - cy - t * my) ** 2) / (2 * 6.0 ** 2))
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames[0], frames[1]


SCENES = {
    "translated-160x120": (lambda: translated(120, 160, 2, -1, 0), SMOOTH),
    "translated-97x73": (lambda: translated(73, 97, -3, 2, 1), SMOOTH),
    "noise-128x96": (lambda: noise(96, 128, 2), SMOOTH),
    "blobs-160x120": (lambda: blobs(120, 160, 9), DISCONTINUOUS),
}


def torch_flow(a: np.ndarray, b: np.ndarray, params: FarnebackParams) -> np.ndarray:
    return farneback(torch.from_numpy(a)[None], torch.from_numpy(b)[None], params)[0].numpy()


def assert_agrees(a: np.ndarray, b: np.ndarray, params: FarnebackParams,
                  tolerances: tuple[float | None, float, float] = SMOOTH) -> None:
    max_pixel, max_mean, max_rel = tolerances
    ref = cv2.calcOpticalFlowFarneback(a, b, None, *params.as_args())
    got = torch_flow(a, b, params)
    assert got.shape == ref.shape and got.dtype == np.float32
    err = np.abs(got - ref)
    assert (max_pixel is None or err.max() <= max_pixel) and err.mean() <= max_mean, (err.max(), err.mean())
    expected = flow_value(ref)
    value = mean_magnitudes(torch.from_numpy(a)[None], torch.from_numpy(b)[None], params).item()
    assert abs(value - expected) <= max_rel * expected, (value, expected)


@pytest.mark.parametrize("params", PARAMS.values(), ids=PARAMS.keys())
@pytest.mark.parametrize("scene", SCENES.values(), ids=SCENES.keys())
def test_flow_agrees_with_opencv(scene, params):
    make, tolerances = scene
    assert_agrees(*make(), params, tolerances)


@pytest.mark.parametrize("params", [PARAMS["default"], PARAMS["gaussian"]], ids=["box", "gaussian"])
def test_three_pyramid_levels_agree_with_opencv(params):
    """256 x 256 is the smallest frame on which OpenCV builds all 3 levels (32 px minimum side)."""
    a, b = translated(256, 256, 5, 3, 4)
    assert [size[1:] for size in level_sizes(256, 256, params)] == [(32, 32), (64, 64), (128, 128), (256, 256)]
    assert_agrees(a, b, params)


def test_known_motion_is_recovered():
    """Not only equal to OpenCV: inside the frame the flow is the translation applied."""
    a, b = translated(120, 160, 2, -1, 5)
    flow = torch_flow(a, b, PARAMS["default"])[20:-20, 20:-20]
    assert np.median(flow[..., 0]) == pytest.approx(2, abs=0.05)
    assert np.median(flow[..., 1]) == pytest.approx(-1, abs=0.05)


@settings(max_examples=12, deadline=None)
@given(dx=st.integers(-4, 4), dy=st.integers(-4, 4), seed=st.integers(0, 2**16),
       gaussian=st.booleans(), poly_n=st.sampled_from([5, 7]))
def test_any_small_translation_agrees_with_opencv(dx, dy, seed, gaussian, poly_n):
    params = FarnebackParams(levels=1, poly_n=poly_n, poly_sigma=1.1 if poly_n == 5 else 1.5,
                             flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN if gaussian else 0)
    assert_agrees(*translated(48, 64, dx, dy, seed), params)


def test_a_batch_equals_each_pair_alone():
    pairs = [translated(96, 128, 1, 2, 6), noise(96, 128, 7), blobs(96, 128, 8)]
    prev = torch.from_numpy(np.stack([a for a, _ in pairs]))
    curr = torch.from_numpy(np.stack([b for _, b in pairs]))
    batched = farneback(prev, curr, PARAMS["default"])
    assert batched.shape == (3, 96, 128, 2) and batched.dtype == torch.float32
    for i in range(3):
        alone = farneback(prev[i:i + 1], curr[i:i + 1], PARAMS["default"])[0]
        assert torch.equal(batched[i], alone), (batched[i] - alone).abs().max()


def test_uint8_and_float32_frames_give_the_same_flow():
    a, b = blobs(96, 128, 9)
    as_uint8 = farneback(torch.from_numpy(a)[None], torch.from_numpy(b)[None], PARAMS["gaussian"])
    as_float = farneback(torch.from_numpy(a.astype(np.float32))[None], torch.from_numpy(b.astype(np.float32))[None],
                         PARAMS["gaussian"])
    assert torch.equal(as_uint8, as_float)


def test_mean_magnitudes_is_the_mean_of_the_flow_magnitude():
    a, b = translated(96, 128, 3, 1, 10)
    prev, curr = torch.from_numpy(a)[None], torch.from_numpy(b)[None]
    flow = farneback(prev, curr, PARAMS["default"])[0].numpy().astype(np.float64)
    value = mean_magnitudes(prev, curr, PARAMS["default"])
    assert value.dtype == torch.float64 and value.shape == (1,)
    assert value.item() == pytest.approx(np.hypot(flow[..., 0], flow[..., 1]).mean(), rel=1e-6)


def test_initial_flow_and_unknown_flags_are_refused():
    a = torch.zeros(1, 48, 64, dtype=torch.uint8)
    with pytest.raises(ValueError, match="OPTFLOW_USE_INITIAL_FLOW is not supported"):
        farneback(a, a, FarnebackParams(flags=cv2.OPTFLOW_USE_INITIAL_FLOW))
    with pytest.raises(ValueError, match="unknown Farneback flags"):
        farneback(a, a, FarnebackParams(flags=1))


def clip_frames(n: int, seed: int = 11) -> list[np.ndarray]:
    """`n` frames of a texture drifting by a varying amount, so every pair has its own value."""
    big = texture(48 + 40, 64 + 40, seed)
    return [big[20 + k % 3:20 + k % 3 + 48, 20 + (k * k) % 7:20 + (k * k) % 7 + 64].copy() for k in range(n)]


def test_trajectory_counts_the_first_pair_twice():
    frames = clip_frames(6)
    stack = torch.from_numpy(np.stack(frames))
    pairs = mean_magnitudes(stack[:-1], stack[1:], PARAMS["default"]).numpy()
    traj = flow_trajectory(iter(frames), PARAMS["default"], device="cpu", batch_size=4)
    assert traj.dtype == np.float64 and traj.shape == (6,)
    np.testing.assert_array_equal(traj, np.concatenate([pairs[:1], pairs]))
    assert len(set(traj[1:].tolist())) == 5  # the pairs differ, so the check above tells them apart


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_frames_give_an_empty_trajectory(n):
    traj = flow_trajectory(iter(clip_frames(n)), PARAMS["default"], device="cpu")
    assert traj.shape == (0,) and traj.dtype == np.float64


def test_streaming_batch_size_does_not_change_the_trajectory():
    frames = clip_frames(11)
    one = flow_trajectory(iter(frames), PARAMS["default"], device="cpu", batch_size=1)
    seven = flow_trajectory(iter(frames), PARAMS["default"], device="cpu", batch_size=7)
    np.testing.assert_array_equal(one, seven)


def test_pairs_of_several_clips_batch_together():
    """Consecutive clips share batches (sizes 5, 1 and 4 frames in batches of 3 pairs); a clip of
    another frame size starts its own; a clip whose decoding fails gets its error and the rest go on."""
    clips = [np.stack(clip_frames(n, seed)) for n, seed in ((5, 12), (1, 13), (4, 14))]
    other_size = np.stack([f[:-8, :-8].copy() for f in clip_frames(6, 15)])

    def failing():
        yield from clips[0][:3]
        raise InputError("broken.mp4", "video decoding failed")

    inputs = [("a", iter(clips[0])), ("b", iter(clips[1])), ("broken", failing()), ("c", iter(clips[2])),
              ("small", iter(other_size))]
    together = list(stream_trajectories(inputs, PARAMS["default"], device="cpu", batch_size=3))
    assert [key for key, _ in together] == ["a", "b", "broken", "c", "small"]
    got = dict(together)
    assert isinstance(got["broken"], InputError) and "broken.mp4" in str(got["broken"])
    assert [got[k].shape for k in ("a", "b", "c", "small")] == [(5,), (0,), (4,), (6,)]
    for key, clip in (("a", clips[0]), ("b", clips[1]), ("c", clips[2]), ("small", other_size)):
        np.testing.assert_array_equal(got[key], flow_trajectory(iter(clip), PARAMS["default"], device="cpu"))


def test_default_device_is_cuda_only_when_available():
    assert default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory):
    clip = SyntheticClip(name="prefetch", n_frames=20, width=96, height=72, fps=Fraction(12), event_frames=(5, 12))
    video, _ = write_clip(clip, tmp_path_factory.mktemp("prefetch"))
    return video


def decoder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("decode ")]


def test_prefetch_decoder_yields_opencv_gray_frames(clip_path):
    cap = cv2.VideoCapture(str(clip_path))
    expected = []
    while (read := cap.read())[0]:
        expected.append(cv2.cvtColor(read[1], cv2.COLOR_BGR2GRAY))
    cap.release()
    got = list(prefetched_gray_frames(clip_path, queue_size=2))
    assert len(got) == len(expected) == 20
    for g, e in zip(got, expected):
        assert g.dtype == np.uint8 and g.shape == (72, 96)
        np.testing.assert_array_equal(g, e)
    assert not decoder_threads()


def test_prefetch_decoder_stops_when_the_consumer_stops_early(clip_path):
    frames = prefetched_gray_frames(clip_path, queue_size=1)
    next(frames), next(frames)
    assert decoder_threads()  # blocked on the full queue
    frames.close()
    assert not decoder_threads()


def test_prefetch_decoder_reports_a_missing_file_in_one_line(tmp_path):
    missing = tmp_path / "missing.mp4"
    with pytest.raises(InputError) as caught:
        list(prefetched_gray_frames(missing))
    assert str(caught.value) == f"{missing}: no such file"


def test_prefetch_decoder_reports_a_broken_file_in_one_line(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    with pytest.raises(InputError) as caught:
        list(prefetched_gray_frames(broken))
    message = str(caught.value)
    assert message.startswith(f"{broken}: ") and "\n" not in message
    assert not decoder_threads()


def test_prefetch_decoder_reports_a_decoding_failure_and_stops(tmp_path, monkeypatch):
    """A failure in the decoding thread reaches the consumer as the InputError it was, and the
    thread is gone."""
    clip = SyntheticClip(name="fails", n_frames=10, width=64, height=48)
    video, _ = write_clip(clip, tmp_path)
    import avbench.metrics.av_align.torch_flow as module

    real = module.pyav_frames

    def failing(path, pixel_format):
        fps, frames = real(path, pixel_format)

        def some_then_fail():
            yield next(frames)
            frames.close()
            raise InputError(path, "video decoding failed (simulated)")

        return fps, some_then_fail()

    monkeypatch.setattr(module, "pyav_frames", failing)
    received = []
    with pytest.raises(InputError, match=r"fails\.mp4: video decoding failed \(simulated\)"):
        for frame in prefetched_gray_frames(video):
            received.append(frame)
    assert len(received) == 1
    assert not decoder_threads()


# --- `avbench av-align --flow torch`, as a user runs it ---------------------------------------

def test_av_align_with_torch_flow_as_a_user_runs_it(tmp_path):
    """The torch flow path in a fresh `avbench` process: the parameters and notes say it is not
    canonical; its trajectories agree with the canonical ones to float rounding and, on these
    clips, every per-clip score is the canonical one; its flow entries do not replace the
    canonical ones in the cache; a broken clip fails alone, in one line."""
    import json

    from harness_support import run_installed

    clips = tmp_path / "clips"
    for k, size in enumerate(((96, 72), (96, 72), (128, 96))):
        write_clip(SyntheticClip(name=f"clip{k}", n_frames=30, width=size[0], height=size[1], fps=Fraction(12),
                                 event_frames=(6, 14, 22), seed=k), clips)
    (clips / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    (clips / "broken.wav").write_bytes((clips / "clip0.wav").read_bytes())
    env = {"AVBENCH_CACHE": str(tmp_path / "cache")}
    records = {}
    for flow in ("opencv", "torch", "torch"):  # the second torch run reads its own cache entries
        out = tmp_path / f"{flow}.json"
        done = run_installed(["av-align", str(clips), "--flow", flow, "--flow-device", "cpu" if flow == "torch" else "auto",
                              "--quiet", "--json", str(out)], env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        records.setdefault(flow, []).append((json.loads(out.read_text()), done))
    canonical, _ = records["opencv"][0]
    for record, done in records["torch"]:
        assert record["parameters"]["flow"] == "torch" and record["parameters"]["device"] == "cpu"
        assert "flow torch: not canonical" in done.stdout
        failed = [line for line in done.stderr.splitlines() if line.startswith("failed:")]
        assert len(failed) == 1 and "broken.mp4" in failed[0]
        assert {c["video"]: c["score"] for c in record["clips"]} == {c["video"]: c["score"] for c in canonical["clips"]}
    assert "flow" not in canonical["parameters"]
    assert records["torch"][0][0]["clips"] == records["torch"][1][0]["clips"]


def test_torch_flow_trajectories_agree_with_the_canonical_ones(tmp_path):
    from avbench.metrics.av_align import get_preset
    from avbench.metrics.av_align.runner import measure_clips
    from avbench.metrics.media import pair_videos

    for k in range(2):
        write_clip(SyntheticClip(name=f"c{k}", n_frames=24, width=96, height=72, event_frames=(5, 12, 18), seed=k),
                   tmp_path)
    samples = [pair.to_sample() for pair in pair_videos([tmp_path])]
    canonical = measure_clips(samples, get_preset(), workers=1, use_cache=False, progress=False)
    torch_run = measure_clips(samples, get_preset(), use_cache=False, progress=False, flow="torch", flow_device="cpu")
    assert not canonical.failures and not torch_run.failures
    for sample_id, signals in canonical.signals.items():
        other = torch_run.signals[sample_id]
        assert other.decoder == "pyav" and other.n_frames == signals.n_frames and other.fps == signals.fps
        np.testing.assert_allclose(other.trajectory, signals.trajectory, rtol=2e-3, atol=1e-3)
        assert np.array_equal(other.envelope, signals.envelope)
