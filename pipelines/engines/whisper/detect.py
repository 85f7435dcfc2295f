"""Whisper's input check and its spoken-language detection, on the speech the voice filter keeps
(the same filter, options and audio as faster-whisper's own detection when it transcribes)."""

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
    model,
    x,
    *,
    vad_filter: bool = True,
    search_s: float | None = None,
    step_s: float = VAD_SEARCH_SECONDS,
    vad_parameters=None,
) -> tuple[list[tuple[str, float]], bool]:
    """Whisper's language probabilities (best first) from the first 30 s of speech, and whether
    speech was heard.

    Listens to what faster-whisper's own detection listens to when it transcribes with its VAD
    filter on: the first 30 s of the speech its filter keeps, with the same rule and options
    (``vad_parameters``, default faster-whisper's: pauses under 2 s kept, 0.4 s of padding), so
    the words keep their natural joins. Tighter cuts (0.1 s pads, regions split at 0.3-s pauses)
    made the detector hear choppy audio and pick the wrong language on short clips (issue 30).
    Whisper names a language even for silence ('en', ~57 %), so when the filter finds no speech,
    ``heard`` is False. The VAD reads ``step_s`` seconds at a time, until 30 s of speech are
    found, within the first ``search_s`` seconds (all when None). With ``vad_filter`` off, or no
    speech found, the first 30 s are judged.
    """
    from faster_whisper.vad import VadOptions

    from pipelines.engines.silero_vad import speech_timestamps

    options = VadOptions(**vad_parameters) if isinstance(vad_parameters, dict) else vad_parameters or VadOptions()
    n = len(x) if search_s is None else min(len(x), int(search_s * SAMPLE_RATE))
    window = 30 * SAMPLE_RATE  # what Whisper's detector listens to
    step = max(1, int(step_s * SAMPLE_RATE))
    pieces: list[np.ndarray] = []
    got = 0
    for lo in range(0, n, step) if vad_filter else ():
        part = np.asarray(x[lo : min(n, lo + step)], dtype=np.float32)
        for chunk in speech_timestamps(part, options):
            pieces.append(part[chunk["start"] : chunk["end"]][: window - got])
            got += len(pieces[-1])
            if got >= window:
                break
        if got >= window:
            break
    heard = bool(pieces)
    speech = np.concatenate(pieces) if heard else np.asarray(x[: min(n, window)], dtype=np.float32)
    _, _, probs = model.detect_language(audio=np.ascontiguousarray(speech))
    return sorted(((code, float(p)) for code, p in probs), key=lambda cp: cp[1], reverse=True), heard or not vad_filter


ONE_WINDOW_S = 30.0  # a recording shorter than Whisper's window: its language is detected as it is decoded


def detect_while_decoding(model, x, kwargs: dict):
    """A short recording's language detected by faster-whisper itself, on the speech its VAD kept,
    from the same encoding of the window that it then decodes (``transcribe_whole`` encodes it once):
    ``((segments, info), top languages best first, whether speech was heard)``. The segments are
    decoded as they are read, in the detected language."""
    from pipelines.engines.whisper.model import transcribe_whole

    segments, info = transcribe_whole(model, x, **dict(kwargs, language=None))
    heard = bool(info.duration_after_vad) or not kwargs.get("vad_filter")
    top = sorted(((c, float(p)) for c, p in (info.all_language_probs or [])), key=lambda cp: cp[1], reverse=True)
    return (segments, info), top or [(info.language, float(info.language_probability))], heard
