"""Whisper's input check and its spoken-language detection, on the speech the voice filter finds."""

from __future__ import annotations

import numpy as np

from pipelines.core.audio_stream import SampleFile
from pipelines.engines.whisper.model import SAMPLE_RATE

VAD_SEARCH_SECONDS = 120.0  # language detection runs the VAD on this much audio at a time


def as_whisper_input(audio, sr: int):
    """Mono float32 at 16 kHz: an ndarray, or a SampleFile read block by block (the entry point
    resamples; this only checks)."""
    if sr != SAMPLE_RATE or getattr(audio, "sr", sr) != SAMPLE_RATE:
        raise ValueError(f"Whisper needs {SAMPLE_RATE} Hz audio, got {sr} Hz: load it with target_sr={SAMPLE_RATE}.")
    if isinstance(audio, SampleFile):
        return audio
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("Whisper takes mono audio (one channel).")
    return np.ascontiguousarray(x)


def detect_language(
    model, x, *, vad_filter: bool = True, search_s: float | None = None, step_s: float = VAD_SEARCH_SECONDS
) -> tuple[list[tuple[str, float]], bool]:
    """Whisper's language probabilities (best first) from the first 30 s of speech, and whether
    speech was heard.

    Whisper names a language even for silence ('en', ~57 %), so Silero VAD (run once per
    ``step_s`` read) finds the speech first; only the first ``search_s`` seconds are searched
    (all when None). With ``vad_filter`` off, or no speech found, the first 30 s are judged.
    """
    from pipelines.engines.silero_vad import speech_regions

    n = len(x) if search_s is None else min(len(x), int(search_s * SAMPLE_RATE))
    window = 30 * SAMPLE_RATE  # what Whisper's detector listens to
    heard, speech = False, None
    for lo in range(0, n, int(step_s * SAMPLE_RATE)) if vad_filter else ():
        part = np.asarray(x[lo : min(n, lo + int(step_s * SAMPLE_RATE))], dtype=np.float32)
        regions = (speech_regions(part) * SAMPLE_RATE).astype(int)
        if len(regions):
            heard, speech = True, np.concatenate([part[a:b] for a, b in regions])[:window]
            break
    if speech is None:
        speech = np.asarray(x[: min(n, window)], dtype=np.float32)
    _, _, probs = model.detect_language(audio=np.ascontiguousarray(speech))
    return sorted(((code, float(p)) for code, p in probs), key=lambda cp: cp[1], reverse=True), heard or not vad_filter
