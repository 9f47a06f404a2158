"""The harness on the tiny synthetic benchmark the package generates itself: benchmark
definitions, generation (controls, folder, resume), scoring into a run directory, the results
schema, validation of bad inputs, shards + merge, and the report."""
from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from avbench.benchmark import run_dir as rd
from avbench.benchmark.adapters.controls import cyclic_derangement
from avbench.benchmark.cli import main
from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.folder_lock import FolderBusy
from avbench.benchmark.generate import MANIFEST, generate, read_generated
from avbench.benchmark.merge import merge
from avbench.benchmark.scoring.pipeline import select_metrics
from avbench.benchmark.scoring.run import score_run
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.benchmark.validate import validate_run
from harness_support import folder_held, read_results, run_cli, stable
from avbench.metrics.av_align import av_align_clip
from avbench.metrics.bootstrap import bootstrap_mean_ci
from avbench.metrics.catalogue import metric_names
from avbench.metrics.errors import AvbenchError, InputError

SPLITS = Path(__file__).resolve().parent / "data" / "splits"  # the upstream split files
CONTROLS = {"real": {}, "shuffled-audio": {}, "shifted": {"frames": 3}}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny benchmark, its three controls generated and scored (AV-Align), once per module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(tmp_path_factory.getbasetemp() / "avbench-cache"))
        mp.setenv("AVBENCH_OFFLINE", "1")
        root = tmp_path_factory.mktemp("harness")
        bench = load_benchmark("synthetic:tiny")
        runs = {}
        for model, options in CONTROLS.items():
            generate(model, bench, root / "gen" / model, options=options, progress=False)
            runs[model] = root / "runs" / model
            score_run(bench, root / "gen" / model, runs[model], workers=1, progress=False)
        yield SimpleNamespace(root=root, bench=bench, runs=runs, gen=root / "gen")


# --- benchmark definitions ---------------------------------------------------------------

def test_landscape_keeps_each_clip_once():
    bench = load_benchmark("landscape", data_root="/data/landscape")
    with open(SPLITS / "tempotokens-landscape.csv", newline="") as fh:
        test_rows = [r for r in csv.DictReader(fh) if r["set"] == "test"]
    assert len(test_rows) == 102 and len({r["ytid"] for r in test_rows}) == 100
    distinct = {(r["ytid"], r["start_time"]) for r in test_rows}
    assert len(bench.rows) == len(distinct) == 101
    assert {(r["ytid"], r["yt_start"]) for r in bench.rows} == distinct
    assert bench.items()[0].video_path == Path("/data/landscape/video") / f"{bench.rows[0]['item_id']}.mp4"
    assert bench.kind == "builtin" and bench.protocol.duration == 2.0


def test_drums_and_vggsound_lists_and_label_join(tmp_path):
    drums = load_benchmark("audioset-drums", data_root=tmp_path)
    with open(SPLITS / "tempotokens-audioset-drum.csv", newline="") as fh:
        expected = sorted(r["ytid"] for r in csv.DictReader(fh) if r["set"] == "test")
    assert sorted(drums.item_ids) == expected and len(expected) == 1000
    lines = [line.strip() for line in (SPLITS / "specvqgan-vggsound-test.txt").read_text().splitlines() if line.strip()]
    labels = tmp_path / "vggsound.csv"
    ytid, start, _ = lines[1].rsplit("_", 2)
    labels.write_text(f"{ytid},{int(start) // 1000},playing drums,test\nnot-a-test-id,0,dog barking,train\n")
    vgg = load_benchmark("vggsound", data_root=tmp_path, labels=labels)
    assert vgg.item_ids == lines
    assert vgg.rows[1]["label"] == "playing drums" and vgg.rows[0]["label"] == ""


def test_custom_benchmarks_from_a_folder_and_a_user_yaml(tmp_path):
    write_clip(SyntheticClip(name="a"), tmp_path / "clips")
    write_clip(SyntheticClip(name="b", audio_in_container=True), tmp_path / "clips")
    bench = load_benchmark("custom", items=tmp_path / "clips")
    items = {i.item_id: i for i in bench.items()}
    assert items["a"].audio_path == tmp_path / "clips" / "a.wav"
    assert items["b"].audio_path == items["b"].video_path  # its own audio track
    yaml_path = tmp_path / "mine.yaml"
    yaml_path.write_text(Path(bench.definition_path).read_text().replace("kind: custom", "kind: builtin"))
    assert load_benchmark(yaml_path, items=tmp_path / "clips").kind == "custom"  # only shipped ones are built-in
    with pytest.raises(AvbenchError, match="cannot be overridden"):
        load_benchmark("landscape", data_root=tmp_path, protocol={"fps": 8})


# --- generation ------------------------------------------------------------------------------

def test_cyclic_derangement_is_seeded_and_moves_every_item():
    ids = [f"id{i}" for i in range(50)]
    pairing = cyclic_derangement(ids, seed=3)
    assert pairing == cyclic_derangement(list(reversed(ids)), seed=3)  # order-independent
    assert sorted(pairing.values()) == sorted(ids) and all(k != v for k, v in pairing.items())
    seen, k = set(), ids[0]
    while k not in seen:  # one cycle through every id
        seen.add(k)
        k = pairing[k]
    assert len(seen) == len(ids)
    assert pairing != cyclic_derangement(ids, seed=4)


def test_controls_write_what_they_promise(tiny):
    real = read_generated(tiny.gen / "real" / MANIFEST)
    shuffled = read_generated(tiny.gen / "shuffled-audio" / MANIFEST)
    items = {i.item_id: i for i in tiny.bench.items()}
    for item_id, row in real.items():
        assert (tiny.gen / "real" / row["video_path"]).read_bytes() == items[item_id].video_path.read_bytes()
        assert (tiny.gen / "real" / row["audio_path"]).read_bytes() == items[item_id].audio_path.read_bytes()
    partners = cyclic_derangement(list(items), seed=0)
    import soundfile as sf

    for item_id, row in shuffled.items():
        got, _ = sf.read(tiny.gen / "shuffled-audio" / row["audio_path"])
        want, _ = sf.read(items[partners[item_id]].audio_path)
        np.testing.assert_array_equal(got, want)
    shifted, rate = sf.read(tiny.gen / "shifted" / "clip0000.wav")
    original, _ = sf.read(items["clip0000"].audio_path)
    lag = round(3 / 24 * rate)  # 3 frames at 24 fps
    np.testing.assert_array_equal(shifted[:lag], 0.0)
    np.testing.assert_allclose(shifted[lag:], original[:-lag], atol=1 / 32768)


def test_generate_resumes_after_a_kill(tiny, tmp_path):
    out = tmp_path / "gen"
    first = generate("real", tiny.bench, out, progress=False)
    assert len(first.generated) == 6
    manifest = out / MANIFEST
    uninterrupted = read_generated(manifest)
    text = manifest.read_text()
    manifest.write_text(text[: text.rfind("\n", 0, len(text) - 1) + 1] + "clip0005,clip00")  # last row cut mid-write
    (out / "clip0005.mp4").unlink()
    second = generate("real", tiny.bench, out, progress=False)
    assert second.generated == ["clip0005"] and len(second.skipped) == 5
    assert manifest.read_text() == text  # the cut line is gone, not glued to the new row
    # the row written again starts on its own line, not glued to the cut one
    assert read_generated(manifest) == uninterrupted and list(uninterrupted) == sorted(uninterrupted)
    with pytest.raises(AvbenchError, match="another generation config"):
        generate("shifted", tiny.bench, out, progress=False)


# --- scoring ---------------------------------------------------------------------------------

def test_scores_equal_an_independent_computation(tiny):
    """Per-sample AV-Align equals the plain single-clip path; the mean and CI equal numpy's."""
    results = read_results(tiny.runs["real"])
    samples = {r["sample_id"]: r["value"] for r in rd.read_samples(tiny.runs["real"])}
    items = {i.item_id: i for i in tiny.bench.items()}
    for item_id, value in samples.items():
        direct = av_align_clip(items[item_id].video_path, items[item_id].audio_path, "tempotokens-2025").score
        assert value == direct
    values = [samples[k] for k in sorted(samples)]
    record = results["metrics"]["av_align"]
    assert record["value"] == float(np.mean(values)) and record["n"] == 6
    assert record["ci95"] == list(bootstrap_mean_ci(values, n_resamples=10_000, seed=0))
    labels = {i.item_id: i.label for i in items.values()}
    for label, cat in results["by_category"]["av_align"].items():
        assert cat["value"] == float(np.mean([v for k, v in samples.items() if labels[k] == label]))


def test_shuffled_audio_is_below_real_on_synced_clips(tiny):
    value = {m: read_results(p)["metrics"]["av_align"]["value"] for m, p in tiny.runs.items()}
    assert value["real"] > 0.8
    assert value["shuffled-audio"] < value["real"] - 0.5
    assert value["shifted"] < value["real"] - 0.5  # 3 frames is outside the ±1-frame window


def test_run_directory_is_complete_and_valid(tiny):
    run = tiny.runs["real"]
    for name in (rd.RESULTS, rd.CONFIG, rd.MANIFEST, rd.FAILURES, rd.SAMPLES, "states/av_align.npz"):
        assert (run / name).is_file(), name
    results = read_results(run)
    assert rd.schema_errors(results) == [] and validate_run(run) == []
    assert results["counts"] == {"expected": 6, "listed": 6, "scored": 6, "failed": 0, "unexpected": 0}
    assert results["flags"]["reportable"] is False  # a custom benchmark is never reportable
    assert any("custom benchmark" in r for r in results["flags"]["reasons"])
    manifest = rd.read_manifest(run)
    assert [r["fps"] for r in manifest] == ["24.0"] * 6 and manifest[0]["audio_sample_rate"] == "22050"


def test_schema_and_validate_reject_a_broken_results_json(tiny, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny.runs["real"], run)
    good = read_results(run)
    broken = [
        {k: v for k, v in good.items() if k != "counts"},
        {**good, "flags": {**good["flags"], "reportable": True}},  # reportable but with reasons
        {**good, "metrics": {"av_align": {**good["metrics"]["av_align"], "n": -1}}},
        {**good, "config_hash": "not-a-hash"},
    ]
    for results in broken:
        assert rd.schema_errors(results), results
    (run / rd.RESULTS).write_text(json.dumps(broken[0]))
    assert main(["validate", str(run)]) == 1
    tampered = json.loads(json.dumps(good))
    tampered["metrics"]["av_align"]["value"] += 0.01
    (run / rd.RESULTS).write_text(json.dumps(tampered))
    assert any("states/ give" in p for p in validate_run(run))
    (run / rd.RESULTS).write_text(json.dumps(good))
    assert validate_run(run) == []


# --- metric names and options: one spelling, nothing dropped ----------------------------------

def _score_files(folder: Path, cache: Path, *args: str):
    """`avbench score-files FOLDER --metrics av_align ARGS` in a fresh process."""
    return run_cli(["score-files", str(folder), "--metrics", "av_align", "--workers", "1", "--quiet", *args],
                   env={"AVBENCH_CACHE": str(cache)})


def test_score_files_metric_options_reach_the_metric_or_stop_in_one_line(tiny, tmp_path):
    folder = tiny.gen / "real"
    out = tmp_path / "fps12.json"
    done = _score_files(folder, tmp_path / "cache", "--metric-option", "av-align.fps=12", "--json", str(out))
    assert done.returncode == 0, done.stderr
    items = tiny.bench.items()
    at_12 = [av_align_clip(i.video_path, i.audio_path, "tempotokens-2025", fps=12).score for i in items]
    value = json.loads(out.read_text())["results"]["av_align"]["value"]
    assert value == pytest.approx(float(np.mean(at_12)), rel=1e-12)
    assert value != read_results(tiny.runs["real"])["metrics"]["av_align"]["value"]  # the option changed the value
    for option, message in [
            ("fps=12", "metric option fps=12 is not METRIC.KEY=VALUE (e.g. av_align.fps=12)"),
            ("av_allign.fps=12", "options for unknown metric 'av_allign'; known: av_align, fvd,"),
            ("fvd.preset=fvd/videogpt", "options for metric fvd, which is not among the metrics av_align:"),
            ("av_align.fsp=12", "metric av_align: unknown option 'fsp'; its options: batch_size, device, flow, "
                                "flow_device, fps, n_resamples, preset, seed, strict, time_axis, weights")]:
        refused = _score_files(folder, tmp_path / "cache", "--metric-option", option)
        assert refused.returncode == 2, (option, refused.stderr)
        (line,) = refused.stderr.splitlines()
        assert line.startswith(f"avbench score-files: error: {message}"), (option, line)
    unknown = _score_files(folder, tmp_path / "cache", "--metrics", "av_allign")
    assert unknown.returncode == 2 and unknown.stderr.splitlines() == [
        f"avbench score-files: error: unknown metric 'av_allign'; known: {', '.join(metric_names())}"]


def test_score_files_json_has_null_for_an_undefined_clip(tmp_path):
    folder = tmp_path / "clips"
    write_clip(SyntheticClip(name="dead", video="static", audio="silent"), folder)  # no peaks on either side
    write_clip(SyntheticClip(name="live"), folder)
    out = tmp_path / "out.json"
    done = _score_files(folder, tmp_path / "cache", "--json", str(out))
    assert done.returncode == 0, done.stderr

    def no_constant(name):
        raise AssertionError(f"{name} in JSON")

    record = json.loads(out.read_text(), parse_constant=no_constant)
    assert record["samples"]["av_align"] == {"dead": None, "live": av_align_clip(folder / "live.mp4", folder / "live.wav").score}
    result = record["results"]["av_align"]
    assert result["value"] == record["samples"]["av_align"]["live"] and result["details"]["n_undefined"] == 1


def _yaml_with_metrics(tiny, path: Path, metrics: str) -> Path:
    """The tiny benchmark's definition (same items) with `metrics:` replaced by `metrics` (YAML lines)."""
    definition = Path(tiny.bench.definition_path)
    text = definition.read_text().replace("items: items.csv", f"items: {definition.parent / 'items.csv'}")
    path.write_text(text[:text.index("metrics:")] + "metrics:\n" + metrics)
    return path


def test_benchmark_metric_names_are_read_in_the_catalogues_spelling(tiny, tmp_path):
    bench = load_benchmark(_yaml_with_metrics(tiny, tmp_path / "dashed.yaml", "  av-align: {preset: calibrated}\n"))
    assert bench.metrics == {"av_align": {"preset": "calibrated"}}
    assert select_metrics(bench, ["av_align"]) == select_metrics(bench, None) == {"av_align": {"preset": "calibrated"}}
    results = score_run(bench, tiny.gen / "real", tmp_path / "run", workers=1, progress=False)
    assert list(results["metrics"]) == ["av_align"] and results["metrics"]["av_align"]["preset"] == "calibrated"
    scores = [av_align_clip(i.video_path, i.audio_path, "calibrated").score for i in bench.items()]
    assert results["metrics"]["av_align"]["value"] == pytest.approx(float(np.mean([s for s in scores if not math.isnan(s)])),
                                                                    rel=1e-12)
    for metrics, problem in [("  av_allign: {}\n", "metrics: unknown metric 'av_allign'; known: av_align, "),
                             ("  av-align: {}\n  av_align: {}\n", "metrics: av_align is listed twice"),
                             ("  av_align: calibrated\n", "metrics.av_align: must be a mapping or empty, got \"calibrated\"")]:
        path = _yaml_with_metrics(tiny, tmp_path / f"bad{len(problem)}.yaml", metrics)
        with pytest.raises(InputError) as raised:
            load_benchmark(path)
        assert str(raised.value).startswith(f"{path}: {problem}")


def test_metric_options_name_a_chosen_metric_and_an_option_it_takes(tiny):
    assert select_metrics(tiny.bench, ["av_align"], {"av-align": {"preset": "calibrated"}}) == {
        "av_align": {"preset": "calibrated"}}
    labels = sorted({row["label"] for row in tiny.bench.rows})
    assert select_metrics(tiny.bench, ["av-semantic", "clipsim"], {"clipsim": {"template": "a {label} clip"}}) == {
        "av_semantic": {"template": "a video of {label}", "labels": labels}, "clipsim": {"template": "a {label} clip"}}
    for names, overrides, message in [
            (["av_align"], {"av-allign": {"preset": "calibrated"}}, "options for unknown metric 'av-allign'; known: "),
            (None, {"fvd": {"preset": "fvd/videogpt"}}, "options for metric fvd, which is not among the metrics av_align:"),
            (["av_align"], {"av_align": {"fsp": 12}}, "metric av_align: unknown option 'fsp'; its options: "),
            (["av_align"], {"fps": 12}, "metric option fps=12 is not METRIC.KEY=VALUE"),
            (["av_allign"], None, "unknown metric 'av_allign'; known: ")]:
        with pytest.raises(AvbenchError) as raised:
            select_metrics(tiny.bench, names, overrides)
        assert str(raised.value).startswith(message), str(raised.value)


def test_reference_statistics_name_a_set_metric_of_the_run(tiny, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(tiny.runs["real"], out)
    before = (out / rd.RESULTS).read_text()
    stats = tmp_path / "fad.npz"
    for ref_stats, message in [({"fda": stats}, f"--ref-stats fda={stats}: 'fda' is not a metric of this run that "
                                                "compares two sets (fad)"),
                               ({"av-align": stats}, f"--ref-stats av_align={stats}: 'av_align' is not a metric")]:
        with pytest.raises(AvbenchError) as raised:
            score_run(tiny.bench, tiny.gen / "real", out, metric_names=["av_align", "fad"], ref_stats=ref_stats,
                      workers=1, progress=False)
        assert str(raised.value).startswith(message), str(raised.value)
    assert (out / rd.RESULTS).read_text() == before  # refused before anything of the earlier run was touched
    cli = run_cli(["score", "--benchmark", "synthetic:tiny", "--inputs", str(tiny.gen / "real"), "--out",
                   str(tmp_path / "cli"), "--metrics", "av_align,fad", "--ref-stats", f"fdv={stats}", "--quiet"],
                  env={"AVBENCH_CACHE": str(tmp_path / "cache")})
    assert cli.returncode == 2 and cli.stderr.splitlines() == [
        f"avbench score: error: --ref-stats fdv={stats}: 'fdv' is not a metric of this run that compares two sets (fad)"]


def _bad_inputs(tiny, root: Path) -> Path:
    """A folder model's outputs where clip0001 is missing, clip0002 corrupt, clip0003 at 12 fps."""
    folder = root / "model"
    shutil.copytree(tiny.bench.data_root, folder, ignore=shutil.ignore_patterns("*.yaml", "*.csv"))
    (folder / "clip0001.mp4").unlink()
    (folder / "clip0002.mp4").write_bytes(b"\x00not a video")
    clip = SyntheticClip(name="clip0003", fps=12, n_frames=24, width=160, height=120)
    write_clip(clip, folder)
    return folder


def test_validate_flags_missing_corrupt_and_wrong_fps_items(tiny, tmp_path, capsys):
    gen = tmp_path / "gen"
    outcome = generate("folder", tiny.bench, gen, options={"path": str(_bad_inputs(tiny, tmp_path)), "check": False},
             progress=False)
    assert set(outcome.failures) == {"clip0001"} and "no video for item clip0001" in outcome.failures["clip0001"]
    code = main(["validate", "--benchmark", "synthetic:tiny", "--inputs", str(gen)])
    out = capsys.readouterr().out
    assert code == 1
    problems = {line.split(":")[0].strip(): line for line in out.splitlines() if line.startswith("  ")}
    assert set(problems) == {"clip0001", "clip0002", "clip0003"}
    assert "missing" in problems["clip0001"] and "corrupt" in problems["clip0002"]
    assert "wrong fps: 12 (expected 24)" in problems["clip0003"]
    assert "6 items checked, 3 ok, 3 with problems" in out


def test_bad_inputs_are_recorded_per_item_and_the_run_completes(tiny, tmp_path):
    gen = tmp_path / "gen"
    generate("folder", tiny.bench, gen, options={"path": str(_bad_inputs(tiny, tmp_path)), "check": False},
             progress=False)
    outside = tmp_path / "elsewhere.mp4"
    shutil.copy(gen / "clip0000.mp4", outside)
    rows = (gen / MANIFEST).read_text().splitlines()
    edited = [rows[0]]
    for row in rows[1:]:
        if row.startswith("clip0004,"):
            row = row.replace("clip0004.mp4", "../elsewhere.mp4", 1)
        edited.append(row)
        if row.startswith("clip0005,"):
            edited.append(row)  # listed twice
    (gen / MANIFEST).write_text("\n".join(edited) + "\n")
    results = score_run(tiny.bench, gen, tmp_path / "run", workers=1, progress=False)
    failures = {r["sample_id"]: r["error"] for r in rd.read_failures(tmp_path / "run")}
    assert set(failures) == {"clip0001", "clip0002", "clip0003", "clip0004", "clip0005"}
    assert "missing" in failures["clip0001"] and "corrupt" in failures["clip0002"]
    assert "wrong fps" in failures["clip0003"] and "outside the run root" in failures["clip0004"]
    assert "duplicate sample_id" in failures["clip0005"]
    assert results["counts"] == {"expected": 6, "listed": 5, "scored": 1, "failed": 5, "unexpected": 0}
    assert results["flags"]["reportable"] is False
    assert any("5 of 6 expected samples not scored" in r for r in results["flags"]["reasons"])
    assert results["metrics"]["av_align"]["n"] == 1 and validate_run(tmp_path / "run") == []


def test_shards_merged_equal_the_single_run(tiny, tmp_path):
    shards = []
    for index in range(3):
        shards.append(tmp_path / f"shard{index}")
        part = score_run(tiny.bench, tiny.gen / "real", shards[-1], shard=f"{index}/3", workers=1, progress=False)
        assert part["shard"] == {"index": index, "count": 3} and part["counts"]["expected"] == 2
        assert any("merge the shards" in r for r in part["flags"]["reasons"])
    with pytest.raises(AvbenchError, match="missing \\[2\\]"):
        merge(shards[:2], tmp_path / "partial")
    merged = merge(list(reversed(shards)), tmp_path / "merged")
    assert stable(merged) == stable(read_results(tiny.runs["real"]))
    assert validate_run(tmp_path / "merged") == []
    assert rd.read_samples(tmp_path / "merged") == rd.read_samples(tiny.runs["real"])
    with folder_held(tmp_path / "merged"), pytest.raises(FolderBusy, match="in use by another avbench process"):
        merge(shards, tmp_path / "merged")
    assert stable(read_results(tmp_path / "merged")) == stable(merged)  # left as it was


# --- report and the built-in tiny config -----------------------------------------------------

def test_avbench_run_tiny_end_to_end(tmp_path, capsys):
    out = tmp_path / "tiny"
    assert main(["run", "tiny", "--out", str(out), "--quiet"]) == 0
    for model in CONTROLS:
        assert main(["validate", str(out / "runs" / model)]) == 0
    report = out / "report"
    for name in ("report.md", "report.csv", "report.tex", "report.html"):
        assert (report / name).stat().st_size > 200, name
    plots = sorted(p.name for p in (report / "plots" / "synthetic-tiny-v1").iterdir())
    assert plots == sorted(f"{stem}.{ext}" for stem in ("metrics_bars", "av_align_by_class", "av_align_histogram")
                           for ext in ("png", "svg"))
    md = (report / "report.md").read_text()
    assert "AV-Align ↑" in md and "AV-Align chance" in md and "tempotokens-2025 v1" in md
    with open(report / "report.csv", newline="") as fh:
        rows = {r["model"]: r for r in csv.DictReader(fh)}
    assert float(rows["real"]["value"]) == read_results(out / "runs" / "real")["metrics"]["av_align"]["value"]
    assert "\\toprule" in (report / "report.tex").read_text()


def test_report_places_levels_beside_a_model(tiny, tmp_path):
    from avbench.benchmark.report.render_markdown import render_markdown
    from avbench.benchmark.report.run_tables import run_tables
    from avbench.benchmark.report.runs import load_runs

    model = tmp_path / "model"
    shutil.copytree(tiny.runs["shifted"], model)
    results = read_results(model)
    results["model"] = {**results["model"], "name": "folder", "label": "my-model"}
    rd.write_results(model, results)
    table = run_tables(load_runs([model, *tiny.runs.values()]))[0]
    row = next(r for r in table.rows if r.label == "my-model")
    assert row.cells["av_align:chance"].score.value == read_results(tiny.runs["shuffled-audio"])["metrics"]["av_align"]["value"]
    assert row.cells["av_align:real"].score.value == read_results(tiny.runs["real"])["metrics"]["av_align"]["value"]
    assert render_markdown([table]).splitlines()[4].startswith("| my-model |")


def test_ls_lists_benchmarks_metrics_and_models(capsys):
    for what in ("benchmarks", "metrics", "models"):
        assert main(["ls", what]) == 0
    out = capsys.readouterr().out
    assert "landscape@1" in out and "101 items" in out and "audioset-drums@1" in out and "14512 items" in out
    assert "av_align" in out
    for model in ("folder", "real", "shifted", "shuffled-audio"):
        assert f"\n{model}\n" in out


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["score", "--benchmark", "nope", "--inputs", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert main(["score", "--benchmark", "synthetic:tiny", "--inputs", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert main(["generate", "--model", "nope", "--benchmark", "synthetic:tiny", "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "unknown benchmark" in err[0] and "no inputs manifest" in err[1] and "unknown model" in err[2]


def test_finalize_reportable_only_when_complete(tiny):
    from avbench.benchmark.scoring.pipeline import finalize
    from avbench.metrics.catalogue import make_metric

    config = rd.read_config(tiny.runs["real"])
    config = {**config, "benchmark": {**config["benchmark"], "kind": "builtin"}}
    metric = make_metric("av_align", preset="tempotokens-2025")
    metric.set_state(metric.load_state(tiny.runs["real"] / "states" / "av_align.npz"))
    counts = {"expected": 6, "listed": 6, "scored": 6, "failed": 0, "unexpected": 0}
    done, _ = finalize(config, {"av_align": metric}, {}, [], [], counts, "0" * 64, 1.0)
    assert done["flags"] == {"reportable": True, "reasons": [], "limit": None, "custom_input": False}
    limited, _ = finalize({**config, "limit": 6}, {"av_align": metric}, {}, [], [], counts, "0" * 64, 1.0)
    assert limited["flags"]["reportable"] is False and rd.schema_errors(done) == [] == rd.schema_errors(limited)


def test_metric_state_round_trip_and_undefined_scores(tiny):
    metric_state = rd.state_path(tiny.runs["real"], "av_align")
    from avbench.metrics.keyed_state import KeyedState

    state = KeyedState.load(metric_state)
    state.payloads["clip9999"] = {"score": np.float64(math.nan), "n_audio_peaks": np.int64(0), "n_video_peaks": np.int64(0)}
    from avbench.metrics.catalogue import make_metric

    metric = make_metric("av_align")
    metric.set_state(state)
    value = metric.compute()
    assert value.n == 6 and value.details["n_undefined"] == 1 and value.notes
    with pytest.raises(InputError):
        KeyedState.load(tiny.runs["real"] / rd.MANIFEST)


def test_validate_a_dataset_copy(tiny, tmp_path, capsys):
    from avbench.benchmark.validate import validate_dataset

    report = validate_dataset(tiny.bench, progress=False)
    assert report.checked == 6 and report.problems == []
    (tmp_path / "video").mkdir()  # a copy begun: each item is checked (no copy at all is one line)
    missing = validate_dataset(load_benchmark("landscape", data_root=tmp_path), progress=False)
    assert missing.checked == 101 and missing.ok == 0
    assert all("video file does not exist" in p.error for p in missing.problems)
    assert main(["validate", "--benchmark", "landscape", "--data-root", str(tmp_path), "--quiet", "--quick"]) == 1
    assert "101 items checked, 0 ok" in capsys.readouterr().out


def test_inputs_of_another_benchmark_are_refused(tiny, tmp_path):
    other = load_benchmark("synthetic:2")
    generate("real", other, tmp_path / "gen", progress=False)
    with pytest.raises(AvbenchError, match="generated for benchmark synthetic-2"):
        score_run(tiny.bench, tmp_path / "gen", tmp_path / "run", progress=False)
