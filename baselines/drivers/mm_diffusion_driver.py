"""avbench driver for MM-Diffusion zero-shot audio-to-video, run in the user's MM-Diffusion
environment with the checkout on PYTHONPATH (standalone: stdlib + numpy + torch + mm_diffusion;
Python 3.8).

    python mm_diffusion_driver.py JOB.json

It parses the job's flags (those of ssh_scripts/audio2video_sample_sr.sh) with the upstream
defaults and `add_dict_to_argparser`, builds both models with `create_model_and_diffusion` and
`image_sr_create_model_and_diffusion`, then per item conditions on the item's own audio
((1, 1, 25600) float32, prepared by avbench), samples the 64x64 video with
`conditional_p_sample_loop` (ddpm, classifier scale from the flags) and upsamples it to 256x256
with the SR model (`ddim_sample_loop`, one noise draw repeated over the frames), as
py_scripts/audio2video_sample_sr.py does. Both are saved as uint8 (T, H, W, 3).
"""
import argparse
import inspect
import sys

import numpy as np

import avbench_driver_io as io

# py_scripts/audio2video_sample_sr.py create_argparser() defaults (the script is not importable).
SCRIPT_DEFAULTS = dict(clip_denoised=True, ref_path="", batch_size=16, sample_fn="dpm_solver",
                       sr_sample_fn="dpm_solver", sr_model_path="", multimodal_model_path="", output_dir="",
                       save_type="mp4", classifier_scale=0.0, devices=None, is_strict=True, all_save_num=1024,
                       seed=42, video_fps=10, audio_fps=16000, load_noise="", num_workers=4)


def to_uint8_frames(x):
    """(F, C, H, W), about [-1, 1] -> (F, H, W, C) uint8: clamped, then truncated by the cast, as
    py_scripts/audio2video_sample_sr.py converts both outputs."""
    import torch

    return ((x + 1) * 127.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def main(job_path):
    job = io.read_job(job_path)
    import torch
    from mm_diffusion.multimodal_script_util import (add_dict_to_argparser, args_to_dict,
                                                     create_model_and_diffusion, model_and_diffusion_defaults)
    from mm_diffusion.script_util import image_sr_create_model_and_diffusion, image_sr_model_and_diffusion_defaults

    defaults = dict(SCRIPT_DEFAULTS)
    defaults.update(model_and_diffusion_defaults())
    defaults.update(image_sr_model_and_diffusion_defaults())
    parser = argparse.ArgumentParser()
    add_dict_to_argparser(parser, defaults)
    args = parser.parse_args(job["flags"])
    if args.sample_fn != "ddpm" or args.sr_sample_fn != "ddim":
        raise SystemExit("avbench driver: only sample_fn ddpm with sr_sample_fn ddim is supported")
    args.video_size = [int(i) for i in args.video_size.split(",")]
    args.audio_size = [int(i) for i in args.audio_size.split(",")]
    device = torch.device(job["device"])
    ckpt = job["checkpoints"]

    model, diffusion = create_model_and_diffusion(**args_to_dict(args, model_and_diffusion_defaults().keys()))
    sr_model, sr_diffusion = image_sr_create_model_and_diffusion(
        **args_to_dict(args, image_sr_model_and_diffusion_defaults().keys()))
    # Plain state dicts: load them without unpickling code where the user's torch can (>= 1.13).
    safe = {"weights_only": True} if "weights_only" in inspect.signature(torch.load).parameters else {}
    for net, path in ((model, ckpt["base"]), (sr_model, ckpt["sr"])):
        net.load_state_dict_(torch.load(path, map_location="cpu", **safe), is_strict=args.is_strict)
        net.to(device)
        if args.use_fp16:
            net.convert_to_fp16()
        net.eval()

    def sample_item(item):
        cond = np.load(item["audio_path"], allow_pickle=False)
        if cond.shape != tuple(args.audio_size) or cond.dtype != np.float32:
            raise ValueError("conditioning audio %s is %s %s, expected %s float32"
                             % (item["audio_path"], cond.shape, cond.dtype, tuple(args.audio_size)))
        io.seed_everything(int(item["seed"]))
        shape = {"video": (1,) + tuple(args.video_size), "audio": (1,) + tuple(args.audio_size)}
        # float64 as upstream's dataset hands it over (th.tensor of a float64 array); device given
        # because the loop's default is dist_util.dev(), i.e. cuda whenever one is visible.
        audio = torch.from_numpy(cond.astype(np.float64)).unsqueeze(0).to(device)
        sample = diffusion.conditional_p_sample_loop(
            model, shape=shape, use_fp16=args.use_fp16, clip_denoised=args.clip_denoised,
            model_kwargs={"audio": audio}, device=device, class_scale=args.classifier_scale)
        video = sample["video"]  # (1, F, C, 64, 64), not clamped: the SR model gets it as it is
        b, f, c, h, w = video.shape
        # one draw per clip, repeated over its frames: einops '(b repeat)' keeps b outermost
        noise = torch.randn((b, c, args.large_size, args.large_size)).to(device).repeat_interleave(f, dim=0)
        sr = sr_diffusion.ddim_sample_loop(sr_model, (b * f, c, args.large_size, args.large_size),
                                           clip_denoised=args.clip_denoised,
                                           model_kwargs={"low_res": video.reshape(b * f, c, h, w)}, noise=noise)
        base, upsampled = to_uint8_frames(video[0]), to_uint8_frames(sr)
        meta = {"base_shape": list(base.shape), "sr_shape": list(upsampled.shape),
                "video_fps": args.video_fps, "classifier_scale": args.classifier_scale,
                "timestep_respacing": args.timestep_respacing}
        return {"base": base, "sr": upsampled}, meta

    io.run_items(job, sample_item)


if __name__ == "__main__":
    main(sys.argv[1])
