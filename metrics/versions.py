"""Versions of the libraries whose behaviour a result depends on."""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

# The wheels that install OpenCV's `cv2` module.
OPENCV_DISTRIBUTIONS = ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                        "opencv-contrib-python-headless")


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _opencv_version() -> str | None:
    """The installed OpenCV wheel's version, read from its metadata: the versions key cached
    signals, and importing cv2 to ask it would cost a cached run that decodes nothing a third
    of a second. Where several wheels are installed either may provide `cv2`, so all are
    named; an OpenCV built without wheel metadata is asked itself."""
    found = sorted({v for v in map(_version, OPENCV_DISTRIBUTIONS) if v is not None})
    if found:
        return " + ".join(found)
    import cv2

    return cv2.__version__


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    """avbench, OpenCV, librosa, numpy, soxr, soundfile, PyAV and torch versions."""
    return {
        "avbench": _version("avbench"),
        "opencv": _opencv_version(),
        "librosa": _version("librosa"),
        "numpy": _version("numpy"),
        "soxr": _version("soxr"),
        "soundfile": _version("soundfile"),
        "av": _version("av"),
        "torch": _version("torch"),
    }
