"""Registers the baseline generators `tats` and `mm-diffusion` (imported by
`benchmark.adapters.load_adapters`)."""
from . import mm_diffusion, tats  # noqa: F401  (import registers)
