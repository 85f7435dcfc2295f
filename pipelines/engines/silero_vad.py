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


# --- faster-whisper's VAD filter, read a block at a time --------------------------------------

FW_WINDOW = 512  # samples per Silero frame (32 ms)
FW_CONTEXT = 64  # samples of the previous frame each frame also sees
FW_BATCH = 10_000  # frames per ONNX call in faster_whisper.vad.SileroVADModel (state carried)


def speech_probabilities(x, block_frames: int = FW_BATCH) -> np.ndarray:
    """Silero's speech probability per 512-sample frame of ``x`` (an ndarray or anything with
    ``len`` and slices, such as a SampleFile), ``block_frames`` frames read at a time.

    The same numbers as ``faster_whisper.vad.SileroVADModel`` on the whole array (its padding,
    its zeroed context of the last frame, the LSTM state carried from call to call), without
    holding the recording: faster-whisper pads a copy and builds a second one with the context,
    about 250 MB for 30 minutes.
    """
    session = REGISTRY.get(VAD_KEY).session
    n = len(x)
    total = n + FW_WINDOW - n % FW_WINDOW  # faster-whisper pads a whole frame when n is a multiple
    block = max(1, int(block_frames)) * FW_WINDOW
    h = np.zeros((1, 1, 128), np.float32)
    c = np.zeros((1, 1, 128), np.float32)
    tail = np.zeros(FW_CONTEXT, np.float32)  # the first frame's context is silence
    out = []
    for lo in range(0, total, block):
        hi = min(total, lo + block)
        part = np.zeros(hi - lo, np.float32)
        got = np.asarray(x[lo : min(hi, n)], dtype=np.float32)
        part[: len(got)] = got
        frames = part.reshape(-1, FW_WINDOW)
        if hi == total:
            frames[-1, -FW_CONTEXT:] = 0  # faster-whisper zeroes it (a side effect of its context view)
        context = np.concatenate([tail[None], frames[:-1, -FW_CONTEXT:]])
        tail = frames[-1, -FW_CONTEXT:].copy()
        probs, h, c = session.run(None, {"input": np.concatenate([context, frames], 1), "h": h, "c": c})
        out.append(probs)
    return np.concatenate(out, axis=0).reshape(-1)


def speech_timestamps(x, options=None, sr: int = SAMPLE_RATE, block_frames: int = FW_BATCH) -> list[dict]:
    """``faster_whisper.vad.get_speech_timestamps(x, options)`` (sample ranges of speech, padded)
    with the probabilities computed block by block (:func:`speech_probabilities`).

    The rest is faster-whisper 1.2's own rule (MIT; adapted from silero-vad), kept line for line
    so that its results are the same: tests/test_transcribe_long.py compares them.
    """
    from faster_whisper.vad import VadOptions as FwOptions

    o = options or FwOptions()
    speech_probs = speech_probabilities(x, block_frames)
    audio_length_samples = len(x)
    threshold, window_size_samples = o.threshold, FW_WINDOW
    neg_threshold = o.neg_threshold if o.neg_threshold is not None else max(threshold - 0.15, 0.01)
    min_speech_samples = sr * o.min_speech_duration_ms / 1000
    speech_pad_samples = sr * o.speech_pad_ms / 1000
    max_speech_samples = sr * o.max_speech_duration_s - window_size_samples - 2 * speech_pad_samples
    min_silence_samples = sr * o.min_silence_duration_ms / 1000
    min_silence_samples_at_max_speech = sr * 98 / 1000

    triggered, speeches, current_speech = False, [], {}
    temp_end = prev_end = next_start = 0
    for i, speech_prob in enumerate(speech_probs):
        if (speech_prob >= threshold) and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = window_size_samples * i
        if (speech_prob >= threshold) and not triggered:
            triggered = True
            current_speech["start"] = window_size_samples * i
            continue
        if triggered and (window_size_samples * i) - current_speech["start"] > max_speech_samples:
            if prev_end:
                current_speech["end"] = prev_end
                speeches.append(current_speech)
                current_speech = {}
                if next_start < prev_end:
                    triggered = False
                else:
                    current_speech["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current_speech["end"] = window_size_samples * i
                speeches.append(current_speech)
                current_speech = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if (speech_prob < neg_threshold) and triggered:
            if not temp_end:
                temp_end = window_size_samples * i
            if (window_size_samples * i) - temp_end > min_silence_samples_at_max_speech:
                prev_end = temp_end
            if (window_size_samples * i) - temp_end < min_silence_samples:
                continue
            current_speech["end"] = temp_end
            if (current_speech["end"] - current_speech["start"]) > min_speech_samples:
                speeches.append(current_speech)
            current_speech = {}
            prev_end = next_start = temp_end = 0
            triggered = False
            continue
    if current_speech and (audio_length_samples - current_speech["start"]) > min_speech_samples:
        current_speech["end"] = audio_length_samples
        speeches.append(current_speech)

    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - speech_pad_samples))
        if i != len(speeches) - 1:
            silence_duration = speeches[i + 1]["start"] - speech["end"]
            if silence_duration < 2 * speech_pad_samples:
                speech["end"] += int(silence_duration // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence_duration // 2))
            else:
                speech["end"] = int(min(audio_length_samples, speech["end"] + speech_pad_samples))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - speech_pad_samples))
        else:
            speech["end"] = int(min(audio_length_samples, speech["end"] + speech_pad_samples))
    return speeches
