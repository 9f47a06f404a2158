"""FAKE upstream for tests: tats/download.py's load_transformer(gpt_ckpt, vqgan_ckpt,
stft_vqgan_ckpt='', device) returning a module with the attributes the sampler uses (args,
first_stage_model.latent_shape / decode, cond_stage_vocab_size, transformer, get_xc, encode_to_c)."""
import argparse

import torch
import torch.nn.functional as F

N_COND = 1024  # cond_stage_vocab_size of the STFT VQGAN


class _FirstStage(torch.nn.Module):
    latent_shape = (4, 12, 12)  # 16 frames, 96x96 at downsample (4, 8, 8)

    def decode(self, encodings):
        """(B, 4, 12, 12) codes -> (B, 3, 16, 96, 96) in roughly [-0.5, 0.5]."""
        x = (encodings.float() % 256) / 255. - 0.5
        x = x.repeat_interleave(4, 1).repeat_interleave(8, 2).repeat_interleave(8, 3)
        return torch.stack([x, x.flip(-1), -x], dim=1)


class _Transformer(torch.nn.Module):
    pass


class _Net2NetTransformer(torch.nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.first_stage_model = _FirstStage()
        self.transformer = _Transformer()
        self.cond_stage_vocab_size = N_COND

    def get_xc(self, batch, N=None):
        return batch["video"], batch["stft"]

    @torch.no_grad()
    def encode_to_c(self, c):
        """(1, 1, 16, 64, 16) STFT -> (None, (1, 64) codes in [0, N_COND))."""
        pooled = F.adaptive_avg_pool3d(c, (4, 4, 4)).reshape(c.shape[0], -1)
        return None, ((pooled + 1) * 500).long().clamp(0, N_COND - 1)



def load_transformer(gpt_ckpt, vqgan_ckpt, stft_vqgan_ckpt='', device=torch.device('cpu')):
    for path in (gpt_ckpt, vqgan_ckpt, stft_vqgan_ckpt):
        open(path, "rb").close()
    args = argparse.Namespace(stft_data=True, sequence_length=16, sample_every_n_frames=1, resolution=96,
                              batch_size=16, num_workers=0, data_path="", vqvae=vqgan_ckpt, stft_vqvae=stft_vqgan_ckpt)
    return _Net2NetTransformer(args).eval()
