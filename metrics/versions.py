"""Versions of the libraries whose behaviour a result depends on."""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    """avbench, OpenCV, librosa, numpy, soxr, soundfile, PyAV and torch versions."""
    import cv2

    return {
        "avbench": _version("avbench"),
        "opencv": cv2.__version__,
        "librosa": _version("librosa"),
        "numpy": _version("numpy"),
        "soxr": _version("soxr"),
        "soundfile": _version("soundfile"),
        "av": _version("av"),
        "torch": _version("torch"),
    }
