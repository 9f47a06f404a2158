"""FAKE upstream for tests: stands in for the model only. It replaces researchmm/MM-Diffusion
(checked at 7250222114ee) so avbench's MM-Diffusion driver can run end to end without the model:
the same module paths, function names, argument names and returned shapes, dtypes and value
ranges as the real package (the modules the driver reaches), with a cheap deterministic function
of the conditioning, the random draws and a one-number "checkpoint" in place of the networks.
No CUDA, MPI or mpi4py needed. Never used outside the tests.

When FAKE_MM_DIFFUSION_DUMP names a folder, each sampling call saves what it received and what
it returned there (`base_<n>.npz`, `sr_<n>.npz`), so the tests can check the driver's calls.
"""
