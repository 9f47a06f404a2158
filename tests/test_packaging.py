"""How avbench installs and plugs together, checked as a user meets it: one `avbench.*`
namespace (a user's own `metrics/` cannot shadow it), a wheel holding nothing else, the layers
contract, and a third-party distribution adding a generator and a verb."""
from __future__ import annotations

import ast
import re
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

from harness_support import run_installed

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("metrics", "benchmark", "reference_model", "baselines", "leaderboard")  # bottom to top
HIGHER = {"metrics": LAYERS[1:], "benchmark": LAYERS[2:]}


def _python(code: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_a_users_own_metrics_and_benchmark_packages_do_not_shadow_avbench(tmp_path):
    for name in ("metrics", "benchmark"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("MINE = True\n")
    (tmp_path / "metrics.py").write_text("raise SystemExit('the user module was imported')\n")
    code = ("import metrics, benchmark; assert metrics.MINE and benchmark.MINE\n"
            "from avbench.metrics.av_align import get_preset\n"
            "from avbench.benchmark.definition import load_benchmark\n"
            "print(get_preset().name, load_benchmark('synthetic:tiny').name)")
    result = _python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["tempotokens-2025", "synthetic-tiny"]


def test_nothing_but_avbench_is_importable_at_the_top(tmp_path):
    for name in LAYERS:
        result = _python(f"import {name}", tmp_path)
        assert result.returncode != 0 and f"No module named '{name}'" in result.stderr, name


def test_the_wheel_installs_only_avbench_with_every_package_and_data_file(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", "tests", "build", "*.egg-info", "__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("avbench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"avbench", next(t for t in top if t.endswith(".dist-info"))}
    assert "avbench/__init__.py" not in names  # a namespace: the five layers are its only packages
    for folder in LAYERS:  # every package and every data file of the repository is in the wheel
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"avbench/{path.relative_to(REPO).as_posix()}" in names, path


def test_pyproject_lists_every_subpackage():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"avbench." + ".".join(p.parent.relative_to(REPO).parts)
             for folder in LAYERS for p in (REPO / folder).rglob("__init__.py")}
    assert listed == found


def test_the_layers_contract_holds():
    result = subprocess.run(["lint-imports"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _code_strings(tree: ast.AST) -> list[str]:
    """String constants of a module that are not docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.mark.parametrize("layer", sorted(HIGHER))
def test_no_lower_layer_names_a_higher_one_in_code(layer):
    """import-linter sees imports; a module path in a string (import_module) would escape it."""
    for path in (REPO / layer).rglob("*.py"):
        for text in _code_strings(ast.parse(path.read_text(encoding="utf-8"))):
            for higher in HIGHER[layer]:
                assert f"avbench.{higher}" not in text and not text.startswith(f"{higher}."), (path, text)


PLUGIN = '''
"""A third-party model and verb for avbench."""
import shutil
from pathlib import Path

from avbench.benchmark.generators import GeneratedSample

NAME = "hello"
HELP = "Say hello from a plug-in."


def add_arguments(parser):
    parser.add_argument("who")


def run(args):
    print(f"hello {args.who} from the plug-in")
    return 0


class CopyGenerator:
    """Hands back each item's own clip."""

    name = "copy-model"
    output_spec = {"fps": None, "frames": None, "width": None, "height": None}

    def generate(self, item, out_dir):
        video, audio = Path(out_dir) / f"{item.item_id}.mp4", Path(out_dir) / f"{item.item_id}.wav"
        shutil.copyfile(item.video_path, video)
        shutil.copyfile(item.audio_path, audio)
        return GeneratedSample(item.item_id, video, audio)
'''


def _plug_in_site(folder: Path, name: str, entry_points: str, modules: dict[str, str] | None = None) -> Path:
    """A folder holding distribution `name` 0.1 (its dist-info with `entry_points`, the text of
    entry_points.txt) and its `modules` (module name → source): on PYTHONPATH, an installed plug-in."""
    site = folder / "site"
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    for module, source in (modules or {}).items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))
    return site


def _avbench(site: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
    """The installed `avbench ARGS` with the plug-ins of `site` installed."""
    return run_installed(list(args), env={"PYTHONPATH": str(site), **(env or {})}, cwd=cwd)


def test_a_third_party_distribution_adds_a_generator_and_a_verb(tmp_path):
    site = _plug_in_site(tmp_path, "avbench-hello", "[avbench.cli]\nhello = avbench_hello\n\n"
                                                    "[avbench.generators]\ncopy-model = avbench_hello:CopyGenerator\n",
                         {"avbench_hello": PLUGIN})
    env = {"AVBENCH_CACHE": str(tmp_path / "cache")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return _avbench(site, *args, cwd=tmp_path, env=env)

    said = cli("hello", "world")
    assert said.returncode == 0 and said.stdout.strip() == "hello world from the plug-in", said.stderr
    listed = cli("ls", "models")
    assert "copy-model" in listed.stdout.split()
    made = cli("generate", "--model", "copy-model", "--benchmark", "synthetic:tiny", "--out", "gen", "--quiet")
    assert made.returncode == 0, made.stderr
    scored = cli("score", "--benchmark", "synthetic:tiny", "--inputs", "gen", "--out", "run", "--workers", "1",
                 "--quiet")
    assert scored.returncode == 0, scored.stderr
    assert "copy-model on synthetic-tiny@1: 6 of 6 samples scored" in scored.stdout


def test_a_broken_plug_in_is_reported_and_the_other_verbs_work(tmp_path):
    site = _plug_in_site(tmp_path, "broken", "[avbench.cli]\nbroken = no_such_module_anywhere\nnameless = nameless\n",
                         {"nameless": '"""A module without NAME."""\n'})
    result = _avbench(site, "ls", "benchmarks")
    assert result.returncode == 0 and "landscape" in result.stdout
    assert "verb 'broken' (no_such_module_anywhere) cannot be loaded" in result.stderr
    assert result.stderr.splitlines() == [
        "avbench: verb 'broken' (no_such_module_anywhere) cannot be loaded: ModuleNotFoundError: No module named "
        "'no_such_module_anywhere' (declared by distribution broken 0.1 in [avbench.cli])",
        "avbench: verb 'nameless' (nameless) cannot be loaded: it has no NAME (a verb module defines NAME, HELP, "
        "add_arguments and run) (declared by distribution broken 0.1 in [avbench.cli])"]


GHOST = '''
"""A plug-in module that lacks what its distribution declares, or holds the wrong kind of object."""
NOT_A_PLUG_IN = 42
'''
DECLARED_BY = "(declared by distribution avbench-ghost 0.1 in [avbench.{group}])"


@pytest.fixture
def ghost_site(tmp_path) -> Path:
    """A distribution declaring a broken plug-in in each group: a missing module, a missing
    attribute, an object of the wrong kind; listed before avbench's own on PYTHONPATH."""
    return _plug_in_site(tmp_path, "avbench-ghost", (
        "[avbench.weights]\nbroken-weights = nonexistent_pkg_xyz:WEIGHTS\nnot-specs = avbench_ghost:NOT_A_PLUG_IN\n\n"
        "[avbench.generators]\nghost = avbench_ghost:NoSuchGenerator\n\n"
        "[avbench.metrics]\nbroken_metric = nonexistent_pkg_xyz:Metric\nnot_a_metric = avbench_ghost:NOT_A_PLUG_IN\n"),
        {"avbench_ghost": GHOST})


def test_a_broken_weights_plug_in_is_one_line_and_hides_no_other(ghost_site, tmp_path):
    code = ("from avbench.metrics import weights\n"
            "for _ in range(2):\n    print(weights.get_spec('beats-iter3-plus-as2m-cpt2').name)\n")
    result = _python(code, tmp_path, {"PYTHONPATH": str(ghost_site)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["beats-iter3-plus-as2m-cpt2"] * 2  # the reference model's, declared later
    assert result.stderr.splitlines() == [  # once per process, not once per look-up
        "avbench: weights 'broken-weights' (nonexistent_pkg_xyz:WEIGHTS) cannot be loaded: ModuleNotFoundError: "
        f"No module named 'nonexistent_pkg_xyz' {DECLARED_BY.format(group='weights')}",
        "avbench: weights 'not-specs' (avbench_ghost:NOT_A_PLUG_IN) cannot be loaded: 42 is not a WeightSpec "
        f"{DECLARED_BY.format(group='weights')}"]
    listed = _avbench(ghost_site, "weights", "list")
    assert listed.returncode == 0 and "beats-iter3-plus-as2m-cpt2" in listed.stdout
    assert len(listed.stderr.splitlines()) == 2 and "Traceback" not in listed.stderr


def test_a_generator_plug_in_missing_its_attribute_is_one_line(ghost_site, tmp_path):
    error = ("model 'ghost' (avbench_ghost:NoSuchGenerator) cannot be loaded: AttributeError: module 'avbench_ghost' "
             f"has no attribute 'NoSuchGenerator' {DECLARED_BY.format(group='generators')}")
    listed = _avbench(ghost_site, "ls", "models")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert f"ghost (not available: {error})" in listed.stdout.splitlines() and "folder" in listed.stdout.split()
    made = _avbench(ghost_site, "generate", "--model", "ghost", "--benchmark", "synthetic:tiny", "--out",
                    str(tmp_path / "gen"), env={"AVBENCH_CACHE": str(tmp_path / "cache")})
    assert made.returncode == 2 and made.stderr.splitlines()[-1] == f"avbench generate: error: {error}"
    assert all(line.startswith("avbench: metric ") for line in made.stderr.splitlines()[:-1])  # the other plug-ins


def test_a_broken_metric_plug_in_is_one_line_and_the_catalogue_goes_on(ghost_site, tmp_path):
    warnings = [
        "avbench: metric 'broken_metric' (nonexistent_pkg_xyz:Metric) cannot be loaded: ModuleNotFoundError: "
        f"No module named 'nonexistent_pkg_xyz' {DECLARED_BY.format(group='metrics')}",
        "avbench: metric 'not_a_metric' (avbench_ghost:NOT_A_PLUG_IN) cannot be loaded: 42 is not a Metric class "
        f"{DECLARED_BY.format(group='metrics')}"]
    listed = _avbench(ghost_site, "ls", "metrics")
    assert listed.returncode == 0 and listed.stderr.splitlines() == warnings
    names = [line.split()[0] for line in listed.stdout.splitlines() if not line.startswith(" ")]
    assert names == ["av_align", "fvd", "fid", "kid", "fad", "is", "isv", "clipsim", "clipscore", "av_semantic"]
    scored = _avbench(ghost_site, "score-files", str(tmp_path), "--metrics", "broken_metric")
    assert scored.returncode == 2 and scored.stderr.splitlines() == [
        *warnings, f"avbench score-files: error: unknown metric 'broken_metric'; known: {', '.join(names)}"]


def test_no_lower_layer_names_a_higher_one_in_words():
    """The layers contract is one-way in docstrings and comments too: a lower layer says what it
    does, never which package above it uses it."""
    higher = re.compile(r"\b(leaderboard|reference[_ ]model|baselines)\b", re.IGNORECASE)
    for layer in ("metrics", "benchmark"):
        for path in (REPO / layer).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                assert not higher.search(line), f"{path.relative_to(REPO)}:{number}: {line.strip()}"
