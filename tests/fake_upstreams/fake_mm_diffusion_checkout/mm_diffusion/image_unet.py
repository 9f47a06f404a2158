"""FAKE upstream for tests: stands in for the model only. mm_diffusion/image_unet.py's
ImageSuperResModel: forward(x (N, 3, H, W), timesteps, low_res=(N, 3, h, w)) upsamples low_res
bilinearly to H x W as the real one does; the "network" returns gain * upsampled + 0.1 *
x[:, :, :1, :1] (`gain` from the checkpoint)."""
import torch.nn.functional as F

from ._fake import OneNumberNet


class ImageUnet(OneNumberNet):
    def __init__(self, image_size, in_channels, model_channels, out_channels, num_res_blocks, **kwargs):
        super().__init__()
        self.image_size = image_size


class ImageSuperResModel(ImageUnet):
    def __init__(self, image_size, in_channels, *args, **kwargs):
        super().__init__(image_size, in_channels * 2, *args, **kwargs)

    def forward(self, x, timesteps, low_res=None, **kwargs):
        _, _, new_height, new_width = x.shape
        upsampled = F.interpolate(low_res, (new_height, new_width), mode="bilinear")
        return self.gain * upsampled + 0.1 * x[:, :, :1, :1]
