"""`avbench weights download|path` and the missing-weights message, as a user runs them: the
installed `avbench` in a fresh interpreter, files served by a local HTTP server.

Every command's process starts with a `sitecustomize.py` (on PYTHONPATH) that registers weight
entries whose URLs point at the server: the registry's own files live on the internet."""
from __future__ import annotations

import argparse
import hashlib
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from avbench.benchmark.cli import build_parser
from avbench.benchmark.cli.weights import entries
from avbench.metrics import weights, weights_hub
from avbench.metrics.catalogue import metric_class, metric_names
from avbench.metrics.errors import WeightsError
from harness_support import run_installed

PAYLOAD = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and 4 bytes: several chunks, an odd length
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _Server(http.server.ThreadingHTTPServer):
    """Serves PAYLOAD at every path, honouring `Range: bytes=N-` (except at /whole/...), and
    records each request's Range."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ranges: list[str | None] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.ranges.append(self.headers.get("Range"))
        asked = None if self.path.startswith("/whole/") else self.headers.get("Range")
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked else 0
        body = PAYLOAD[start:]
        self.send_response(206 if asked else 200)
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


@pytest.fixture
def env(server, tmp_path):
    """The process environment: weights and Hugging Face caches of the test's own, online, and
    served entries: `served` (sha256 registered), `served-hub-name` (checked against the hash
    prefix its torch.hub-style name carries), `served-wrong` (a sha256 the bytes lack),
    `served-whole` (a server ignoring Range requests), plus `served-down` (a port nothing listens on)."""
    url = f"http://127.0.0.1:{server.server_address[1]}"
    entries = {"served": ("served.bin", url + "/served.bin", DIGEST),
               "served-hub-name": (f"served-{DIGEST[:8]}.pth", url + "/served.pth", None),
               "served-wrong": ("wrong.bin", url + "/wrong.bin", "0" * 64),
               "served-whole": ("whole.bin", url + "/whole/whole.bin", DIGEST),
               "served-down": ("down.bin", "http://127.0.0.1:9/down.bin", DIGEST)}
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("from avbench.metrics import weights\n" + "".join(
        f"weights.register(weights.WeightSpec(name={name!r}, filename={filename!r}, url={link!r}, sha256={sha!r}, "
        f"license='test', loader='torch'))\n" for name, (filename, link, sha) in entries.items()))
    server.ranges.clear()
    return {"AVBENCH_WEIGHTS": str(tmp_path / "weights"), "AVBENCH_CACHE": str(tmp_path / "cache"),
            "HF_HUB_CACHE": str(tmp_path / "hub"), "AVBENCH_OFFLINE": "0", "HF_HUB_OFFLINE": "0",
            "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_checks_the_file_then_skips_it(env, server):
    folder = Path(env["AVBENCH_WEIGHTS"])
    done = run_installed(["weights", "download", "--quiet", "served", "served-hub-name"], env=env)
    assert done.returncode == 0, done.stderr
    assert _sha256(folder / "served.bin") == DIGEST and _sha256(folder / f"served-{DIGEST[:8]}.pth") == DIGEST
    assert f"served: downloaded {folder / 'served.bin'} (sha256 {DIGEST}; sha256 {DIGEST} ok)" in done.stdout
    assert not list(folder.glob("*.part")) and server.ranges == [None, None]
    again = run_installed(["weights", "download", "served"], env=env)
    assert again.returncode == 0 and again.stdout == f"served: present {folder / 'served.bin'}\n"
    assert len(server.ranges) == 2  # nothing fetched again


@pytest.mark.parametrize(("name", "filename", "have"), [("served", "served.bin", 300_001),
                                                       ("served-whole", "whole.bin", 5000)],
                         ids=["resumed", "server-ignores-range"])
def test_an_interrupted_download_continues_from_its_part(env, server, name, filename, have):
    """The part's length goes out as a Range request; a server that ignores it sends the whole
    file, which replaces the part instead of being appended to it."""
    folder = Path(env["AVBENCH_WEIGHTS"])
    folder.mkdir()
    (folder / f"{filename}.part").write_bytes(PAYLOAD[:have])
    done = run_installed(["weights", "download", "--quiet", name], env=env)
    assert done.returncode == 0, done.stderr
    assert server.ranges == [f"bytes={have}-"] and _sha256(folder / filename) == DIGEST
    assert not (folder / f"{filename}.part").exists()


def test_wrong_bytes_and_a_dead_server_are_one_line_each_and_nothing_is_kept(env, server):
    folder = Path(env["AVBENCH_WEIGHTS"])
    done = run_installed(["weights", "download", "--quiet", "served-wrong", "served-down", "served"], env=env)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 2 and "Traceback" not in done.stderr
    url = f"http://127.0.0.1:{server.server_address[1]}/wrong.bin"
    assert lines[0].startswith(f"avbench weights: error: served-wrong: {url}: download refused and deleted: "
                               f"{folder / 'wrong.bin.part'}: sha256 {DIGEST} does not match 'served-wrong'")
    assert lines[1].startswith("served-down: http://127.0.0.1:9/down.bin: download failed: ")
    assert not (folder / "wrong.bin").exists() and not (folder / "wrong.bin.part").exists()
    assert _sha256(folder / "served.bin") == DIGEST  # the batch went on past the failures


def test_offline_all_is_one_line_without_the_network(env, server):
    done = run_installed(["weights", "download", "--all"], env={**env, "AVBENCH_OFFLINE": "1"})
    assert done.returncode == 2 and done.stdout == "" and server.ranges == []
    [line] = done.stderr.splitlines()
    assert line.startswith("avbench weights: error: AVBENCH_OFFLINE=1 is set, so nothing was downloaded; missing: ")
    for name in ("served", "i3d-styleganv", "vggish", "clip-vit-base-patch32 (openai/clip-vit-base-patch32)"):
        assert name in line


def test_an_unknown_name_lists_what_is_accepted(env):
    done = run_installed(["weights", "download", "fvd/nope"], env=env)
    [line] = done.stderr.splitlines()
    assert done.returncode == 2
    assert line.startswith("avbench weights: error: unknown weights, metric or preset 'fvd/nope'")
    assert "clipsim" in line and "fvd/styleganv" in line and "vggish" in line


def test_weights_path_of_a_metric(env):
    folder = Path(env["AVBENCH_WEIGHTS"])
    folder.mkdir()
    specs = [weights.get_spec(name) for name in ("i3d-styleganv", "i3d-videogpt")]  # FVD's two presets
    (folder / specs[0].filename).write_bytes(b"stand-in")
    done = run_installed(["weights", "path", "fvd"], env=env)
    assert done.returncode == 1 and done.stdout == f"i3d-styleganv: {folder / specs[0].filename}\n"
    [line] = done.stderr.splitlines()
    assert specs[1].url in line and str(folder / specs[1].filename) in line
    one = run_installed(["weights", "path", "fvd/styleganv"], env=env)
    assert one.returncode == 0 and one.stdout == f"i3d-styleganv: {folder / specs[0].filename}\n"


def test_a_run_lists_every_missing_file_before_any_work(env, tmp_path):
    gen = run_installed(["generate", "--model", "real", "--benchmark", "synthetic:tiny", "--out", str(tmp_path / "gen"),
                         "--quiet"], env=env)
    assert gen.returncode == 0, gen.stderr
    done = run_installed(["score", "--benchmark", "synthetic:tiny", "--inputs", str(tmp_path / "gen"), "--out",
                          str(tmp_path / "run"), "--metrics", "fvd,fad,clipsim", "--quiet"],
                         env={**env, "AVBENCH_OFFLINE": "1"})
    assert done.returncode == 2 and "Traceback" not in done.stderr and not (tmp_path / "run" / "states").exists()
    assert done.stderr.startswith("avbench score: error: 3 weight files are missing:\n")
    for name in ("i3d-styleganv", "vggish"):
        spec = weights.get_spec(name)
        assert spec.url in done.stderr and str(Path(env["AVBENCH_WEIGHTS"]) / spec.filename) in done.stderr
        assert f"--weights {name}=PATH" in done.stderr
    assert "openai/clip-vit-base-patch32" in done.stderr and env["HF_HUB_CACHE"] in done.stderr
    assert done.stderr.endswith("`avbench weights download i3d-styleganv vggish clip-vit-base-patch32`\n")


def _install_hub_model(hub: Path, repo_id: str) -> Path:
    """The files a CLIP load reads, in the Hugging Face cache as huggingface_hub lays out a download."""
    commit = "0" * 40
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name in ("config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors"):
        (snapshot / name).write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_a_hub_model_offline_is_found_in_the_hugging_face_cache(env):
    hub_env = {**env, "HF_HUB_OFFLINE": "1"}
    empty = run_installed(["weights", "download", "clipsim"], env=hub_env)
    [line] = empty.stderr.splitlines()
    assert empty.returncode == 2 and "HF_HUB_OFFLINE=1" in line and "openai/clip-vit-base-patch32" in line
    snapshot = _install_hub_model(Path(env["HF_HUB_CACHE"]), "openai/clip-vit-base-patch32")
    done = run_installed(["weights", "download", "clipsim"], env=hub_env)
    assert done.returncode == 0 and done.stdout == f"clip-vit-base-patch32: present {snapshot}\n"
    listed = run_installed(["weights", "list"], env=hub_env)
    assert (f"clip-vit-base-patch32: present\n  hub:     openai/clip-vit-base-patch32 (revision main, not pinned)\n"
            f"  path:    {snapshot}\n") in listed.stdout


def test_the_docs_table_lists_each_presets_files():
    """docs/weights.md's table says, for every preset, the registry files `weights download` fetches for it."""
    text = (Path(__file__).parents[1] / "docs" / "weights.md").read_text(encoding="utf-8")
    table = {row[0]: re.findall(r"`([^`]+)`", row[1])
             for row in re.findall(r"^\| `([^`]+)` \| (.+) \|$", text, flags=re.MULTILINE)}
    needed = {p: entries([p]) for m in metric_names() for p in metric_class(m).presets() if entries([p])}
    assert table == needed


def test_every_scoring_verb_takes_weights_name_path_alike():
    verbs = ("score", "score-files", "run", "stats")
    parser = build_parser(verbs)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = set()
    for verb in verbs:
        found = subparsers.choices[verb]
        if verb == "stats":  # `stats build` scores a folder
            found = next(a for a in found._actions if isinstance(a, argparse._SubParsersAction)).choices["build"]
        [option] = [a for a in found._actions if "--weights" in a.option_strings]
        helps.add((option.metavar, option.help, option.default == []))
    assert helps == {("NAME=PATH", "use this file for registered weights NAME (repeatable; see `avbench weights list`)",
                      True)}


def test_the_hub_download_call_reads_a_populated_cache(tmp_path, monkeypatch):
    """`weights_hub.download` through huggingface_hub's own snapshot_download (cache only here):
    the snapshot when the cache holds the model, one line naming the repository when it does not."""
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    spec = weights.get_spec("clip-vit-large-patch14")
    with pytest.raises(WeightsError, match=r"^Hugging Face model openai/clip-vit-large-patch14: download failed: "):
        weights_hub.download(spec, offline=True)
    snapshot = _install_hub_model(tmp_path, spec.repo_id)
    assert weights_hub.download(spec, offline=True, progress=False) == snapshot == weights.find(spec)
