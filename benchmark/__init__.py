"""Benchmark definitions (YAML + items CSV), the generator protocol and the built-in adapters,
the harness that generates a run and scores it (sharding, merging, run directories), reports
(the table model, its renderers and plots), the validity study, and the `avbench` command line.

Media reading and the content cache live one layer down, in `avbench.metrics` (`metrics.media`,
`metrics.cache`)."""
