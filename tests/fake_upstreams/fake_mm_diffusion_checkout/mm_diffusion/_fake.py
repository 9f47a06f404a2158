"""FAKE upstream for tests: what the fake modules share; not a module of the real package.
`dump` saves what a fake sampling call received and returned (see the package docstring);
`OneNumberNet` is the "network" of both fake models: one parameter, `gain`, from the checkpoint,
with the real models' convert_to_fp16() and load_state_dict_(state_dict, is_strict)."""
import os

import numpy as np
import torch as th
import torch.nn as nn


def dump(kind, **arrays):
    folder = os.environ.get("FAKE_MM_DIFFUSION_DUMP")
    if not folder:
        return
    n = len([f for f in os.listdir(folder) if f.startswith(kind + "_")])
    np.savez(os.path.join(folder, "%s_%03d.npz" % (kind, n)), **arrays)


class OneNumberNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(th.ones(1))
        self.use_fp16 = False

    def convert_to_fp16(self):
        self.use_fp16 = True

    def load_state_dict_(self, state_dict, is_strict=False):
        self.load_state_dict(state_dict, strict=is_strict)
