"""FAKE upstream for tests: stands in for the model only. mm_diffusion/dist_util.py's dev() and
load_state_dict(path, **kwargs) (the real module also imports mpi4py and blobfile; not here)."""
import io

import torch as th


def dev():
    """The device the real samplers default to: cuda when available, else cpu."""
    if th.cuda.is_available():
        return th.device("cuda")
    return th.device("cpu")


def load_state_dict(path, **kwargs):
    with open(path, "rb") as f:
        data = f.read()
    return th.load(io.BytesIO(data), **kwargs)
