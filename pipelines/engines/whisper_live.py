"""One quick Whisper decode of a short buffer, for live captions (faster-whisper's parts, CTranslate2).

``WhisperModel.transcribe`` pads every window to 30 s, so one decode of a 3-s buffer costs as
much as one of 30 s (tiny.en: about 0.5 s of encoder on this 2-core machine). CTranslate2's
Whisper encoder accepts shorter inputs: the buffer's log-mel frames plus a little padding,
rounded up to whole seconds, are encoded (about 0.08 s for 5 s of audio), then decoded with
timestamps and aligned to words with faster-whisper's own methods (``get_prompt``,
``_split_segments_by_timestamps``, ``add_word_timestamps``; faster-whisper 1.2.1 is pinned).
Whisper was trained on 30-s windows, so the short context costs a little accuracy; the live
captions benchmark measures how much against the offline transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100  # log-mel frames (hop 160 at 16 kHz)
MAX_FRAMES = 3000  # Whisper's 30-s window
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"
MAX_PROMPT_TOKENS = 223  # faster-whisper's max_length // 2 - 1


@dataclass
class LiveWord:
    start: float  # seconds from the start of the decoded buffer
    end: float
    text: str  # with its leading space, as Whisper writes it
    probability: float


@dataclass
class LiveDecode:
    words: list[LiveWord] = field(default_factory=list)
    text: str = ""
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    seconds: float = 0.0  # wall time of this decode

    @property
    def looks_like_speech(self) -> bool:
        """Whisper's own rules: 'no speech' only when also unsure; loops of repeated text are failures."""
        if self.compression_ratio > 2.4:
            return False
        return not (self.no_speech_prob > 0.6 and self.avg_logprob < -1.0)


def decode_buffer(
    model,
    audio: np.ndarray,
    *,
    language: str | None = "en",
    task: str = "transcribe",
    prompt: str = "",
    beam_size: int = 1,
    pad_s: float = 1.0,
    lead_s: float = 0.0,
    full_window: bool = False,
) -> LiveDecode:
    """Decode mono 16-kHz ``audio`` (at most 30 s) in one window; word times relative to its start.

    ``lead_s`` of silence is put before the audio (Whisper tends to skip a word that starts the
    window at once); ``full_window`` pads to 30 s as offline decoding does (slower, a little better).
    """
    import time

    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

    t0 = time.perf_counter()
    lead = int(lead_s * SAMPLE_RATE)
    x = np.concatenate([np.zeros(lead, np.float32), np.asarray(audio, dtype=np.float32)])[: MAX_FRAMES * 160]
    features = model.feature_extractor(x)
    content = min(features.shape[-1] - 1, MAX_FRAMES)
    # whole seconds of frames (few distinct shapes), with some padding after the speech
    frames = int(min(MAX_FRAMES, np.ceil((content + pad_s * FRAMES_PER_SECOND) / FRAMES_PER_SECOND) * 100))
    frames = MAX_FRAMES if full_window else frames
    padded = np.zeros((features.shape[0], frames), dtype=np.float32)
    padded[:, :content] = features[:, :content]
    encoder_output = model.model.encode(ctranslate2.StorageView.from_array(padded[None]), to_cpu=False)

    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=task, language=language or "en")
    previous = tokenizer.encode(" " + prompt.strip())[-MAX_PROMPT_TOKENS:] if prompt.strip() else []
    sequence = model.get_prompt(tokenizer, previous, without_timestamps=False)
    result = model.model.generate(
        encoder_output,
        [sequence],
        beam_size=beam_size,
        max_length=min(model.max_length, len(sequence) + 200),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        max_initial_timestamp_index=50,
    )[0]
    tokens = result.sequences_ids[0]
    out = LiveDecode(no_speech_prob=float(result.no_speech_prob))
    out.avg_logprob = float(result.scores[0]) * len(tokens) / (len(tokens) + 1) if tokens else 0.0
    segments, _, _ = model._split_segments_by_timestamps(
        tokenizer=tokenizer,
        tokens=tokens,
        time_offset=0.0,
        segment_size=content,
        segment_duration=content / FRAMES_PER_SECOND,
        seek=0,
    )
    segments = [s for s in segments if s["tokens"]]
    if segments:
        model.add_word_timestamps(
            [segments], tokenizer, encoder_output, content, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS, 0.0
        )
    limit = content / FRAMES_PER_SECOND - lead_s
    for seg in segments:
        for w in seg.get("words") or []:
            start = min(max(float(w["start"]) - lead_s, 0.0), limit)
            end = min(max(float(w["end"]) - lead_s, 0.0), limit)
            out.words.append(LiveWord(start, max(end, start), w["word"], float(w["probability"])))
    out.text = "".join(w.text for w in out.words).strip()
    out.compression_ratio = get_compression_ratio(out.text) if out.text else 0.0
    out.seconds = time.perf_counter() - t0
    return out
