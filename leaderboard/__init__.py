"""Validated result submissions, tables (Markdown, LaTeX, HTML, CSV), plots and a static site.

Not built yet; see the leaderboard issue.
"""
