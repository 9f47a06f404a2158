"""FAKE upstream for tests: stands in for the model only. mm_diffusion/multimodal_script_util.py:
model_and_diffusion_defaults() (the real keys and values), create_model_and_diffusion(...) (the
real parameters), add_dict_to_argparser, args_to_dict, str2bool."""
import argparse

from .multimodal_respace import SpacedDiffusion, space_timesteps
from .multimodal_unet import MultimodalUNet


def diffusion_defaults():
    return dict(learn_sigma=False, diffusion_steps=1000, noise_schedule="linear", timestep_respacing="",
                use_kl=False, predict_xstart=False, rescale_timesteps=False, rescale_learned_sigmas=False)


def model_defaults():
    return dict(video_size="16,3,64,64", audio_size="1,25600", num_channels=128, num_res_blocks=2, num_heads=4,
                num_heads_upsample=-1, num_head_channels=-1, cross_attention_resolutions="2,4,8",
                cross_attention_windows="1,4,8", cross_attention_shift=True, video_attention_resolutions="2,4,8",
                audio_attention_resolutions="-1", channel_mult="", dropout=0.0, class_cond=False,
                use_checkpoint=False, use_scale_shift_norm=True, resblock_updown=False, use_fp16=False,
                video_type="2d+1d", audio_type="1d")


def model_and_diffusion_defaults():
    res = model_defaults()
    res.update(diffusion_defaults())
    return res


def create_model_and_diffusion(video_size, audio_size, learn_sigma, num_channels, num_res_blocks, channel_mult,
                               num_heads, num_head_channels, num_heads_upsample, cross_attention_resolutions,
                               cross_attention_windows, cross_attention_shift, video_attention_resolutions,
                               audio_attention_resolutions, dropout, diffusion_steps, noise_schedule,
                               timestep_respacing, use_kl, predict_xstart, rescale_timesteps, rescale_learned_sigmas,
                               use_checkpoint, use_scale_shift_norm, resblock_updown, use_fp16, video_type="2d+1d",
                               audio_type="1d", class_cond=False):
    if not isinstance(video_size, (list, tuple)) or not isinstance(audio_size, (list, tuple)):
        raise TypeError("video_size and audio_size must be lists of ints (the script splits the flags)")
    model = MultimodalUNet(video_size=video_size, audio_size=audio_size, model_channels=num_channels,
                           video_out_channels=(3 if not learn_sigma else 6),
                           audio_out_channels=(1 if not learn_sigma else 2), num_res_blocks=num_res_blocks)
    diffusion = SpacedDiffusion(use_timesteps=space_timesteps(diffusion_steps, timestep_respacing or [diffusion_steps]))
    return model, diffusion


def add_dict_to_argparser(parser, default_dict):
    for k, v in default_dict.items():
        v_type = str if v is None else str2bool if isinstance(v, bool) else type(v)
        parser.add_argument("--%s" % k, default=v, type=v_type)


def args_to_dict(args, keys):
    return {k: getattr(args, k) for k in keys}


def str2bool(v):
    if isinstance(v, bool):
        return v
    if v.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if v.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError("boolean value expected")
