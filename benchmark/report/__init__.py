"""Reports over run directories: tables (md, csv, latex, html), plots (PNG + SVG), console summaries."""
