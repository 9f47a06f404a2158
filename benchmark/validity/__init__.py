"""The AV-Align validity study: does a preset rank a synced audio-video pair above an unsynced one?

For every clip with its own audio, the positive is (video, own audio) and the negatives are the
same video with its audio shifted by ±k frames and ±0.5 s (padded with silence) and with another
clip's audio. Flow trajectories come from the AV-Align cache (one per video); a negative costs
only audio work (shift the waveform, recompute the onset envelope). Per preset: AUROC with a
clip-level bootstrap CI, balanced accuracy at the best threshold and score distributions, per
shift size and per fps bucket; the calibrated preset's ablation on dev/held-out splits.

Modules: `clips` (clips and their signals), `conditions` (the negatives), `study` (scores and
their summary), `ablation`, `report` (tables), `plots`.
"""
