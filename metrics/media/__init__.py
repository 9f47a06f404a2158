"""Media I/O: probing containers, streaming video frames, loading audio, pairing video with audio."""
from .audio import AUDIO_FILE_EXTENSIONS, decode_audio_track, load_audio, read_audio
from .pairing import AVPair, ManifestProblem, entry_problem, find_videos, pair_video, pair_videos, parse_manifest, read_manifest, same_stem
from .probe import AudioStreamInfo, MediaInfo, frame_timestamps, probe
from .video import VIDEO_EXTENSIONS, iter_video_frames, pyav_frames, read_video_frames

__all__ = [
    "AUDIO_FILE_EXTENSIONS", "decode_audio_track", "load_audio", "AVPair", "find_videos",
    "pair_video", "pair_videos", "read_manifest", "parse_manifest", "ManifestProblem", "AudioStreamInfo", "MediaInfo", "probe", "VIDEO_EXTENSIONS",
    "pyav_frames", "read_audio", "entry_problem", "same_stem", "iter_video_frames", "read_video_frames", "frame_timestamps",
]
