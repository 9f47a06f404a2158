"""avbench driver for TATS audio-to-video (AudioSet-Drums), run in the user's TATS environment
with the TATS checkout on PYTHONPATH (standalone: stdlib + numpy + torch + tats; Python 3.8).

    python tats_driver.py JOB.json

Per item it builds the STFT test set exactly as scripts/sample_vqgan_transformer_audio_cond.py
does (`VideoData(gpt.args).test_dataloader().dataset`), takes the item's clip with an explicit
start frame instead of the unlogged `random.random()` draw, samples with `sample_with_past`
(top_k, top_p, temperature from the job), decodes, clamps to [0, 1] and saves uint8 frames
(T, H, W, 3) without the 1-px grid padding save_video_grid adds.
"""
import os
import sys

import numpy as np

import avbench_driver_io as io


class _FixedDraw(object):
    """Stands in for `random` inside tats.data for one __getitem__: `random.random()` returns
    the value whose `int(value * n)` is the wanted start frame."""

    def __init__(self, start, n):
        self.value = (start + 0.5) / n

    def random(self):
        return self.value


def main(job_path):
    job = io.read_job(job_path)
    import torch
    import tats.data as tats_data
    from tats import VideoData, load_transformer
    from tats.modules.gpt import sample_with_past

    device = torch.device(job["device"])
    settings = job["settings"]
    ckpt = job["checkpoints"]
    gpt = load_transformer(ckpt["gpt"], ckpt["vqgan"], ckpt["stft_vqgan"]).to(device).eval()
    gpt.args.batch_size = 1
    gpt.args.data_path = settings["data_path"]
    dataset = VideoData(gpt.args).test_dataloader().dataset
    clips = dataset._clips
    by_path = dict((os.path.realpath(p), k) for k, p in enumerate(dataset.stft_paths))
    window = dataset.load_vid_len - dataset.sequence_length  # last start frame inside one clip
    latent_shape = gpt.first_stage_model.latent_shape
    steps = int(np.prod(latent_shape))

    def sample_item(item):
        video_idx = by_path.get(os.path.realpath(item["stft_path"]))
        if video_idx is None:
            raise ValueError("%s is not in the STFT test set under %s" % (item["stft_path"], settings["data_path"]))
        start = int(item["start_frame"])
        first_clip = clips.cumulative_sizes[video_idx - 1] if video_idx else 0
        n_clips = clips.cumulative_sizes[video_idx] - first_clip
        clip_k = max(0, start - window)
        if clip_k >= n_clips:
            raise ValueError("start frame %d is past the last %d-frame window of %s"
                             % (start, dataset.sequence_length, dataset.video_paths[video_idx]))
        saved = tats_data.random
        tats_data.random = _FixedDraw(start - clip_k, window + 1)
        try:
            batch = dataset[first_clip + clip_k]
        finally:
            tats_data.random = saved
        if os.path.realpath(batch["path"]) != os.path.realpath(dataset.video_paths[video_idx]):
            raise ValueError("TATS could not decode %s (it fell back to %s)" % (dataset.video_paths[video_idx], batch["path"]))
        io.seed_everything(int(item["seed"]))
        with torch.no_grad():
            x, c = gpt.get_xc(batch)
            _, c_indices = gpt.encode_to_c(c.unsqueeze(0).to(device))
            index = sample_with_past(c_indices, gpt.transformer, steps=steps, sample_logits=True,
                                     top_k=settings["top_k"], top_p=settings["top_p"],
                                     temperature=settings["temperature"])
            index = index.reshape([1] + list(latent_shape))
            video = torch.clamp(gpt.first_stage_model.decode(index - gpt.cond_stage_vocab_size), -0.5, 0.5) + 0.5
        # (1, C, T, H, W) in [0, 1] -> (T, H, W, C) uint8, truncating as save_video_grid does
        frames = (video[0].permute(1, 2, 3, 0).cpu().numpy() * 255).astype("uint8")
        meta = {"start_frame": start, "source_video": dataset.video_paths[video_idx],
                "source_fps": float(clips.video_fps[video_idx]), "latent_shape": list(latent_shape),
                "shape": list(frames.shape)}
        return {"frames": frames}, meta

    io.run_items(job, sample_item)


if __name__ == "__main__":
    main(sys.argv[1])
