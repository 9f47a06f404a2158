"""Wrappers that run TATS and MM-Diffusion from a user's checkout and normalise their outputs,
plus an adapter for any folder of pre-generated videos.

Not built yet; see the baselines issue.
"""
