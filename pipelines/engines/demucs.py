"""Music source separation with HT-Demucs from the model hub, through ``demucs-onnx`` (no torch, no torchaudio).

``demucs`` itself imports torchaudio (which cannot run beside this app's torch) and downloads its
weights from Meta's servers. ``demucs-onnx`` runs parity-checked ONNX exports of ``htdemucs``
(drums, bass, other, vocals) and ``htdemucs_6s`` (+ guitar, piano) with onnxruntime, the files
fetched from the Hugging Face hub (``StemSplitio/htdemucs-onnx``, ``StemSplitio/htdemucs-6s-onnx``).
So it is a hub engine: offered only when the hub is reachable, downloaded on first use.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register

SAMPLE_RATE = 44_100
BLOCK_SAMPLES = 30 * SAMPLE_RATE  # the app feeds 30 s at a time (demucs-onnx chunks inside too)
MODELS = {
    "htdemucs": ("StemSplitio/htdemucs-onnx", ("drums", "bass", "other", "vocals"), 150),
    "htdemucs_6s": ("StemSplitio/htdemucs-6s-onnx", ("drums", "bass", "other", "vocals", "guitar", "piano"), 150),
}


def _loader(name: str):
    def load() -> Path:
        from demucs_onnx._hub import download_single_model

        return download_single_model(name)  # the ONNX file, into the hub cache (once)

    return load


SPECS = {
    name: register(
        ModelSpec(
            key=name,
            task="separate",
            title=f"HT-Demucs {'6 stems' if name.endswith('6s') else '4 stems'} (hub, ONNX)",
            engine="hub",
            licence="MIT (Demucs, Meta; ONNX export and runtime, demucs-onnx)",
            loader=_loader(name),
            size_mb=size,
            requires=("demucs_onnx", "onnxruntime", "huggingface_hub"),
            hub_id=repo,
        )
    )
    for name, (repo, _, size) in MODELS.items()
}
STEMS = {name: stems for name, (_, stems, _) in MODELS.items()}


def separate_block(name: str, stereo: np.ndarray) -> dict[str, np.ndarray]:
    """(2, n) float32 at 44.1 kHz -> {stem: (2, n)} with HT-Demucs ``name``."""
    import soundfile as sf
    from demucs_onnx import separate

    REGISTRY.get(name)  # downloads the model once (hub), accounted for in the registry
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "block.wav"
        sf.write(path, stereo.T, SAMPLE_RATE, subtype="FLOAT")
        stems = separate(path, model=name, providers="cpu", progress=False)
    n = stereo.shape[1]
    return {k: np.asarray(v, dtype=np.float32)[:, :n] for k, v in stems.items()}
