"""FAKE upstream for tests: stands in for the model only. mm_diffusion/
multimodal_gaussian_diffusion.py's GaussianDiffusion.conditional_p_sample_loop: same arguments,
the same noise draws (video then audio, torch.randn on the CPU, moved to `device`, which defaults
to dist_util.dev()), the conditioning popped from model_kwargs["audio"], gradients enabled when
class_scale != 0; returns {"video": (N, F, C, H, W), "audio": (N, C, L)} as the real loop does.
One model call replaces the 1000 steps."""
import numpy as np
import torch as th

from . import dist_util
from ._fake import dump


class GaussianDiffusion:
    def __init__(self, num_timesteps):
        self.num_timesteps = num_timesteps

    def conditional_p_sample_loop(self, model, shape, use_fp16, noise=None, clip_denoised=True, denoised_fn=None,
                                  cond_fn=None, model_kwargs=None, device=None, progress=True, class_scale=0.):
        if device is None:
            device = dist_util.dev()
        if noise is None:
            video = th.randn(*shape["video"], device='cpu').to(device)
            audio = th.randn(*shape["audio"], device='cpu').to(device)
            noise = {"video": video, "audio": audio}
        audio_condition = model_kwargs.pop("audio") if "audio" in model_kwargs else None
        t = th.tensor([self.num_timesteps - 1] * shape["video"][0], device=device)
        with th.set_grad_enabled(class_scale != 0):
            x_video = noise["video"].detach().requires_grad_(class_scale != 0)
            video, audio = model(x_video, audio_condition, t, **model_kwargs)
        dump("base", condition=audio_condition.detach().cpu().numpy(), noise_video=noise["video"].cpu().numpy(),
             noise_audio=noise["audio"].cpu().numpy(), video=video.detach().cpu().numpy(),
             use_fp16=use_fp16, clip_denoised=clip_denoised, class_scale=class_scale, device=str(device),
             model_fp16=model.use_fp16, model_training=model.training, num_timesteps=self.num_timesteps,
             video_requires_grad=video.requires_grad, other_model_kwargs=np.array(sorted(model_kwargs)))
        return {"video": video, "audio": audio}
