"""Read the parameters and buffers of a TorchScript archive without running any of its code.

A TorchScript `.pt` file is a zip holding `data.pkl` (the module tree as a pickle whose classes
are `__torch__.*` names), `data/<key>` (raw tensor storages) and `code/` (TorchScript source that
declares each class's `__parameters__` and `__buffers__`). `torch.jit.load` compiles and runs that
code; here the pickle is read with an unpickler that knows only placeholder objects and a few
tensor-building functions, and the code is only *read* as text for the parameter and buffer
names. The result equals `torch.jit.load(path).state_dict()`.
"""
from __future__ import annotations

import io
import pickle
import re
import zipfile
from collections import OrderedDict
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
    """Stand-in for a `__torch__.*` object: keeps its class name and pickled attributes."""

    qualified_name = ""
    attributes: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        self.attributes = state if isinstance(state, dict) else {}


def _first(value: Any, *_: Any) -> Any:
    """`torch.jit._pickle.build_*list(values)` / `restore_type_tag(value, type)` → `value`."""
    return value


def _rebuild_tensor(storage: torch.Tensor, offset: int, size: tuple, stride: tuple, *_: Any) -> torch.Tensor:
    return storage.as_strided(size, stride, offset).clone()


class _ArchiveUnpickler(pickle.Unpickler):
    def __init__(self, archive: zipfile.ZipFile, root: str, data: bytes):
        super().__init__(io.BytesIO(data))
        self.archive, self.root = archive, root
        self.classes: dict[str, type] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "__torch__" or module.startswith("__torch__."):
            qualified = f"{module}.{name}"
            if qualified not in self.classes:
                self.classes[qualified] = type(name, (_ScriptObject,), {"qualified_name": qualified})
            return self.classes[qualified]
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch.jit._pickle" and name.startswith(("build_", "restore_type_tag")):
            return _first
        raise pickle.UnpicklingError(f"unsupported object {module}.{name}")

    def persistent_load(self, pid: Any) -> torch.Tensor:
        kind, dtype, key, _location, numel = pid
        if kind != "storage" or not isinstance(dtype, torch.dtype):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        raw = bytearray(self.archive.read(f"{self.root}/data/{key}"))
        storage = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        if storage.numel() < numel:
            raise pickle.UnpicklingError(f"storage {key} holds {storage.numel()} elements, {numel} expected")
        return storage


_CLASS_HEADER = re.compile(r"^class (\w+)\((\w+)\):", re.MULTILINE)
_NAME_LIST = r"^  {0} = \[(.*?)\]"


def _declared_names(archive: zipfile.ZipFile, root: str, qualified: str) -> tuple[bool, list[str], list[str]]:
    """(is a Module, parameter names, buffer names) declared for class `qualified` in `code/`."""
    module_path, _, class_name = qualified.rpartition(".")
    source = archive.read(f"{root}/code/{module_path.replace('.', '/')}.py").decode("utf-8")
    headers = list(_CLASS_HEADER.finditer(source))
    for i, header in enumerate(headers):
        if header[1] != class_name:
            continue
        body = source[header.end(): headers[i + 1].start() if i + 1 < len(headers) else len(source)]
        lists = []
        for attr in ("__parameters__", "__buffers__"):
            found = re.search(_NAME_LIST.format(attr), body, re.MULTILINE)
            lists.append(re.findall(r'"([^"]+)"', found[1]) if found else [])
        return header[2] == "Module", lists[0], lists[1]
    raise KeyError(qualified)


def _collect(archive: zipfile.ZipFile, root: str, obj: _ScriptObject, prefix: str,
             out: "OrderedDict[str, torch.Tensor]") -> None:
    is_module, parameters, buffers = _declared_names(archive, root, obj.qualified_name)
    if not is_module:
        return
    attributes = obj.attributes
    for name in parameters + buffers:
        value = attributes.get(name)
        if isinstance(value, torch.Tensor):
            out[prefix + name] = value
    for name, value in attributes.items():
        if isinstance(value, _ScriptObject):
            _collect(archive, root, value, f"{prefix}{name}.", out)


def read_state_dict(path: str | Path) -> "OrderedDict[str, torch.Tensor]":
    """Parameters and buffers of the TorchScript module in `path`, by dotted name."""
    try:
        with zipfile.ZipFile(path) as archive:
            roots = [name[: -len("/data.pkl")] for name in archive.namelist()
                     if name.endswith("/data.pkl") and name.count("/") == 1]
            if len(roots) != 1:
                raise WeightsError(f"{path}: not a TorchScript archive (no single <root>/data.pkl)")
            root = roots[0]
            if f"{root}/byteorder" in archive.namelist() and archive.read(f"{root}/byteorder").strip() != b"little":
                raise WeightsError(f"{path}: big-endian TorchScript archives are not supported")
            top = _ArchiveUnpickler(archive, root, archive.read(f"{root}/data.pkl")).load()
            if not isinstance(top, _ScriptObject):
                raise WeightsError(f"{path}: TorchScript archive does not hold a module")
            state: "OrderedDict[str, torch.Tensor]" = OrderedDict()
            _collect(archive, root, top, "", state)
            return state
    except (zipfile.BadZipFile, pickle.UnpicklingError, KeyError, ValueError, EOFError) as exc:
        raise WeightsError(f"{path}: cannot read TorchScript archive: {exc}") from None
