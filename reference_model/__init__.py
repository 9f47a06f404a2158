"""The paper's generator, TempoTokens (Yariv et al., AAAI 2024), re-implemented on stock libraries.

BEATs audio encoder (`beats`, with its Kaldi fbank front end in `fbank`) → temporal audio-token
mapper (`mapper`) → six placeholder tokens injected into the CLIP prompt and per-frame
cross-attention in a stock diffusers `UNet3DConditionModel` (`conditioning`, `base_model`) →
zeroscope_v2_576w video (`pipeline`). `adapter` registers it as the `reference` generator;
`checkpoints` registers its weight files; `presets` holds the inference protocol.
"""
