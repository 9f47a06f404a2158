"""Validated result submissions, tables (Markdown, LaTeX, HTML, CSV), plots and a static site.

`store` is the on-disk format every part shares: entries with a trust level
(`reference`, `verified`, `self-reported`, `reported`).
"""
