"""A module fixture that runs BLAS, OpenMP and torch on one thread.

On the shared 2-core test machine, two spinning OpenMP/OpenBLAS threads slow eigh, sqrtm and the
convolutions down up to tenfold whenever another process holds a core; one thread is steady.
Import `one_thread` into a test module to use it.
"""
import pytest
import torch
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(threads)
