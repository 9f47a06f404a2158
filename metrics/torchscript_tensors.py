"""Read the tensors of a TorchScript archive without running any of its code.

Canonical metric networks are sometimes published only as TorchScript (StyleGAN-V's
`c3d_ucf101.pt`, `i3d_torchscript.pt`). `torch.jit.load` would run the archive's code and
`torch.load(weights_only=True)` refuses such archives, so this module unpickles `data.pkl` with an
allow-list: TorchScript classes (`__torch__.*`) become inert attribute holders, tensors are
rebuilt from the archive's raw storages, and any other global is refused. The result is the
module's parameters, buffers and tensor attributes by dotted path, as `state_dict()` names them.
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from .errors import WeightsError

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class _ScriptObject:
    """Inert stand-in for a pickled TorchScript object: keeps its attributes, runs nothing."""

    def __setstate__(self, state: Any) -> None:
        self.__dict__["_state"] = state if isinstance(state, dict) else {}


class _StorageType:
    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype


def _rebuild_tensor(storage: torch.Tensor, offset: int, size: tuple, stride: tuple, *_: Any) -> torch.Tensor:
    return torch.as_strided(storage, tuple(size), tuple(stride), offset).clone()


def _identity_tag(value: Any, *_: Any) -> Any:
    return value


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, root: str):
        import io

        super().__init__(io.BytesIO(data))
        self._archive = archive
        self._root = root

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("__torch__"):
            return type(name, (_ScriptObject,), {})
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "collections" and name == "OrderedDict":
            return dict
        if module == "torch.jit._pickle" and name in ("restore_type_tag", "build_intlist", "build_doublelist",
                                                      "build_boollist", "build_tensorlist"):
            return _identity_tag
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1], pid[2], pid[3], pid[4]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unknown storage type {storage_type!r}")
        raw = bytearray(self._archive.read(f"{self._root}data/{key}"))
        flat = torch.frombuffer(raw, dtype=storage_type.dtype) if raw else torch.empty(0, dtype=storage_type.dtype)
        if flat.numel() != numel:
            raise pickle.UnpicklingError(f"storage {key}: {flat.numel()} elements, expected {numel}")
        return flat


def _collect(obj: Any, prefix: str, out: dict[str, torch.Tensor], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    for name, value in obj.__dict__.get("_state", {}).items():
        if isinstance(value, torch.Tensor):
            out[f"{prefix}{name}"] = value
        elif isinstance(value, _ScriptObject):
            _collect(value, f"{prefix}{name}.", out, seen)


def read_torchscript_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Parameters, buffers and tensor attributes of the TorchScript archive at `path`, by dotted name."""
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            if len(pickles) != 1:
                raise WeightsError(f"{path}: not a TorchScript archive (no single <root>/data.pkl)")
            root = pickles[0][: -len("data.pkl")]
            if f"{root}constants.pkl" not in archive.namelist():
                raise WeightsError(f"{path}: a torch.save zip, not TorchScript; load it as torch weights")
            byteorder = archive.read(f"{root}byteorder").decode() if f"{root}byteorder" in archive.namelist() else "little"
            if byteorder != "little":
                raise WeightsError(f"{path}: big-endian TorchScript archives are not supported")
            top = _Unpickler(archive.read(pickles[0]), archive, root).load()
    except (zipfile.BadZipFile, pickle.UnpicklingError, KeyError, EOFError, ValueError) as exc:
        raise WeightsError(f"{path}: cannot read TorchScript tensors: {exc}") from None
    if not isinstance(top, _ScriptObject):
        raise WeightsError(f"{path}: TorchScript archive does not hold a module")
    tensors: dict[str, torch.Tensor] = {}
    _collect(top, "", tensors, set())
    return tensors
