"""Built-in generator adapters: `folder` (pre-generated videos) and the controls `real`,
`shuffled-audio` and `shifted`. Importing `load_adapters()` registers them, and the adapters
of the model packages (`reference_model`, `baselines`) where those provide one."""
from __future__ import annotations

from importlib import import_module

# Modules whose import registers generators; a model package without an adapter module is skipped.
ADAPTER_MODULES = ("benchmark.adapters.folder", "benchmark.adapters.controls")
OPTIONAL_ADAPTER_MODULES = ("reference_model.adapter", "baselines.adapters")


def load_adapters() -> None:
    """Register every available generator adapter (idempotent)."""
    for name in ADAPTER_MODULES:
        import_module(name)
    for name in OPTIONAL_ADAPTER_MODULES:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
