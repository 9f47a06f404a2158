"""Media I/O: probing containers, streaming video frames, loading audio, pairing video with audio."""
from .audio import AUDIO_FILE_EXTENSIONS, decode_audio_track, load_audio
from .pairing import AVPair, find_videos, pair_videos, read_manifest
from .probe import AudioStreamInfo, MediaInfo, probe
from .video import VIDEO_EXTENSIONS, pyav_frames

__all__ = [
    "AUDIO_FILE_EXTENSIONS", "decode_audio_track", "load_audio", "AVPair", "find_videos",
    "pair_videos", "read_manifest", "AudioStreamInfo", "MediaInfo", "probe", "VIDEO_EXTENSIONS",
    "pyav_frames",
]
