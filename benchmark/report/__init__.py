"""Tables of results and how they are shown, for `avbench report` and the layers above: the one
table model (`table.py`), the report's tables over run directories (`run_tables.py`), the
renderers (`render_*.py`: Markdown, CSV, LaTeX, HTML), the plots (PNG + SVG) and console summaries."""
