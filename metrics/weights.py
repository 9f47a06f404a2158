"""Weights registry: every canonical network file by name, with URL, sha256, licence and loader.

The built-in files are listed in `weights.yaml` (read when this module is imported); model
packages add theirs through the `avbench.weights` entry-point group.

Resolution order for a weight file: explicit path → `$AVBENCH_WEIGHTS/<file>` →
`<cache>/weights/<file>` → download into the cache (`weights_fetch`: resumable, verified before it
is moved into place; unless offline: `offline=True` or `AVBENCH_OFFLINE=1`). A Hugging Face model
(`repo_id` set: the CLIP models) lives in the Hugging Face cache and is loaded by `transformers`
(`weights_hub`). `require_all` checks every file a run needs at once. A file is checked against
its registered sha256 before it is loaded (or, where none is published but the file's torch.hub
name carries a hash prefix, `vggish-10086976.pth`, against that prefix, as torch.hub's
`check_hash` does), and loading never unpickles code: safetensors, `torch.load(weights_only=True)`
(numpy arrays allowed, as some canonical files hold them), `numpy.load(allow_pickle=False)`, or
the tensors of a TorchScript archive read without running its code (`metrics.torchscript_archive`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from . import plugins
from .errors import WeightsError
from .fileio import cache_root, sha256_file

LOADERS = ("torch", "safetensors", "npz", "torchscript", "transformers")
# What makes a Hugging Face model offline for `transformers` besides avbench's own flag.
HUB_OFFLINE_FLAGS = ("AVBENCH_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
# torch.hub's HASH_REGEX (torch/hub.py): a file named `name-<hex>.ext` has a sha256 starting with
# <hex>. Kept here so that listing weights imports no torch; tests/test_weights_cli.py checks it is torch's.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")


@dataclass(frozen=True)
class WeightSpec:
    """One registered weight file.

    `sha256` is None only where no full checksum is published; such a file is checked against
    the hash prefix of its torch.hub name where it has one (`hash_prefix`), and its measured
    sha256 is what results record. `manual_download` is set when `url`
    is a web page rather than the file (e.g. a Google Drive folder): it says what to take from the
    page, and avbench never tries to download it itself. `repo_id` is set for a Hugging Face
    model (loader `transformers`): `filename` is then its weights file in the repository,
    `revision` the pinned commit (None: `main`), and the model lives in the Hugging Face cache.
    """

    name: str
    filename: str
    url: str
    sha256: str | None
    license: str
    loader: str
    description: str = ""
    manual_download: str | None = None
    repo_id: str | None = None
    revision: str | None = None

    def __post_init__(self) -> None:
        if self.loader not in LOADERS:
            raise ValueError(f"weights {self.name}: loader must be one of {LOADERS}")
        if (self.loader == "transformers") != (self.repo_id is not None):
            raise ValueError(f"weights {self.name}: a Hugging Face model has both a repo_id and loader transformers")

    @property
    def on_hub(self) -> bool:
        """Whether this is a Hugging Face model (downloaded by huggingface_hub, loaded by transformers)."""
        return self.repo_id is not None

    @property
    def hash_prefix(self) -> str | None:
        """The sha256 prefix in the file's torch.hub name (`vggish-10086976.pth`: "10086976"), or None."""
        found = HASH_REGEX.search(Path(self.filename).name)
        return (found.group(1) or None) if found else None  # `name-.pt` carries no prefix

    def checksum(self) -> str:
        """What a file is checked against, in words: its sha256, its name's prefix, or nothing."""
        if self.on_hub:
            return "huggingface_hub's download checks"
        if self.sha256 is not None:
            return f"sha256 {self.sha256}"
        if self.hash_prefix is not None:
            return f"sha256 prefix {self.hash_prefix} (torch.hub name)"
        return "none published"


def _read_specs() -> dict[str, WeightSpec]:
    """The built-in specs: `weights.yaml` beside this module, read when the registry is imported."""
    import yaml

    text = (resources.files(__package__) / "weights.yaml").read_text(encoding="utf-8")
    return {entry["name"]: WeightSpec(**entry) for entry in yaml.safe_load(text)}


_REGISTRY: dict[str, WeightSpec] = _read_specs()
ENTRY_POINT_GROUP = "avbench.weights"
_plugins_loaded = False


def register(spec: WeightSpec) -> WeightSpec:
    """Add `spec` to the registry (idempotent for an identical spec)."""
    known = _REGISTRY.get(spec.name)
    if known is not None and known != spec:
        raise ValueError(f"weights {spec.name!r} registered twice with different specs")
    _REGISTRY[spec.name] = spec
    return spec


def _load_plugins() -> None:
    """Register the specs other packages declare in the `avbench.weights` entry-point group (each
    an iterable of WeightSpec), once; a model package's weights so appear in `avbench weights list`.
    A broken entry is reported in one line (see `plugins`) and the others are still registered."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True  # before loading: a plug-in that looks weights up while imported must not recurse
    for entry, specs in plugins.load_group(ENTRY_POINT_GROUP, "weights"):
        try:
            specs = list(specs)
        except TypeError:  # not iterable: reported as not a WeightSpec below
            specs = [specs]
        bad = [spec for spec in specs if not isinstance(spec, WeightSpec)]
        if bad:
            plugins.warn(plugins.failure(entry, "weights", f"{bad[0]!r} is not a WeightSpec"))
            continue
        for spec in specs:
            if spec.name not in _REGISTRY:  # a test may have put its own version of it in place
                register(spec)


def registered() -> dict[str, WeightSpec]:
    """All registered specs by name (a copy)."""
    _load_plugins()
    return dict(_REGISTRY)


def get_spec(name: str) -> WeightSpec:
    if name not in _REGISTRY:
        _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise WeightsError(f"unknown weights {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def hub_entry(repo_id: str) -> str | None:
    """The registry name of Hugging Face model `repo_id`, or None (a directory or an unregistered id)."""
    return next((spec.name for spec in registered().values() if spec.repo_id == repo_id), None)


def weights_dir() -> Path:
    """Directory where downloaded weights are kept: `<cache>/weights`."""
    return cache_root() / "weights"


def default_path(spec: WeightSpec) -> Path:
    """Where avbench looks for (and downloads) `spec` when no explicit path is given (a Hugging
    Face model: its folder in the Hugging Face cache)."""
    if spec.on_hub:
        from .weights_hub import repo_folder

        return repo_folder(spec)
    env = os.environ.get("AVBENCH_WEIGHTS")
    if env:
        return Path(env) / spec.filename
    return weights_dir() / spec.filename


def offline_flag(env_flags: tuple[str, ...] = ("AVBENCH_OFFLINE",)) -> str | None:
    """The first of `env_flags` set to a true value (`AVBENCH_OFFLINE=1`), or None."""
    return next((name for name in env_flags if os.environ.get(name, "") not in ("", "0", "false", "False")), None)


def is_offline(offline: bool | None = None, env_flags: tuple[str, ...] = ("AVBENCH_OFFLINE",)) -> bool:
    """`offline` when given, else whether any of `env_flags` is set to a true value."""
    return offline if offline is not None else offline_flag(env_flags) is not None


def spec_offline_flag(spec: WeightSpec) -> str | None:
    """The variable that keeps `spec` from being downloaded (`AVBENCH_OFFLINE=1`; for a Hugging
    Face model also `HF_HUB_OFFLINE=1` or `TRANSFORMERS_OFFLINE=1`), or None."""
    return offline_flag(HUB_OFFLINE_FLAGS if spec.on_hub else ("AVBENCH_OFFLINE",))


def find(spec: WeightSpec) -> Path | None:
    """The copy of `spec` avbench would load (a Hugging Face model: its cached snapshot folder),
    or None when it is not there. Never downloads."""
    if spec.on_hub:
        from .weights_hub import cached_snapshot

        return cached_snapshot(spec)
    path = default_path(spec)
    return path if path.is_file() else None


def missing_message(spec: WeightSpec) -> str:
    """The one message a user needs when `spec` is not on disk."""
    if spec.on_hub:
        return (f"weights {spec.name!r} (Hugging Face model {spec.repo_id}, revision {spec.revision or 'main'}) "
                f"not in the Hugging Face cache {default_path(spec).parent}: fetch it where the Hub is reachable "
                f"(`avbench weights download {spec.name}`), or pass a local copy of the model's folder "
                f"(the metric option clip_model=DIR)")
    source = spec.url if spec.manual_download is None else f"{spec.manual_download} from {spec.url}"
    return (
        f"weights {spec.name!r} not found: download {source} and put it at {default_path(spec)} "
        f"(or set AVBENCH_WEIGHTS to its folder, or pass --weights {spec.name}=PATH)"
    )


def require_all(needs: Mapping[str, str | Path | None]) -> None:
    """Make sure every file of `needs` (registry name → explicit path or None) is there before any
    work: files missing from their default place are downloaded when allowed, and whatever is
    still missing (offline, by hand only, a failed download, an explicit path that is no file) is
    listed in one WeightsError, one line per file, with the command that fetches them ahead of time.
    A Hugging Face model is checked only offline (online, transformers fetches it as it loads)."""
    problems: dict[str, str] = {}
    for name, path in needs.items():
        spec = get_spec(name)
        if path is not None:
            if not Path(path).is_file():
                problems[name] = f"{path}: weights file for {name!r} (--weights {name}=PATH) does not exist"
            continue
        if find(spec) is not None or (spec.on_hub and spec_offline_flag(spec) is None):
            continue
        if spec_offline_flag(spec) is not None or spec.manual_download is not None:
            problems[name] = missing_message(spec)
            continue
        try:
            resolve(name)
        except WeightsError as exc:
            problems[name] = str(exc)
    if not problems:
        return
    fetchable = [name for name in problems if needs[name] is None]  # not a mistyped --weights path
    command = f"`avbench weights download {' '.join(fetchable)}`"
    fetch = f"fetch ahead of time with {command}" if fetchable else ""
    if len(problems) == 1:
        (problem,) = problems.values()
        raise WeightsError(problem if command in problem else "; ".join(filter(None, [problem, fetch])))
    lines = "\n".join(f"  {problem}" for problem in problems.values())
    raise WeightsError("\n".join(filter(None, [f"{len(problems)} weight files are missing:", lines, fetch])))


def verify(spec: WeightSpec, path: str | Path) -> str:
    """sha256 of `path`; raises WeightsError when it differs from the registered checksum, or,
    without one, does not start with the prefix of the torch.hub name."""
    digest = sha256_file(path)
    if spec.sha256 is not None:
        wrong = None if digest == spec.sha256 else f"does not match {spec.name!r} ({spec.sha256})"
    else:
        prefix = spec.hash_prefix
        wrong = None if prefix is None or digest.startswith(prefix) else (
            f"does not start with {prefix}, the hash prefix of {spec.name!r}'s torch.hub name {spec.filename}")
    if wrong:
        raise WeightsError(f"{path}: sha256 {digest} {wrong}; the file is corrupt or another version: "
                           f"re-download it from {spec.url}")
    return digest


def resolve(name: str, path: str | Path | None = None, offline: bool | None = None) -> Path:
    """Path of a verified copy of weights `name`, downloading it when allowed."""
    return resolve_with_sha256(name, path, offline)[0]


def resolve_with_sha256(name: str, path: str | Path | None = None, offline: bool | None = None) -> tuple[Path, str]:
    """`resolve`, also returning the file's sha256 (what results record as the weights used)."""
    spec = get_spec(name)
    if spec.on_hub:
        raise WeightsError(f"weights {name!r} are a Hugging Face model: transformers loads {spec.repo_id} itself")
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise WeightsError(f"{path}: weights file for {name!r} does not exist")
    else:
        path = default_path(spec)
        if not path.is_file():
            if is_offline(offline) or spec.manual_download is not None:
                raise WeightsError(missing_message(spec))
            from .weights_fetch import fetch

            try:
                return path, fetch(spec, path)
            except WeightsError as exc:
                raise WeightsError(f"weights {name!r}: {exc} (it goes to {path}; "
                                   f"or pass --weights {name}=PATH)") from None
    return path, verify(spec, path)


def _numpy_array_globals() -> list:
    """What a pickled numpy array needs (under numpy 1.x and 2.x module names); no code objects.

    torchvggish's `vggish_pca_params-970ea276.pth` stores its PCA matrices as numpy arrays.
    """
    import numpy as np

    reconstruct = np.zeros(0).__reduce__()[0]  # numpy's own array-rebuilding function
    names = [(reconstruct, f"numpy.{core}.multiarray._reconstruct") for core in ("core", "_core")]
    dtype_classes = [type(np.dtype(code)) for code in "?bBhHiIlLqQefd"]
    return [np.ndarray, np.dtype, *dtype_classes, *names]


def load_file(spec: WeightSpec, path: str | Path) -> Any:
    """Read a verified file with the spec's safe loader (no arbitrary unpickling)."""
    try:
        if spec.loader == "safetensors":
            from safetensors.torch import load_file as load_safetensors

            return load_safetensors(str(path))
        if spec.loader == "npz":
            import numpy as np

            with np.load(path, allow_pickle=False) as npz:
                return {key: npz[key] for key in npz.files}
        if spec.loader == "torchscript":
            from .torchscript_archive import read_state_dict

            return read_state_dict(path)
        import torch

        with torch.serialization.safe_globals(_numpy_array_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt or foreign file: say so in one line
        raise WeightsError(f"{path}: cannot be read as {spec.loader} weights for {spec.name!r}: {exc}") from None


def load_verified(name: str, path: str | Path | None = None) -> tuple[Any, str, str]:
    """State dict of weights `name` (explicit `path` first), the file's sha256 (what a feature
    state records as its provenance) and the file's path for error messages."""
    resolved, digest = resolve_with_sha256(name, path=path)
    return load_file(get_spec(name), resolved), digest, str(resolved)


def recorded_sha256(name: str, path: str | Path | None = None) -> str | None:
    """The sha256 results record for weights `name`: the file's own hash when an explicit `path`
    is given, else the published checksum (verified when the file loads), else the hash of the
    file where the registry finds it; None when there is no such file (nothing was loaded)."""
    spec = get_spec(name)
    if path is not None:
        if not Path(path).is_file():
            raise WeightsError(f"{path}: weights file for {name!r} does not exist")
        return sha256_file(path)
    if spec.sha256 is not None:
        return spec.sha256
    found = default_path(spec)
    return sha256_file(found) if found.is_file() else None


def load(name: str, path: str | Path | None = None, offline: bool | None = None) -> Any:
    """Resolve, verify and safely load weights `name`."""
    spec = get_spec(name)
    return load_file(spec, resolve(name, path=path, offline=offline))
