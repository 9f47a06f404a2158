"""Shared by avbench's driver scripts (standalone: stdlib + numpy + torch; Python 3.8).

The job file (JSON, written by avbench) names the device, checkpoints, sampler settings and the
items; for every item the driver writes `frames_path` (.npy, uint8 (T, H, W, 3)) and then
`meta_path` (JSON with "status": "ok" or "failed"), each atomically (temp file + rename), so a
meta file means the item is finished. One item's failure is recorded and the batch goes on.
"""
import json
import os
import random
import sys
import time
import traceback

import numpy as np


def read_job(path):
    with open(path, "r", encoding="utf-8") as fh:
        return json.load(fh)


def _atomic(path, write):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save_array(path, array):
    _atomic(path, lambda fh: np.save(fh, np.ascontiguousarray(array), allow_pickle=False))


def save_meta(path, meta):
    _atomic(path, lambda fh: fh.write(json.dumps(meta, sort_keys=True).encode("utf-8")))


def seed_everything(seed):
    """Python, NumPy and torch (CPU and every CUDA device) generators from one seed."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def run_items(job, sample_item):
    """Call `sample_item(item) -> (dict of name -> frames array, meta dict)` for every item of
    the job; save the arrays (item key `<name>_path`) then the meta; a failure is recorded."""
    items = job["items"]
    for k, item in enumerate(items):
        start = time.time()
        try:
            arrays, meta = sample_item(item)
            for name, frames in arrays.items():
                save_array(item[name + "_path"], frames)
            meta = dict(meta, status="ok", wall_s=time.time() - start)
        except Exception as exc:  # the item fails, the batch goes on
            traceback.print_exc(file=sys.stderr)
            lines = str(exc).strip().splitlines()
            meta = {"status": "failed", "wall_s": time.time() - start,
                    "error": "%s: %s" % (type(exc).__name__, lines[-1] if lines else "")}
        save_meta(item["meta_path"], meta)
        print("avbench-driver: item %d/%d %s %s" % (k + 1, len(items), item["id"], meta["status"]), flush=True)
