"""Media I/O, benchmark definitions, the harness that runs a generator over a benchmark and
scores the run, caching, sharding, and the `avbench` command line."""
