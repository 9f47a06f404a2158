"""Which frames a video contributes to FVD, and the presets' pinned parameters."""
import dataclasses

import numpy as np
import pytest

from avbench.metrics.errors import InputError
from avbench.metrics.frames import clip_indices
from avbench.metrics.catalogue import metric_class
from avbench.metrics.presets import PRESETS, ClipSampling, describe


def test_start_offset_takes_the_first_frames_at_the_stride():
    np.testing.assert_array_equal(clip_indices(40, ClipSampling(length=16)), np.arange(16))
    np.testing.assert_array_equal(clip_indices(40, ClipSampling(length=4, stride=3)), [0, 3, 6, 9])
    np.testing.assert_array_equal(clip_indices(10, ClipSampling(length=4, stride=3)), [0, 3, 6, 9])


def test_too_short_video_is_an_error_naming_the_file():
    with pytest.raises(InputError, match=r"a\.mp4: video has 9 frames; the preset needs 10 \(4 frames at stride 3\)"):
        clip_indices(9, ClipSampling(length=4, stride=3), source="a.mp4")
    with pytest.raises(InputError, match="video has 15 frames; the preset needs 16"):
        clip_indices(15, PRESETS["fvd/styleganv"].clip)


def test_random_offset_depends_on_seed_and_key_only():
    clip = ClipSampling(length=8, stride=2, offset="random", seed=5)
    starts = {key: clip_indices(100, clip, key=key)[0] for key in ("a.mp4", "b.mp4", "c.mp4", "d.mp4")}
    assert all(0 <= s <= 100 - clip.span for s in starts.values()) and len(set(starts.values())) > 1
    assert starts == {key: clip_indices(100, clip, key=key)[0] for key in starts}  # order-independent
    other_seed = dataclasses.replace(clip, seed=6)
    assert starts != {key: clip_indices(100, other_seed, key=key)[0] for key in starts}
    with pytest.raises(InputError, match="needs the video's key"):
        clip_indices(100, clip)


def test_presets_pin_the_canonical_parameters():
    defaults = {name: metric_class(name).default_preset for name in ("fvd", "fid", "kid", "fad")}
    assert defaults == {"fvd": "fvd/styleganv", "fid": "fid/ttur", "kid": "kid/ttur", "fad": "fad/google"}
    tf, vg = PRESETS["fvd/styleganv"], PRESETS["fvd/videogpt"]
    assert (tf.bn_eps, tf.frames.resize_kernel, tf.frames.geometry, tf.weights) == (1e-3, "tf1-bilinear", "direct", "i3d-styleganv")
    assert (vg.bn_eps, vg.frames.resize_kernel, vg.frames.geometry, vg.weights) == (1e-5, "torch-bilinear", "short-side-crop", "i3d-videogpt")
    kid = PRESETS["kid/ttur"]
    assert (kid.subsets, kid.subset_size, kid.degree, kid.gamma, kid.coef0, kid.seed) == (100, 1000, 3, None, 1.0, 2020)
    google, torchvggish = PRESETS["fad/google"], PRESETS["fad/torchvggish"]
    assert (google.window_samples, google.hop_samples, google.peak_floor) == (16000, 8000, 0.1 / 32768)
    assert (torchvggish.window_samples, torchvggish.peak_floor) == (None, None)
    for preset in PRESETS.values():
        record = describe(preset)
        assert record["name"] == preset.name and record["version"] and record["metric"] == preset.name.split("/")[0]


def test_unknown_or_mismatched_preset_is_an_error():
    with pytest.raises(InputError, match="unknown fvd preset 'fvd/nope'; known: fvd/styleganv, fvd/videogpt"):
        metric_class("fvd").resolve_preset("fvd/nope")
    with pytest.raises(InputError, match="is a fid preset, not fvd"):
        metric_class("fvd").resolve_preset("fid/ttur")
