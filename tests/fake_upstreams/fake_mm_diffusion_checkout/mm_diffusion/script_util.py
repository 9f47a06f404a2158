"""FAKE upstream for tests: stands in for the model only. mm_diffusion/script_util.py:
image_sr_model_and_diffusion_defaults() (the real keys and values: the SR model defaults with
the diffusion defaults, filtered to the parameters of image_sr_create_model_and_diffusion),
image_sr_create_model_and_diffusion(...) (the real parameters), add_dict_to_argparser, args_to_dict."""
from .image_unet import ImageSuperResModel
from .multimodal_script_util import add_dict_to_argparser, args_to_dict, str2bool  # the real file has copies
from .respace import SpacedDiffusion, space_timesteps


def image_sr_model_and_diffusion_defaults():
    return dict(sr_num_channels=128, sr_num_res_blocks=2, sr_num_heads=4, sr_num_heads_upsample=-1,
                sr_num_head_channels=-1, sr_attention_resolutions="16,8", sr_dropout=0.0, sr_class_cond=False,
                use_checkpoint=False, sr_use_scale_shift_norm=True, sr_resblock_updown=False, use_fp16=False,
                noise_schedule="linear", use_kl=False, predict_xstart=False, rescale_timesteps=False,
                rescale_learned_sigmas=False, sr_learn_sigma=True, large_size=256, small_size=128,
                sr_diffusion_steps=1000, sr_timestep_respacing="")


def image_sr_create_model_and_diffusion(large_size, small_size, sr_class_cond, sr_learn_sigma, sr_num_channels,
                                        sr_num_res_blocks, sr_num_heads, sr_num_head_channels, sr_num_heads_upsample,
                                        sr_attention_resolutions, sr_dropout, sr_diffusion_steps, noise_schedule,
                                        sr_timestep_respacing, use_kl, predict_xstart, rescale_timesteps,
                                        rescale_learned_sigmas, use_checkpoint, sr_use_scale_shift_norm,
                                        sr_resblock_updown, use_fp16):
    if large_size not in (64, 256, 512):
        raise ValueError("unsupported large size: %s" % large_size)
    model = ImageSuperResModel(image_size=large_size, in_channels=3, model_channels=sr_num_channels,
                               out_channels=(3 if not sr_learn_sigma else 6), num_res_blocks=sr_num_res_blocks)
    diffusion = SpacedDiffusion(use_timesteps=space_timesteps(sr_diffusion_steps,
                                                              sr_timestep_respacing or [sr_diffusion_steps]))
    return model, diffusion


__all__ = ["image_sr_model_and_diffusion_defaults", "image_sr_create_model_and_diffusion",
           "add_dict_to_argparser", "args_to_dict", "str2bool"]
