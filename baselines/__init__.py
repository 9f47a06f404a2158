"""Wrappers for the upstream baselines (TATS, MM-Diffusion): each runs the user's own checkout in
its own interpreter and hands avbench normalised `<id>.mp4` + `<id>.wav` pairs with a manifest."""
