"""Every script in benchmarks/ runs as the documentation (docs/) describes it (`python benchmarks/NAME.py`: a
fresh interpreter, the installed avbench, no PYTHONPATH), here with small arguments, and prints
each of its figures. The figures' values are not held to the targets: at these sizes, on a
shared machine, they are noise; the scripts measure at full size."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NUMBER = r"[-+]?\d+(?:\.\d+)?(?:e[-+]\d+)?"


def run_script(name: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """`python benchmarks/NAME ARGS` from the repository root, its temporary files under `tmp_path`."""
    return subprocess.run([sys.executable, f"benchmarks/{name}", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=600)


def script_output(name: str, args: list[str], tmp_path: Path) -> str:
    """The standard output of `run_script`, which must have exited 0."""
    done = run_script(name, args, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def figures(output: str, lines: dict[str, str]) -> dict[str, float]:
    """Per label, the number at `{n}` in the line of `output` that the pattern matches (a regular
    expression from the start of a line; `{x}` is any other number). Every line must be there."""
    found = {}
    for label, pattern in lines.items():
        regex = "^" + pattern.replace("{n}", f"({NUMBER})").replace("{x}", NUMBER)
        match = re.search(regex, output, re.MULTILINE)
        assert match, f"{label}: no line matches {regex!r} in\n{output}"
        found[label] = float(match.group(1))
    return found


def test_every_benchmark_script_is_run_here():
    assert {p.name for p in (REPO / "benchmarks").glob("*.py")} == {
        "av_align_speed.py", "frechet_speed.py", "harness_overhead.py", "ray_backend.py", "torch_flow.py"}


def test_av_align_speed(tmp_path):
    output = script_output("av_align_speed.py", ["--clips", "3", "--max-frames", "24", "--long-seconds", "2"], tmp_path)
    assert re.search(r"^machine: \d+ cores, ", output, re.MULTILINE), output
    found = figures(output, {
        "official": r"official restatement, 1 process +: +{n} s$",
        "avbench": r"avbench av-align, cold cache +: +{n} s +\(\d+ workers, default\)",
        "speed-up": r"speed-up vs official +: +{n}x +\(target >= ",
        "compared": r"per-clip scores +: +{n} compared, 3 identical +\(target: all 3 identical\)",
        "cached": r"cached re-run, tempotokens-2023 +: +{n} s +\(target < 1 s\)",
        "help": r"avbench --help +: +{n} s +\(median of 5; target < 0\.5 s\)",
        "floor": r"bare Farneback \(floor\) +: +{n} s +\(in-process",
        "worker": r"per-worker overhead +: +{x}% +\(in-process, warmed: {n} s; target <= 15%\)",
        "end to end": r"  CLI end to end over the floor +: +{n}% +\(cold run's wall x \d+ workers\)",
        "long, 1": r"long clip, 1 worker +: +{n} s +\(2 s 720p clip \(24 frames\)\)",
        "long, all": r"long clip, default workers +: +{n} s +\(\d+ cores\)",
        "long speed-up": r"long clip speed-up +: +{n}x +\(target >= 1\.7x on 2 cores\)",
        "rss": r"peak RSS, long clip, 1 worker +: +{n} MB +\(2 s 720p clip \(24 frames\); target < 500 MB\)",
    })
    assert found["compared"] == 3, found
    assert all(value > 0 for label, value in found.items() if label != "end to end"), found


def test_ray_backend(tmp_path):
    output = script_output("ray_backend.py", ["--clips", "3", "--seconds", "1", "--size", "160x120", "--repeats", "1"],
                           tmp_path)
    same = r" +{x} clips/s  samples\.parquet identical to local"
    found = figures(output, {
        "local": r"  local +{n} s" + same,
        "ray": r"  ray cluster +{n} s" + same,
        "ray, 1 CPU": r"  ray cluster 1 CPU +{n} s" + same,
        "started by the run": r"  ray started by the run +{n} s" + same,
        "overhead": r"overhead, Ray cluster vs local: {n}% \({x} s; target <= \+15%\)",
        "overhead, started": r"overhead, Ray started by the run vs local: {n}% \({x} s\)",
        "scaling": r"scaling, Ray \d+ CPUs vs 1 CPU: {n}x",
    })
    assert all(found[k] > 0 for k in ("local", "ray", "ray, 1 CPU", "started by the run", "scaling")), found


def test_frechet_speed(tmp_path):
    output = script_output("frechet_speed.py", ["--dim", "64", "--samples", "500", "--batches", "1,2", "--repeats", "1"],
                           tmp_path)
    found = figures(output, {
        "eigh": r"  eigh route +{n} +{x} s \(best of 1\)",
        "sqrtm": r"  scipy sqrtm +{n} +{x} s",
        "difference": r"  relative difference {n}; speed-up {x}x \(target >= 5x\)",
    })
    assert found["difference"] <= 1e-6 and abs(found["eigh"] - found["sqrtm"]) <= 1e-6 * found["sqrtm"], found
    for network, unit in (("I3D", "clips"), ("Inception", "frames")):
        for batch in (1, 2):
            rate = figures(output, {network: rf"  {network} batch +{batch}: pipeline +{{n}} {unit}/s, bare forward "
                                                  rf"+{{x}} {unit}/s \(end-to-end overhead +{{x}}%\); preparation "
                                                  rf"alone +{{x}} ms = +{{x}}% of the forward"})
            assert rate[network] > 0


def test_harness_overhead(tmp_path):
    """The script exits 1 when it misses a target, as it must at this size (a 4-clip run is not
    20x faster cached than cold): its exit status has to agree with the figures it prints."""
    done = run_script("harness_overhead.py", ["--clips", "4", "--workers", "1", "--repeats", "1", "--random-weights"],
                      tmp_path)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    found = figures(done.stdout, {
        "alone": r"metric computations alone : +{n} s wall",
        "overhead": r"avbench score, cold cache : +{x} s wall +overhead {n}% +\(runs: .*; target <= \+10%\)",
        "own CPU": r"  harness's own CPU work  : +{n} s = {x}% of the metric wall time",
        "speed-up": r"avbench score, all cached : +{x} s wall +{n}x faster than cold +\(target >= 20x\)",
        "mean": r"AV-Align mean {n} \(n=4\)",
    })
    if done.returncode == 0:
        assert found["overhead"] <= 10 and found["speed-up"] >= 20, found
    else:
        assert found["overhead"] >= 10 or found["speed-up"] <= 20, found
    assert found["alone"] > 0 and 0 <= found["mean"] <= 1, found


def test_torch_flow(tmp_path):
    """One 720p pair each way, one synthetic clip, the one real clip with audio under 7 Mpx."""
    output = script_output("torch_flow.py", ["--pairs", "1", "--batch", "1", "--clips", "1", "--max-megapixels", "7"],
                           tmp_path)
    for speed in (r"720p pairs, OpenCV Farneback \(CPU\) : {n} pairs/s", r"720p pairs, torch \(CPU\) +: {n} pairs/s",
                  r"torch CPU / OpenCV +: {n}x"):
        assert figures(output, {speed: speed})[speed] > 0
    assert re.search(r"^(720p pairs, torch \(CUDA\) +: [\d.]+ pairs/s|no GPU was available)", output, re.MULTILINE)
    for label in ("synthetic clips", r"real clips \(tests/data/media\)"):
        block = output[re.search(rf"^{label}: 1 clips", output, re.MULTILINE).start():]
        errors = figures(block, {"abs mean": r"  flow magnitude abs error : mean {n} px",
                                 "abs max": r"  flow magnitude abs error : mean {x} px, max {n} px",
                                 "rel mean": r"  flow magnitude rel error : mean {n}",
                                 "rel max": r"  flow magnitude rel error : mean {x}, max {n}"})
        assert all(v >= 0 for v in errors.values()), errors
        for preset in ("tempotokens-2025", "tempotokens-2023", "paper-eq9", "svg-pr"):
            share = figures(block, {preset: rf"  identical scores, {preset} +: \d+/1 clips = {{n}}%"})[preset]
            assert 0 <= share <= 100
