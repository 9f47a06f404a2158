"""Built-in generator adapters: `folder` (pre-generated videos) and the controls `real`,
`shuffled-audio` and `shifted`. `load_adapters()` registers them, and the adapters of the model
packages (`reference_model`, `baselines`) where those provide one."""
from __future__ import annotations

from importlib import import_module

# Modules whose import registers generators.
ADAPTER_MODULES = ("benchmark.adapters.folder", "benchmark.adapters.controls")
OPTIONAL_ADAPTER_MODULES = ("reference_model.adapter", "baselines.adapters")


def load_adapters() -> dict[str, str]:
    """Register every available generator adapter (idempotent). Returns the optional adapter
    modules that exist but cannot be imported (a missing extra), with the reason."""
    for name in ADAPTER_MODULES:
        import_module(name)
    unavailable = {}
    for name in OPTIONAL_ADAPTER_MODULES:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # the model package has no adapter (yet)
            unavailable[name] = f"{type(exc).__name__}: {exc}"
    return unavailable
