"""The paper's generator, TempoTokens (Yariv et al., AAAI 2024), re-implemented on stock libraries.

BEATs audio encoder (`beats`, with its Kaldi fbank front end in `fbank`) → temporal audio-token
mapper (`mapper`) → six placeholder tokens injected into the CLIP prompt and per-frame
cross-attention in a stock diffusers `UNet3DConditionModel` (`conditioning`, `base_model`) →
zeroscope_v2_576w video (`pipeline`). `adapter` is the `reference` generator;
`weight_files` declares its weight files and `checkpoints` loads them; `presets` holds the
inference protocol; `cli` adds the `avbench generate-one` verb.
"""
