"""FAKE upstream for tests: stands in for the model only. mm_diffusion/gaussian_diffusion.py's
GaussianDiffusion.ddim_sample_loop: same arguments, returns the final (N, C, H, W) sample (the
real one returns final["sample"]); `device` defaults to the model's; runs without gradients.
One model call replaces the DDIM steps."""
import numpy as np
import torch as th

from ._fake import dump


class GaussianDiffusion:
    def __init__(self, num_timesteps):
        self.num_timesteps = num_timesteps

    def ddim_sample_loop(self, model, shape, noise=None, clip_denoised=True, denoised_fn=None, cond_fn=None,
                         model_kwargs=None, device=None, progress=False, eta=0.0):
        if device is None:
            device = next(model.parameters()).device
        assert isinstance(shape, (tuple, list))
        img = noise if noise is not None else th.randn(*shape, device=device)
        t = th.tensor([self.num_timesteps - 1] * shape[0], device=device)
        with th.no_grad():
            sample = model(img, t, **model_kwargs)
        dump("sr", shape=np.array(shape), noise=img.cpu().numpy(), low_res=model_kwargs["low_res"].detach().cpu().numpy(),
             sample=sample.cpu().numpy(), clip_denoised=clip_denoised, eta=eta, model_fp16=model.use_fp16,
             num_timesteps=self.num_timesteps, other_model_kwargs=np.array(sorted(set(model_kwargs) - {"low_res"})))
        return sample
