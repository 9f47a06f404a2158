"""Every avbench metric, its networks, presets, weights registry and mergeable statistics.

Pure functions plus mergeable accumulators; imports numpy, torch, librosa and cv2 only (never
another avbench package).
"""
