"""Importing this module registers every built-in harness metric."""
from . import av_align_metric, clip_metrics, feature_metrics  # noqa: F401
