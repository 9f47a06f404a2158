"""Importing this module registers every built-in harness metric."""
from . import av_align_metric  # noqa: F401
