"""The paper's generator: BEATs audio encoder + temporal audio-token mapper feeding a
ModelScope-architecture text-to-video model (zeroscope_v2_576w) through stock `diffusers`.

Not built yet; see the reference-model issue.
"""
