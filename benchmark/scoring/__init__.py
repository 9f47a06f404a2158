"""Scoring a run: inputs → per-metric map (cached) → mergeable states → values → run directory."""
