"""FAKE upstream for tests: stands in for the model only. mm_diffusion/respace.py's
SpacedDiffusion (for the SR model)."""
from .gaussian_diffusion import GaussianDiffusion
from .multimodal_respace import space_timesteps  # the real respace.py has its own copy


class SpacedDiffusion(GaussianDiffusion):
    def __init__(self, use_timesteps, **kwargs):
        self.use_timesteps = set(use_timesteps)
        super().__init__(len(self.use_timesteps))


__all__ = ["SpacedDiffusion", "space_timesteps"]
