"""Voice activity: where is someone speaking? Silero VAD v6, the ONNX model faster-whisper ships.

faster-whisper carries ``assets/silero_vad_v6.onnx`` and runs it with onnxruntime in
``faster_whisper.vad.get_speech_timestamps``; using that avoids silero's own ``read_audio``
(which needs torchaudio). Numpy in (mono float32, 16 kHz), seconds out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register

SAMPLE_RATE = 16_000
VAD_KEY = "silero-vad"


def _load_vad():
    from faster_whisper.vad import get_vad_model  # cached inside faster-whisper too

    return get_vad_model()


SILERO_VAD = register(
    ModelSpec(
        key=VAD_KEY,
        task="vad",
        title="Silero VAD v6 (bundled with faster-whisper)",
        engine="bundled",
        licence="MIT (Silero VAD; ONNX file shipped in faster-whisper)",
        loader=_load_vad,
        size_mb=2,
        requires=("faster_whisper", "onnxruntime"),
    )
)


@dataclass
class VadOptions:
    threshold: float = 0.5  # speech probability above which a 32 ms frame is speech
    min_speech_s: float = 0.05  # shorter bursts are noise
    min_silence_s: float = 0.3  # pauses shorter than this do not end a region
    pad_s: float = 0.1  # widen each region a little: onsets and word ends are quiet


def speech_regions(y: np.ndarray, sr: int = SAMPLE_RATE, options: VadOptions | None = None) -> np.ndarray:
    """(n, 2) array of [start, end] seconds where Silero hears speech, sorted, not overlapping."""
    if sr != SAMPLE_RATE:
        raise ValueError(f"Voice activity needs {SAMPLE_RATE} Hz audio, got {sr} Hz.")
    from faster_whisper.vad import VadOptions as FwOptions
    from faster_whisper.vad import get_speech_timestamps

    o = options or VadOptions()
    REGISTRY.get(VAD_KEY)  # loads (once) through the registry, so it is accounted for there
    stamps = get_speech_timestamps(
        np.ascontiguousarray(y, dtype=np.float32),
        FwOptions(
            threshold=o.threshold,
            min_speech_duration_ms=int(o.min_speech_s * 1000),
            min_silence_duration_ms=int(o.min_silence_s * 1000),
            speech_pad_ms=int(o.pad_s * 1000),
        ),
        sampling_rate=sr,
    )
    if not stamps:
        return np.zeros((0, 2))
    regions = np.array([[s["start"], s["end"]] for s in stamps], dtype=float) / sr
    return np.clip(regions, 0.0, len(y) / sr)
