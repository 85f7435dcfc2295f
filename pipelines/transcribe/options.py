"""What the user chose for a transcription (every field reaches the model), the Advanced fold's
options by name, and options from a form's or an API call's values."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from pipelines.core.errors import UserError
from pipelines.engines.whisper.languages import AUTO
from pipelines.formats.subtitles import SubtitleOptions

TASKS = ("transcribe", "translate")


@dataclass
class TranscribeOptions:
    """What the user chose; every field reaches the model."""

    model: str = AUTO  # registry key, "auto", or a local CTranslate2 Whisper folder
    language: str | None = AUTO  # code or name; auto/None = detect
    task: str = "transcribe"  # or "translate" (to English; multilingual models only)
    beam_size: int = 5
    temperature: float = 0.0  # first temperature; higher ones follow when decoding fails
    vad_filter: bool = True  # skip non-speech (Silero VAD) so silence and music invent nothing
    word_timestamps: bool = True
    initial_prompt: str = ""  # spellings, names, style to follow
    condition_on_previous_text: bool = True
    no_speech_threshold: float = 0.6
    # Against invented text (the "Advanced" fold): Whisper's own defaults unless said otherwise.
    hallucination_silence_threshold: float = (
        0.0  # s; > 0 skips silences this long around doubtful text (needs word timestamps)
    )
    no_repeat_ngram_size: int = 0  # > 0 forbids repeating any run of this many tokens
    repetition_penalty: float = 1.0  # > 1 makes tokens already produced less likely
    compression_ratio_threshold: float = 2.4  # a window whose text gzips better than this is re-decoded hotter
    log_prob_threshold: float = -1.0  # ... and one decoded with less confidence than this
    fix_loops: bool = True  # find a passage repeating itself in the output and decode it again
    subtitles: SubtitleOptions = field(default_factory=SubtitleOptions)  # SRT/VTT/karaoke line limits

    def decode_kwargs(self, language: str | None) -> dict:
        """Keyword arguments for ``WhisperModel.transcribe`` (validated)."""
        if self.task not in TASKS:
            raise UserError(f"Unknown task '{self.task}': choose 'transcribe' or 'translate'.")
        beam = int(self.beam_size)
        if not 1 <= beam <= 10:
            raise UserError(f"Beam size must be between 1 and 10 (got {self.beam_size}).")
        t0 = float(self.temperature)
        if not 0.0 <= t0 <= 1.0:
            raise UserError(f"Temperature must be between 0 and 1 (got {self.temperature}).")
        silence = float(self.hallucination_silence_threshold or 0.0)
        if not 0.0 <= silence <= 30.0:
            raise UserError(
                f"The silence skip must be between 0 and 30 s (got {self.hallucination_silence_threshold})."
            )
        ngram = int(self.no_repeat_ngram_size or 0)
        if not 0 <= ngram <= 20:
            raise UserError(f"No-repeat n-gram size must be between 0 (off) and 20 (got {self.no_repeat_ngram_size}).")
        penalty = float(self.repetition_penalty)
        if not 1.0 <= penalty <= 3.0:
            raise UserError(f"Repetition penalty must be between 1 (off) and 3 (got {self.repetition_penalty}).")
        ratio = float(self.compression_ratio_threshold)
        if not 1.0 <= ratio <= 10.0:
            raise UserError(
                f"Compression-ratio threshold must be between 1 and 10 (got {self.compression_ratio_threshold})."
            )
        logprob = float(self.log_prob_threshold)
        if not -10.0 <= logprob <= 0.0:
            raise UserError(f"Log-probability threshold must be between -10 and 0 (got {self.log_prob_threshold}).")
        self.subtitles.checked()
        no_speech = float(self.no_speech_threshold)
        if not 0.0 <= no_speech <= 1.0:
            raise UserError(f"No-speech threshold must be between 0 and 1 (got {self.no_speech_threshold}).")
        # Whisper's fallback: start at the chosen temperature, step up when a window fails.
        temps = tuple(round(float(t), 2) for t in np.arange(t0, 1.0001, 0.2)) or (t0,)
        return dict(
            language=language,
            task=self.task,
            beam_size=beam,
            best_of=beam,
            temperature=temps,
            vad_filter=bool(self.vad_filter),
            word_timestamps=bool(self.word_timestamps),
            initial_prompt=(self.initial_prompt or "").strip() or None,
            condition_on_previous_text=bool(self.condition_on_previous_text),
            no_speech_threshold=no_speech,
            hallucination_silence_threshold=silence if silence > 0 and self.word_timestamps else None,
            no_repeat_ngram_size=ngram,
            repetition_penalty=penalty,
            compression_ratio_threshold=ratio,
            log_prob_threshold=logprob,
        )


def options_from_form(
    model,
    language,
    task,
    beam_size,
    temperature,
    vad_filter,
    word_timestamps,
    initial_prompt,
    condition_on_previous_text,
) -> TranscribeOptions:
    """TranscribeOptions from a form's or an API call's values (blank ones: the defaults)."""
    d = TranscribeOptions()
    return TranscribeOptions(
        model=model or d.model,
        language=language or d.language,
        task=task or d.task,
        beam_size=int(beam_size),
        temperature=float(temperature),
        vad_filter=bool(vad_filter),
        word_timestamps=bool(word_timestamps),
        initial_prompt=initial_prompt or "",
        condition_on_previous_text=bool(condition_on_previous_text),
    )


# The "Advanced: invented text and loops" options, named as in TranscribeOptions.
ADVANCED = (
    "hallucination_silence_threshold",
    "no_repeat_ngram_size",
    "repetition_penalty",
    "compression_ratio_threshold",
    "log_prob_threshold",
    "no_speech_threshold",
    "fix_loops",
)


def with_subtitles(opts: TranscribeOptions, max_line_chars=None, max_lines=None) -> TranscribeOptions:
    """``opts`` with the subtitle line limits given by a form or an API call (None: unchanged)."""
    d = opts.subtitles
    chosen = SubtitleOptions(
        d.max_line_chars if max_line_chars is None else max_line_chars,
        d.max_lines if max_lines is None else max_lines,
        d.speaker_style,
    )
    return replace(opts, subtitles=chosen.checked())


def with_advanced(opts: TranscribeOptions, values: dict) -> TranscribeOptions:
    """``opts`` with the Advanced options taken from ``values`` (a form's or an API call's, by
    name; missing or None: left as they are), each converted to its field's type."""
    from dataclasses import replace

    types = {name: type(getattr(opts, name)) for name in ADVANCED}
    return replace(opts, **{name: types[name](values[name]) for name in ADVANCED if values.get(name) is not None})


# Whisper decodes up to 448 tokens a 30-s window whatever it holds: on a 0.3-s clip it looped
# "I'm just going to ..." to the limit at every fallback temperature (7 s of 8.6 s; issue 30).
# A recording this short can hold at most TOKENS_BASE + TOKENS_PER_S tokens a second (fast speech
# is ~5 tokens a second in English, ~12 in Korean, with the timestamps).
# Each fallback temperature decodes the window again (5 samples each): a clip under FALLBACK_ALL_S
# gets one fallback (0 and 0.2); from 2 s on, all six, as the engine alone (a spoken prompt's words
# can need them).
SHORT_AUDIO_S = 9.0
TOKENS_BASE = 16
TOKENS_PER_S = 20
FALLBACK_ALL_S = 2.0


def bounded_by_length(kwargs: dict, seconds: float) -> dict:
    """``kwargs`` with a token budget (``max_new_tokens``) and fewer fallback temperatures for a
    recording under SHORT_AUDIO_S: every stage that decodes (detection with decoding, the fallback
    temperatures, the loop repair) then costs time in proportion to the audio, not Whisper's 448
    tokens six times over. Longer recordings keep Whisper's own limits (a 30-s window, its prompt
    included, is what bounds them)."""
    if seconds >= SHORT_AUDIO_S or kwargs.get("max_new_tokens"):
        return kwargs
    temps = tuple(kwargs["temperature"])
    if seconds < FALLBACK_ALL_S:
        temps = temps[:2]
    return dict(kwargs, max_new_tokens=int(TOKENS_BASE + TOKENS_PER_S * seconds), temperature=temps)
