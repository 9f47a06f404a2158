"""Probing, decoding and pairing on real container files and generated ones."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from avbench.metrics.media import decode_audio_track, find_videos, load_audio, pair_videos, probe, pyav_frames, read_manifest
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align.flow import opencv_frames
from avbench.metrics.errors import InputError

# (file, fps, width, height, has audio, audio rate, audio channels) as media/README.md states
REAL_MEDIA = [
    ("moviepy_big_buck_bunny_432_433.webm", 24.0, 1280, 720, True, 44100, 2),
    ("moviepy_chaplin.mp4", 25.0, 640, 360, True, 44100, 2),
    ("moviepy_smpte-2997.mp4", 25.0, 1920, 1080, True, 48000, 2),
    ("moviepy_no_duration.webm", 15000 / 1001, 1280, 720, True, 48000, 2),
    ("moviepy_transparent.webm", 30.0, 200, 200, True, 48000, 2),
    ("moviepy_example2.mp4", 24.0, 1280, 720, True, 44100, 2),
    ("moviepy_example.mp4", 25.0, 640, 480, False, None, None),
    ("moviepy_1x1_no_audio.mp4", 1.0, 1, 1, False, None, None),
    ("mmdiffusion_landscape.mp4", 10.0, 256, 256, True, 16000, 2),
]


@pytest.mark.parametrize("name,fps,width,height,has_audio,rate,channels", REAL_MEDIA)
def test_probe_reads_what_the_media_readme_states(real_media, name, fps, width, height, has_audio, rate, channels):
    info = probe(real_media / name)
    assert info.fps == pytest.approx(fps, rel=1e-9)
    assert (info.width, info.height) == (width, height)
    assert info.has_audio == has_audio
    if has_audio:
        assert (info.audio_streams[0].sample_rate, info.audio_streams[0].channels) == (rate, channels)


def test_mmdiffusion_samples_are_multiples_of_17_frames(real_media):
    assert probe(real_media / "mmdiffusion_landscape.mp4").n_frames == 52 * 17


def test_opencv_and_pyav_stream_the_same_number_of_frames(real_media):
    path = real_media / "moviepy_chaplin.mp4"
    fps_cv, frames_cv = opencv_frames(path)
    fps_av, frames_av = pyav_frames(path, "bgr24")
    first = next(frames_cv)
    assert first.shape == (360, 640, 3) and first.dtype == np.uint8
    assert 1 + sum(1 for _ in frames_cv) == sum(1 for _ in frames_av) == probe(path).n_frames
    assert fps_cv == fps_av == 25.0


def test_audio_tracks_decode_for_each_codec(real_media):
    for name, rate in (("moviepy_big_buck_bunny_432_433.webm", 44100), ("moviepy_chaplin.mp4", 44100),
                       ("moviepy_smpte-2997.mp4", 48000), ("moviepy_no_duration.webm", 48000)):
        samples, sr = decode_audio_track(real_media / name)
        assert sr == rate and samples.shape[0] == 2 and samples.dtype == np.float32
        assert samples.shape[1] > 0.5 * rate and np.abs(samples).max() <= 1.0 + 1e-6
    with pytest.raises(InputError, match="moviepy_example.mp4: the container has no audio stream"):
        decode_audio_track(real_media / "moviepy_example.mp4")


def test_wav_and_its_track_counterpart_load_alike(tmp_path):
    clip = SyntheticClip(name="w", sample_rate=16000, channels=2)
    _, wav = write_clip(clip, tmp_path)
    y, sr = load_audio(wav, sample_rate=None, mono=False)
    raw, raw_sr = sf.read(wav, dtype="float32", always_2d=True)
    assert sr == raw_sr == 16000
    np.testing.assert_array_equal(y, raw.T)
    mono, _ = load_audio(wav, sample_rate=None)
    np.testing.assert_allclose(mono, raw.mean(axis=1), atol=1e-7)


def test_pairing_order_manifest_then_audio_dir_then_beside_then_track(tmp_path):
    videos, audio_dir = tmp_path / "v", tmp_path / "a"
    for name in ("m", "d", "b", "t"):
        write_clip(SyntheticClip(name=name, n_frames=6, event_frames=()), videos)
    audio_dir.mkdir()
    for name in ("m", "d"):
        (videos / f"{name}.wav").rename(audio_dir / f"{name}.wav")
    (videos / "t.wav").unlink()
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("sample_id,video_path,audio_path\nmm,v/m.mp4,a/m.wav\n")
    pairs = {p.video.name: p for p in pair_videos([videos], audio_dir=audio_dir, manifest=manifest)}
    assert pairs["m.mp4"].source == "manifest" and pairs["m.mp4"].sample_id == "mm"
    assert pairs["d.mp4"].source == "audio-dir" and pairs["d.mp4"].audio == audio_dir / "d.wav"
    assert pairs["b.mp4"].source == "beside" and pairs["b.mp4"].audio == videos / "b.wav"
    assert pairs["t.mp4"].source == "track" and pairs["t.mp4"].audio is None
    assert len(pairs) == 4


def test_find_videos_recurses_and_ignores_other_files(tmp_path):
    write_clip(SyntheticClip(name="x", n_frames=4, event_frames=()), tmp_path / "deep" / "er")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in find_videos([tmp_path])] == ["x.mp4"]
    with pytest.raises(InputError, match="no such file or folder"):
        find_videos([tmp_path / "missing"])


@pytest.mark.parametrize("content,message", [
    ("sample_id,video_path\nx,a.mp4\n", "manifest lacks column(s) audio_path"),
    ("sample_id,video_path,audio_path\nx,a.mp4,\nx,b.mp4,\n", "line 3: duplicate sample_id 'x'"),
    ("sample_id,video_path,audio_path\n,a.mp4,\n", "line 2: empty sample_id or video_path"),
])
def test_manifest_errors_name_the_file_and_line(tmp_path, content, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(content)
    with pytest.raises(InputError, match=f"m.csv: {message}".replace("(", r"\(").replace(")", r"\)")):
        read_manifest(manifest)


def test_manifest_paths_are_relative_to_the_manifest(tmp_path):
    manifest = tmp_path / "sub" / "m.csv"
    manifest.parent.mkdir()
    manifest.write_text("sample_id,video_path,audio_path,label\nx,clips/a.mp4,,drums\n")
    (pair,) = read_manifest(manifest)
    assert pair.video == tmp_path / "sub" / "clips" / "a.mp4" and pair.audio is None and pair.label == "drums"
