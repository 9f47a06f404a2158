"""`avbench weights` and missing weights in `avbench score-files`: one message, non-zero exit."""
import dataclasses

import pytest

import avbench.benchmark.cli as cli
from avbench.benchmark.synthetic import SyntheticClip, write_clip
from avbench.metrics import weights
from avbench.metrics.fileio import sha256_file


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("AVBENCH_OFFLINE", "1")
    return tmp_path


def run_cli(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_score_files_without_weights_prints_url_and_path(no_weights, capsys):
    write_clip(SyntheticClip(name="clip"), no_weights / "gen")
    code, out, err = run_cli(["score-files", "--metrics", "fvd", str(no_weights / "gen"), str(no_weights / "gen")], capsys)
    spec = weights.get_spec("i3d-styleganv")
    assert code == 1  # every metric that cannot run is reported, and the others would go on
    assert out.count("\n") == 1 and out.startswith("fvd not computed: ") and "Traceback" not in err + out
    assert spec.url in out and str(no_weights / "weights" / spec.filename) in out


def test_weights_path_and_verify_report_missing_files(no_weights, capsys):
    code, out, err = run_cli(["weights", "path", "inception-torch-fidelity"], capsys)
    spec = weights.get_spec("inception-torch-fidelity")
    assert code == 2 and spec.url in err and "Traceback" not in err
    code, out, err = run_cli(["weights", "verify", "vggish"], capsys)
    assert code == 1 and "vggish: MISSING" in out and weights.get_spec("vggish").url in out


def test_weights_list_and_verify_a_present_file(no_weights, monkeypatch, capsys):
    spec = weights.get_spec("vggish")
    path = no_weights / "weights" / spec.filename
    path.parent.mkdir()
    path.write_bytes(b"stand-in weight bytes")
    code, out, _ = run_cli(["weights", "list"], capsys)
    assert code == 0 and "vggish: present" in out and "i3d-videogpt: missing" in out
    code, out, _ = run_cli(["weights", "path", "vggish"], capsys)
    assert code == 0 and out.strip() == str(path)
    # A registered checksum that matches, then one that does not.
    monkeypatch.setitem(weights._REGISTRY, "vggish", dataclasses.replace(spec, sha256=sha256_file(path)))
    code, out, _ = run_cli(["weights", "verify", "vggish"], capsys)
    assert code == 0 and f"vggish: ok sha256 {sha256_file(path)}" in out
    monkeypatch.setitem(weights._REGISTRY, "vggish", dataclasses.replace(spec, sha256="0" * 64))
    code, out, _ = run_cli(["weights", "verify", "vggish"], capsys)
    assert code == 1 and "vggish: MISMATCH" in out
