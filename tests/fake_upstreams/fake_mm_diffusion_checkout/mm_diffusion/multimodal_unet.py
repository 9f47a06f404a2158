"""FAKE upstream for tests: stands in for the model only. mm_diffusion/multimodal_unet.py's
MultimodalUNet: forward(video (N, F, C, H, W), audio (N, C, L), timesteps, label=None) ->
(video, audio) of the same shapes, convert_to_fp16(), load_state_dict_(state_dict, is_strict).

The "network" is one number, `gain`, from the checkpoint. Video frame f is, per channel c:
gain * (4 * rms(audio window f) - 1) + 0.3 * video[:, f, c, 0, 0] + (c - 1) * ramp(W), ramp
running from -0.25 to 0.25 across the width; window f is the f-th of F equal parts of the audio.
The audio comes back unchanged.
"""
import torch as th

from ._fake import OneNumberNet


class MultimodalUNet(OneNumberNet):
    def __init__(self, video_size, audio_size, model_channels, video_out_channels, audio_out_channels,
                 num_res_blocks, **kwargs):
        super().__init__()
        self.video_size, self.audio_size = video_size, audio_size

    def forward(self, video, audio, timesteps, label=None):
        n, f, c, h, w = video.shape
        windows = audio.float()[:, 0].reshape(n, f, -1)
        level = 4 * windows.pow(2).mean(-1).sqrt() - 1  # (N, F)
        ramp = th.linspace(-0.25, 0.25, w, device=video.device)
        channel = th.arange(c, device=video.device, dtype=th.float32) - 1
        out = (self.gain * level)[:, :, None, None, None] + 0.3 * video[:, :, :, :1, :1] \
            + channel[None, None, :, None, None] * ramp
        return out.expand(n, f, c, h, w), audio
