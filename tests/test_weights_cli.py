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
    assert code == 1 and spec.url in err and "Traceback" not in err
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


def test_hash_pattern_is_torch_hubs():
    import torch.hub

    assert weights.HASH_REGEX.pattern == torch.hub.HASH_REGEX.pattern


def test_torch_hub_name_prefix_checked_as_torch_hub_does(tmp_path):
    """A file is accepted under a torch.hub name exactly when torch.hub's own download check
    (`hash_prefix`, what `check_hash=True` passes) accepts it."""
    import hashlib

    import torch.hub

    source = tmp_path / "weights.bin"
    source.write_bytes(b"weights of some network")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    other = "0" if digest[0] != "0" else "1"
    spec = weights.get_spec("vggish")
    verdicts = {}
    for prefix in (digest[:8], digest[:12], other + digest[1:8]):
        try:
            torch.hub.download_url_to_file(source.as_uri(), str(tmp_path / "copy"), hash_prefix=prefix, progress=False)
            torch_accepts = True
        except RuntimeError:
            torch_accepts = False
        named = dataclasses.replace(spec, filename=f"vggish-{prefix}.pth")
        try:
            ours = weights.verify(named, source) == digest
        except weights.WeightsError as exc:
            assert f"does not start with {prefix}" in str(exc) and str(source) in str(exc)
            ours = False
        verdicts[prefix] = (ours, torch_accepts)
    assert list(verdicts.values()) == [(True, True), (True, True), (False, False)]


def test_registered_torch_hub_names_carry_their_prefix():
    specs = weights.registered()
    assert (specs["vggish"].hash_prefix, specs["vggish-pca"].hash_prefix) == ("10086976", "970ea276")
    for spec in specs.values():  # a published sha256 agrees with the prefix its name carries
        if spec.sha256 and spec.hash_prefix:
            assert spec.sha256.startswith(spec.hash_prefix), spec


def test_a_file_that_does_not_match_the_name_prefix_is_not_loaded(no_weights):
    import torch

    path = no_weights / "weights" / weights.get_spec("vggish").filename
    path.parent.mkdir()
    torch.save({"embeddings.0.weight": torch.zeros(2, 2)}, path)  # a loadable file, not the published one
    with pytest.raises(weights.WeightsError, match="does not start with 10086976, the hash prefix of 'vggish'"):
        weights.load("vggish")


def test_weights_list_and_verify_name_the_prefix(tmp_path):
    from harness_support import run_installed

    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / weights.get_spec("vggish").filename).write_bytes(b"not the published file")
    env = {"AVBENCH_WEIGHTS": str(folder), "AVBENCH_OFFLINE": "1"}
    listed = run_installed(["weights", "list"], env=env)
    assert listed.returncode == 0 and "\nvggish: present\n" in listed.stdout
    assert "  checksum: sha256 prefix 10086976 (torch.hub name)\n" in listed.stdout
    assert "  checksum: sha256 prefix 970ea276 (torch.hub name)\n" in listed.stdout
    done = run_installed(["weights", "verify", "vggish"], env=env)
    assert done.returncode == 1 and done.stdout.startswith("vggish: MISMATCH: ")
    assert "does not start with 10086976, the hash prefix of 'vggish''s torch.hub name vggish-10086976.pth" in done.stdout
