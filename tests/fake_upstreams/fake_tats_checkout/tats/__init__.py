"""FAKE upstream for tests: stands in for SongweiGe/TATS (checked at 1aa93e189080) so avbench's
TATS driver can run end to end without the model. Same module paths, names, arguments and
returned shapes as the real package; the "model" is a cheap deterministic function of its
random draws and conditioning. Never used outside the tests."""
from .data import VideoData
from .download import load_transformer
