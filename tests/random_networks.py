"""Random-weight state dicts for the FVD/FID/FAD networks, installed into the weights registry
for a test only (the registry spec's sha256 is replaced by the random file's; production code
keeps checking it); a random Wav2CLIP as the upstream checkpoint."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from avbench.metrics import weights
from avbench.metrics.fileio import sha256_file
from avbench.metrics.networks import i3d, inception, vggish
from avbench.metrics.networks.wav2clip import Wav2CLIP

NETWORKS = {
    "i3d-styleganv": lambda: i3d.I3D(bn_eps=1e-3),
    "i3d-videogpt": lambda: i3d.I3D(bn_eps=1e-5),
    "inception-torch-fidelity": inception.InceptionV3TF,
    "inception-pytorch-fid": inception.InceptionV3TF,
    "vggish": vggish.VGGish,
}


def random_state_dict(module: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """He-normal weights, unit BatchNorm statistics, small biases: activations neither vanish
    nor explode through the deep stacks, so features vary with the input."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in module.state_dict().items():
        if not value.dtype.is_floating_point:
            state[key] = value.clone()
        elif key.endswith("running_var") or (key.endswith(".weight") and value.dim() == 1):
            state[key] = torch.ones_like(value)
        elif key.endswith("running_mean"):
            state[key] = torch.zeros_like(value)
        elif value.dim() > 1:
            fan_in = value[0].numel()
            state[key] = torch.randn(value.shape, generator=generator) * math.sqrt(2.0 / fan_in)
        else:
            state[key] = torch.randn(value.shape, generator=generator) * 0.1
    return state


def install_random_weights(monkeypatch: pytest.MonkeyPatch, folder: Path, names=tuple(NETWORKS)) -> dict[str, Path]:
    """Write a random state dict per registered name into `folder` (as `AVBENCH_WEIGHTS`) and
    register each file's sha256 (and the plain torch loader) for the duration of the test."""
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("AVBENCH_WEIGHTS", str(folder))
    monkeypatch.setenv("AVBENCH_OFFLINE", "1")
    paths = {}
    for seed, name in enumerate(names):
        spec = weights.get_spec(name)
        path = folder / spec.filename
        torch.save(random_state_dict(NETWORKS[name](), seed), path)
        monkeypatch.setitem(
            weights._REGISTRY, name, dataclasses.replace(spec, sha256=sha256_file(path), loader="torch")
        )
        paths[name] = path
    return paths


def upstream_wav2clip_checkpoint(model: Wav2CLIP) -> dict[str, torch.Tensor]:
    """`model`'s tensors under lyrebird-wav2clip's key names (`audio_encoder.*`,
    `audio_transform.*`), with the contrastive loss's logit scale, as the released checkpoint holds them."""
    renamed = {("audio_encoder." + k[8:]) if k.startswith("encoder.") else ("audio_transform." + k[10:]): v
               for k, v in model.state_dict().items()}
    return {**renamed, "loss_fn_i.logit_scale": torch.tensor(2.6)}


def write_wav2clip_checkpoint(path: Path, seed: int = 0) -> Path:
    """A default-initialised Wav2CLIP (seeded) saved at `path` as the upstream checkpoint."""
    torch.manual_seed(seed)
    torch.save(upstream_wav2clip_checkpoint(Wav2CLIP().eval()), path)
    return path
