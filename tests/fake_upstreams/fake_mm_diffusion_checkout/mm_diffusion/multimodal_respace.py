"""FAKE upstream for tests: stands in for the model only. mm_diffusion/multimodal_respace.py's
SpacedDiffusion and space_timesteps (section counts "250" or "ddimN")."""
from .multimodal_gaussian_diffusion import GaussianDiffusion


def space_timesteps(num_timesteps, section_counts):
    if isinstance(section_counts, str):
        if section_counts.startswith("ddim"):
            return set(range(0, num_timesteps, num_timesteps // int(section_counts[len("ddim"):])))
        section_counts = [int(x) for x in section_counts.split(",")]
    return set(range(0, num_timesteps, num_timesteps // sum(section_counts)))


class SpacedDiffusion(GaussianDiffusion):
    def __init__(self, use_timesteps, **kwargs):
        self.use_timesteps = set(use_timesteps)
        super().__init__(len(self.use_timesteps))
