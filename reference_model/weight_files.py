"""The reference model's weight files, declared to avbench's weights registry through the
`avbench.weights` entry-point group (so `avbench weights list` shows them).

* BEATs (Microsoft, MIT): the AudioSet-2M fine-tuned iter3+ checkpoint (cpt2) TempoTokens uses,
  from the official BEATs README link (an Azure blob with a read token valid until 2033).
* The mapper (`learned_embeds.pth`, MIT, TempoTokens authors), one per training set, released
  only in a Google Drive folder (`models/<dataset>/learned_embeds.pth`), so it is downloaded by
  hand; the registry then finds it in the cache or `$AVBENCH_WEIGHTS`.

Neither source publishes a checksum, so `sha256` is None: the measured sha256 of the file used is
recorded with every generated sample instead.
"""
from __future__ import annotations

from avbench.metrics.errors import WeightsError
from avbench.metrics.weights import WeightSpec

BEATS_WEIGHTS = "beats-iter3-plus-as2m-cpt2"
BEATS_URL = (
    "https://valle.blob.core.windows.net/share/BEATs/BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt"
    "?sv=2020-08-04&st=2023-03-01T07%3A51%3A05Z&se=2033-03-02T07%3A51%3A00Z&sr=c&sp=rl"
    "&sig=QJXmSJG9DbMKf48UDIU1MfzIro8HQOf3sqlNXiflY1I%3D"
)
MAPPER_FOLDER_URL = "https://drive.google.com/drive/folders/10pRWoq0m5torvMXILmIQd7j9fLPEeHtS"
# Benchmark dataset name → the folder name in the authors' Drive folder.
MAPPER_DATASETS = {"vggsound": "vggsound", "landscape": "landscape", "audioset-drum": "audioset_drum"}


def mapper_weights_name(dataset: str) -> str:
    """Registry name of the mapper trained on `dataset` (vggsound, landscape, audioset-drum)."""
    if dataset not in MAPPER_DATASETS:
        raise WeightsError(f"no TempoTokens mapper for dataset {dataset!r}; known: {', '.join(MAPPER_DATASETS)}")
    return f"tempotokens-mapper-{dataset}"


WEIGHTS = (
    WeightSpec(
        name=BEATS_WEIGHTS,
        filename="BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt",
        url=BEATS_URL,
        sha256=None,
        license="MIT (microsoft/unilm)",
        loader="torch",
        description="BEATs iter3+ AS2M fine-tuned (cpt2): TempoTokens' audio encoder",
    ),
    *(
        WeightSpec(
            name=mapper_weights_name(dataset),
            filename=f"tempotokens/{folder}/learned_embeds.pth",
            url=MAPPER_FOLDER_URL,
            sha256=None,
            license="MIT (guyyariv/TempoTokens)",
            loader="torch",
            description=f"TempoTokens audio-token mapper trained on {dataset} (for zeroscope_v2_576w)",
            manual_download=f"models/{folder}/learned_embeds.pth (Google Drive folder)",
        )
        for dataset, folder in MAPPER_DATASETS.items()
    ),
)
