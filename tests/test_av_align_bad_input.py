"""Bad input: each clip fails with one line naming the file and the problem; the batch goes on.
A clip of which only some frames decode is scored on those, as the official code scores it, with
a named warning."""
from __future__ import annotations

import json

import pytest

from avbench.benchmark.cli import main
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics.av_align import AVAlign, get_preset
from avbench.metrics.av_align.runner import measure_clips
from avbench.metrics.media import pair_videos
from avbench.metrics.metric import MapContext
from media_fixtures import truncated_mp4, zero_fps_mp4


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    write_clip(SyntheticClip(name="good"), folder)
    truncated_mp4(folder, faststart=False)
    truncated_mp4(folder, faststart=True)
    (folder / "text.mp4").write_text("this is not a video\n")
    write_clip(SyntheticClip(name="no_audio", audio_in_container=False), folder)
    (folder / "no_audio.wav").unlink()
    write_clip(SyntheticClip(name="one_frame", n_frames=1, event_frames=()), folder)
    zero_fps_mp4(folder)
    write_clip(SyntheticClip(name="bad_wav"), folder)
    (folder / "bad_wav.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    return folder


EXPECTED = {
    "truncated_plain.mp4": "not a readable media container",
    "text.mp4": "not a readable media container",
    "no_audio.mp4": "no audio: no audio file is paired with it",
    "one_frame.mp4": "1 decodable frame(s); AV-Align needs at least 2",
    "zero_fps.mp4": "container reports no frame rate",
    "bad_wav.mp4": "cannot read audio (Error in WAV file",
}


def test_each_bad_clip_gets_a_one_line_reason_and_the_batch_goes_on(bad_folder):
    samples = [pair.to_sample() for pair in pair_videos([bad_folder])]
    video_of = {s.sample_id: s.video for s in samples}
    run = measure_clips(samples, get_preset(), workers=2, progress=False)
    assert set(run.signals) == {"good", "truncated_faststart"} and video_of["good"] == bad_folder / "good.mp4"
    assert run.signals["good"].warnings == ()
    partial = [w for w in run.signals["truncated_faststart"].warnings if "partial-decode" in w]
    assert len(partial) == 1 and partial[0].startswith(f"{bad_folder / 'truncated_faststart.mp4'}: partial-decode: ")
    by_name = {video_of[k].name: v for k, v in run.failures.items()}
    assert set(by_name) == set(EXPECTED)
    for name, fragment in EXPECTED.items():
        message = by_name[name]
        assert fragment in message, (name, message)
        assert "\n" not in message
        stem = name.rsplit(".", 1)[0]
        assert stem in message  # names the file (the video, or its paired wav)


def test_fps_override_scores_a_container_without_frame_rate(bad_folder):
    samples = [p.to_sample() for p in pair_videos([bad_folder]) if p.video.name == "zero_fps.mp4"]
    metric = AVAlign("tempotokens-2025", fps=24.0)
    mapped = metric.map(samples, MapContext(workers=1, progress=False))
    assert not mapped.failures
    result = metric.clip_result(mapped.features[samples[0].sample_id])
    assert result.fps == 24.0 and result.n_frames == 12
    # its flow now cached, the clip without the override is refused in the same line as uncached
    again = AVAlign("tempotokens-2025").map(samples, MapContext(workers=1, progress=False))
    (message,) = again.failures.values()
    assert EXPECTED["zero_fps.mp4"] in message and "pass --fps" in message


def test_cli_records_failures_and_exits_zero_when_any_clip_scored(bad_folder, tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["av-align", str(bad_folder), "--json", str(out), "--quiet", "--workers", "2"]) == 0
    record = json.loads(out.read_text())
    assert record["n"] + record["n_undefined"] == 2 and record["n_failed"] == len(EXPECTED)
    assert record["n_warned"] == 1
    assert {f["video"].rsplit("/", 1)[-1] for f in record["failures"]} == set(EXPECTED)
    err = capsys.readouterr().err
    assert err.count("failed: ") == len(EXPECTED) and "Traceback" not in err


def test_cli_exits_nonzero_with_a_summary_when_nothing_scored(bad_folder, capsys):
    code = main(["av-align", str(bad_folder / "text.mp4"), str(bad_folder / "one_frame.mp4"), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no clip could be scored (2 failed)" in err and "Traceback" not in err


def test_cli_reports_a_missing_path_without_traceback(tmp_path, capsys):
    assert main(["av-align", str(tmp_path / "nope.mp4")]) == 2
    err = capsys.readouterr().err
    assert "nope.mp4: no such file or folder" in err and "Traceback" not in err


def test_offset_estimate_with_nothing_scored_exits_with_the_summary(bad_folder, capsys):
    code = main(["av-align", str(bad_folder / "text.mp4"), "--estimate-offset", "--quiet"])
    assert code == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"avbench av-align: no clip could be scored: {bad_folder / 'text.mp4'}: "
                                         "not a readable media container (Invalid data found when processing input)"]
    assert "audio offset" not in captured.out
