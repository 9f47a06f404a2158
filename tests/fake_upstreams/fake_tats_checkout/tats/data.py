"""FAKE upstream for tests: tats/data.py's VideoData and StftDataset (same constructor
arguments, the same unseeded `random.random()` start draw, the same item dict), with a small
stand-in for torchvision's VideoClips (which is not installed here)."""
import bisect
import glob
import os.path as osp
import pickle
import random

import av
import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.data as data


class VideoClips(object):
    """Stand-in for torchvision.datasets.video_utils.VideoClips(paths, clip_length): clips of
    `clip_length` frames, step 1, native fps; same attributes the driver reads."""

    def __init__(self, video_paths, clip_length_in_frames):
        self.video_paths = video_paths
        self.video_fps, self._frames, self.clips = [], [], []
        for path in video_paths:
            with av.open(path) as container:
                stream = container.streams.video[0]
                self.video_fps.append(float(stream.average_rate))
                frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
            self._frames.append(frames)
            self.clips.append(list(range(max(0, len(frames) - clip_length_in_frames + 1))))
        self.cumulative_sizes = np.cumsum([len(c) for c in self.clips]).tolist()
        self.clip_length = clip_length_in_frames

    def num_clips(self):
        return self.cumulative_sizes[-1]

    def get_clip(self, idx):
        video_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        clip_idx = idx - (self.cumulative_sizes[video_idx - 1] if video_idx else 0)
        frames = self._frames[video_idx][clip_idx:clip_idx + self.clip_length]
        return torch.from_numpy(frames), None, {}, video_idx


def preprocess(video, resolution, sequence_length=None, in_channels=3, sample_every_n_frames=1):
    """THWC uint8 -> CTHW float in [-0.5, 0.5], shorter side scaled to `resolution`, centre crop."""
    video = video.permute(0, 3, 1, 2).float() / 255.
    video = F.interpolate(video, size=(resolution, resolution), mode="bilinear", align_corners=False)
    return dict(video=video.permute(1, 0, 2, 3).contiguous() - 0.5)


class StftDataset(data.Dataset):
    def __init__(self, data_folder, sequence_length, train=True, resolution=96, sample_every_n_frames=1):
        super().__init__()
        self.sequence_length = sequence_length
        self.sample_every_n_frames = sample_every_n_frames
        self.resolution = resolution
        self.load_vid_len = 90
        folder = osp.join(data_folder, 'train' if train else 'test')
        self.stft_paths = glob.glob(osp.join(folder, '*.pickle'))
        self.video_paths = [p.replace("/stft/", "/video/").replace(".pickle", ".mp4") for p in self.stft_paths]
        self._clips = VideoClips(self.video_paths, self.load_vid_len)

    def __len__(self):
        return len(self.stft_paths)

    def __getitem__(self, idx):
        video, _, _, video_idx = self._clips.get_clip(idx)
        start = int(random.random() * (self.load_vid_len - self.sequence_length + 1))
        end = start + self.sequence_length
        with open(self.stft_paths[video_idx], "rb") as f:
            stft = pickle.load(f)
        stft = stft[start:end].astype(np.float32)
        stft = (torch.tensor(stft) * 2 - 1).unsqueeze(0)
        stft = F.interpolate(stft, size=(64, 16), mode="bilinear", align_corners=False)
        return dict(**preprocess(video[start:end], self.resolution), stft=stft, path=self.video_paths[video_idx])


class VideoData(object):
    def __init__(self, args, shuffle=True):
        self.args = args

    def test_dataloader(self):
        dataset = StftDataset(self.args.data_path, self.args.sequence_length, train=False,
                              sample_every_n_frames=self.args.sample_every_n_frames)
        return data.DataLoader(dataset, batch_size=self.args.batch_size, num_workers=0)
