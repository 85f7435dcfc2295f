"""Speech to text with Whisper (faster-whisper, CTranslate2 int8 on the CPU).

``transcribe_stream(audio, options)`` yields a growing :class:`Transcript` as segments are
decoded (the UI shows them live and can cancel); ``transcribe`` returns the final one.
Every field of :class:`TranscribeOptions` is passed to the model (see ``decode_kwargs``), and
the model's own record of the options it used is kept in ``Transcript.options_used``.

Models come from ``pipelines.engines.whisper`` (one registry). ``model="auto"`` picks the
bundled Whisper tiny.en when English is chosen, and Whisper base for every other language,
for translation, and when the language is to be detected: base detects it and then
transcribes with the same loaded model (more accurate than tiny.en, WER 1.4 % vs 4.2 % on
LibriVox, and one model in memory instead of two: the default path stays under 700 MB).
"""

from __future__ import annotations

import re
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from pipelines.core.audio_stream import SampleFile
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem
from pipelines.core.memory import release_free_memory
from pipelines.core.registry import REGISTRY, ModelUnavailable, is_folder_name
from pipelines.engines import wav2vec2 as w2v
from pipelines.engines import whisper as wm
from pipelines.engines.whisper import SAMPLE_RATE
from pipelines.formats.subtitles import (
    Cue,
    SubtitleOptions,
    TimedText,
    cut_cues,
    estimate_words,
    to_ass_karaoke,
    to_lrc_enhanced,
    write_subtitles,
)

AUTO = "auto"
TASKS = ("transcribe", "translate")
VAD_SEARCH_SECONDS = 120.0  # language detection runs the VAD on this much audio at a time
# A segment the model finds more likely silence than speech, and decoded without confidence, is
# left out (Whisper's "You" on a chord: 89 % no speech, log-prob -0.94); a confident one only
# when silence is very likely. Real speech before a pause can read 58 % no speech at -0.51.
NO_SPEECH_DROP = 0.5
NO_SPEECH_DROP_LOGPROB = -0.7
NO_SPEECH_SURE = 0.8
CONFIDENCE_LEVELS = ((0.85, "sure"), (0.5, "unsure"), (0.0, "doubtful"))

_LANGUAGE_TABLE = (
    "en:English zh:Chinese de:German es:Spanish ru:Russian ko:Korean fr:French ja:Japanese pt:Portuguese "
    "tr:Turkish pl:Polish ca:Catalan nl:Dutch ar:Arabic sv:Swedish it:Italian id:Indonesian hi:Hindi "
    "fi:Finnish vi:Vietnamese he:Hebrew uk:Ukrainian el:Greek ms:Malay cs:Czech ro:Romanian da:Danish "
    "hu:Hungarian ta:Tamil no:Norwegian th:Thai ur:Urdu hr:Croatian bg:Bulgarian lt:Lithuanian la:Latin "
    "mi:Maori ml:Malayalam cy:Welsh sk:Slovak te:Telugu fa:Persian lv:Latvian bn:Bengali sr:Serbian "
    "az:Azerbaijani sl:Slovenian kn:Kannada et:Estonian mk:Macedonian br:Breton eu:Basque is:Icelandic "
    "hy:Armenian ne:Nepali mn:Mongolian bs:Bosnian kk:Kazakh sq:Albanian sw:Swahili gl:Galician "
    "mr:Marathi pa:Punjabi si:Sinhala km:Khmer sn:Shona yo:Yoruba so:Somali af:Afrikaans oc:Occitan "
    "ka:Georgian be:Belarusian tg:Tajik sd:Sindhi gu:Gujarati am:Amharic yi:Yiddish lo:Lao uz:Uzbek "
    "fo:Faroese ht:Haitian_Creole ps:Pashto tk:Turkmen nn:Nynorsk mt:Maltese sa:Sanskrit "
    "lb:Luxembourgish my:Myanmar bo:Tibetan tl:Tagalog mg:Malagasy as:Assamese tt:Tatar haw:Hawaiian "
    "ln:Lingala ha:Hausa ba:Bashkir jw:Javanese su:Sundanese yue:Cantonese"
)
# Whisper's languages (the same codes as faster_whisper.tokenizer; kept here so that building
# the UI does not import faster-whisper).
LANGUAGES: dict[str, str] = dict(
    (code, name.replace("_", " ")) for code, name in (item.split(":") for item in _LANGUAGE_TABLE.split())
)


def language_name(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "unknown")


def parse_language(value: str | None) -> str | None:
    """A Whisper language code from a code or an English name; None means detect it."""
    text = (value or "").strip()
    if not text or text.lower() in {AUTO, "detect", "auto-detect", "none"}:
        return None
    low = text.lower()
    if low in LANGUAGES:
        return low
    by_name = {name.lower(): code for code, name in LANGUAGES.items()}
    code = by_name.get(low) or by_name.get(low.split("(")[0].strip())
    if code:
        return code
    head = low.split(" ")[0].split("-")[0].split("_")[0]  # "en-US", "fr (French)"
    if head in LANGUAGES:
        return head
    raise UserError(
        f"Unknown language '{value}'. Use 'auto' to detect it, or one of Whisper's 100 language codes "
        f"such as en, fr, de, es, zh, ja (or a name like 'French')."
    )


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


@dataclass
class SegmentInfo:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[TimedText] = field(default_factory=list)  # each with Whisper's probability


@dataclass
class Transcript:
    name: str
    model_key: str
    engine: str  # which engine answered and why, in words
    task: str
    duration: float
    language: str | None = None
    language_probability: float = 0.0
    top_languages: list[tuple[str, float]] = field(default_factory=list)
    segments: list[SegmentInfo] = field(default_factory=list)
    dropped: list[SegmentInfo] = field(default_factory=list)  # judged not speech
    duration_after_vad: float | None = None
    processing_seconds: float = 0.0  # language detection + decoding, model loading excluded
    load_seconds: float = 0.0  # loading (or downloading) models in this request
    stage: str = "starting"
    done: bool = False
    options_used: dict = field(default_factory=dict)  # as the model recorded them
    loops_fixed: list[str] = field(default_factory=list)  # passages that repeated and were decoded again

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text).strip()

    @property
    def progress(self) -> float:
        if self.done:
            return 1.0
        if not self.segments or self.duration <= 0:
            return 0.0
        return min(self.segments[-1].end / self.duration, 0.99)

    @property
    def rtf(self) -> float:
        return self.processing_seconds / self.duration if self.duration > 0 else 0.0

    @property
    def words(self) -> list[TimedText]:
        return [w for s in self.segments for w in s.words]

    @property
    def no_speech(self) -> bool:
        return self.done and not self.segments

    def no_speech_explanation(self) -> str:
        """Why there is no transcript, true to what was found: what the voice filter kept, what the
        model wrote and left out, and why."""
        kept = self.duration_after_vad
        if self.dropped:
            name, sure = language_name(self.language), self.language_probability
            lang = (
                f"It took the language for {name} ({sure:.0%} sure); robotic voices can mislead it. "
                if self.language and self.top_languages
                else ""
            )
            return (
                f"No speech was kept, so there is no transcript: the model wrote {len(self.dropped)} piece(s) of "
                "text but judged each more likely not speech "
                f"(noise, music or a very unnatural voice), so all were left out. {lang}A lower "
                "'No-speech threshold' under Advanced keeps them."
            )
        if self.options_used.get("vad_filter") and kept:
            return (
                f"No speech was kept, so there is no transcript: the voice filter kept {kept:.1f} s that might be "
                "speech, but the model "
                "wrote no words in it. Silence, music and noise are not transcribed."
            )
        if self.options_used.get("vad_filter"):
            return (
                "No speech was found in this audio: the voice filter found none, so there is no transcript. "
                "Silence, music and noise are not transcribed."
            )
        return (
            "No speech was found in this audio: the model heard none, so there is no transcript. "
            "Silence, music and noise are not transcribed."
        )

    def timed_text(self) -> list[tuple[float, float, str]]:
        return [(s.start, s.end, s.text) for s in self.segments]

    def warnings(self) -> list[str]:
        out = []
        if self.no_speech:
            out.append(self.no_speech_explanation())
        if self.dropped:
            shown = "; ".join(
                f"'{s.text}' at {s.start:.1f} s ({s.no_speech_prob:.0%} no speech)" for s in self.dropped[:3]
            )
            out.append(f"Left out {len(self.dropped)} segment(s) the model judged more likely not speech: {shown}.")
        out += self.loops_fixed
        return out


# --- choosing the model --------------------------------------------------------------------


def is_english_only(key: str) -> bool:
    return key in wm.ENGLISH_ONLY


def resolve_model_key(model: str | None) -> str:
    """A registry key from what the user gave: a key, a size like 'small', or a local folder."""
    name = (model or AUTO).strip()
    known = wm.whisper_keys()
    if name == AUTO or name in known or name.startswith(wm.LOCAL_PREFIX):
        return name
    if name in w2v.hub_keys() or name.startswith(w2v.LOCAL_PREFIX):
        return name
    for prefix in ("whisper-hub-", "whisper-"):
        if prefix + name in known:
            return prefix + name
    if is_folder_name(name):  # the allowed-folders rule decides, not what exists on the server
        try:
            return wm.register_local(name)
        except UserError as whisper_error:
            try:  # a transformers CTC (wav2vec2) folder: config.json instead of model.bin
                return w2v.register_local(name)
            except UserError:
                raise whisper_error from None
    raise ModelUnavailable(
        f"Unknown Whisper model '{model}'. Choose 'auto', one of {', '.join(known + w2v.hub_keys())}, "
        "or the path of a local CTranslate2 Whisper (or transformers wav2vec2) folder on the server."
    )


def _check_model_fits(key: str, language: str | None, task: str, english_only: bool | None = None) -> None:
    """Refuse, before loading anything, what an English-only model cannot do."""
    if not (is_english_only(key) if english_only is None else english_only):
        return
    title = REGISTRY.spec(key).title
    if task == "translate":
        raise UserError(
            f"{title} only knows English, so it cannot translate. Choose Whisper base "
            "(bundled, 99 languages) or model 'auto' to translate into English."
        )
    if language not in (None, "en"):
        raise UserError(
            f"{title} only knows English, not {language_name(language)}. Choose Whisper base "
            "(bundled, 99 languages) or model 'auto'."
        )


def _engine_text(key: str, why: str) -> str:
    spec = REGISTRY.spec(key)
    if spec.engine == "local":
        return f"{spec.title} ({why})"
    where = "offline: bundled" if spec.engine == "bundled" else "model hub:"
    return f"{where} {spec.title.split(' (')[0]} ({why})"


def _load_model_with_progress(key: str, out: Transcript) -> Iterator[Transcript]:
    """Load a model, yielding progress while a hub download runs in the background."""
    spec = REGISTRY.spec(key)
    if REGISTRY.is_loaded(key):
        return
    t0 = time.perf_counter()
    try:
        yield from _load_model(spec, out)
    finally:
        out.load_seconds += time.perf_counter() - t0


def _load_model(spec, out: Transcript) -> Iterator[Transcript]:
    key = spec.key
    ok, reason = spec.availability()
    if not ok:
        hint = " Use a bundled model (Whisper tiny.en or base) instead." if spec.engine == "hub" else ""
        raise ModelUnavailable(f"{spec.title} is not available: {reason}.{hint}")
    out.stage = f"loading {spec.title}"
    yield _snapshot(out)
    if spec.engine != "hub":
        REGISTRY.get(key)
        return
    size = key.removeprefix("whisper-hub-")
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", _try(REGISTRY.get, key)), daemon=True)
    worker.start()
    expected = (spec.size_mb or 100) * 1e6
    while worker.is_alive():
        worker.join(0.5)
        got = wm.hub_download_bytes(size)
        out.stage = f"downloading {spec.title}: {got / 1e6:.0f} of about {expected / 1e6:.0f} MB"
        yield _snapshot(out)
    result = box.get("r")
    if isinstance(result, BaseException):
        raise result


def _snapshot(t: Transcript) -> Transcript:
    """A copy that later segments do not change (shallow: segments themselves are not mutated)."""
    return replace(
        t,
        segments=list(t.segments),
        dropped=list(t.dropped),
        top_languages=list(t.top_languages),
        options_used=dict(t.options_used),
        loops_fixed=list(t.loops_fixed),
    )


def _try(fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:  # handed back to the generator's thread
        return exc


# --- transcription ----------------------------------------------------------------------


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


ONE_WINDOW_S = 30.0  # a recording shorter than Whisper's window: its language is detected as it is decoded


def detect_while_decoding(model, x, kwargs: dict):
    """A short recording's language detected by faster-whisper itself, on the speech its VAD kept,
    from the same encoding of the window that it then decodes (``transcribe_whole`` encodes it once):
    ``((segments, info), top languages best first, whether speech was heard)``. The segments are
    decoded as they are read, in the detected language."""
    segments, info = wm.transcribe_whole(model, x, **dict(kwargs, language=None))
    heard = bool(info.duration_after_vad) or not kwargs.get("vad_filter")
    top = sorted(((c, float(p)) for c, p in (info.all_language_probs or [])), key=lambda cp: cp[1], reverse=True)
    return (segments, info), top or [(info.language, float(info.language_probability))], heard


def transcribe_stream(
    audio: np.ndarray | SampleFile,
    options: TranscribeOptions | None = None,
    *,
    sr: int = SAMPLE_RATE,
    name: str = "audio",
) -> Iterator[Transcript]:
    """Yield the transcript as it grows; the last one has ``done=True``.

    Stop iterating (close the generator) to cancel: decoding stops at the next segment.
    ``audio`` may be a :class:`SampleFile` (``audio_stream.open_mono``): then it is read from
    disk a block at a time, and only its log-mel features (2 MB a minute) stay in memory.
    """
    opts = options or TranscribeOptions()
    x = as_whisper_input(audio, sr)
    started = time.perf_counter()
    language = parse_language(opts.language)
    opts.decode_kwargs(language)  # every option checked before any model loads
    key = resolve_model_key(opts.model)
    out = Transcript(name=name, model_key=key, engine="", task=opts.task, duration=len(x) / SAMPLE_RATE)

    if key == AUTO:  # tiny.en for English; base for other languages, translation and detection
        english = opts.task == "transcribe" and language == "en"
        key = wm.TINY_EN.key if english else wm.BASE.key
        why = (
            "English chosen"
            if english
            else "translating to English"
            if opts.task == "translate"
            else f"{language_name(language)} chosen"
            if language
            else ""
        )
    else:
        why = "chosen"
        _check_model_fits(key, language, opts.task)
    out.model_key = key
    if w2v.is_wav2vec2(key):
        yield from _ctc_stream(key, x, opts, language, out, started)
        return
    yield from _load_model_with_progress(key, out)
    model = wm.get_whisper(key)
    if not model.model.is_multilingual:  # local folders: known only once loaded
        _check_model_fits(key, language, opts.task, english_only=True)
        language = language or "en"
    early = None  # a short recording's decoding, begun by the detection
    if language is None:  # one detection for the whole recording
        out.stage = "detecting the language"
        yield _snapshot(out)
        if out.duration < ONE_WINDOW_S:
            early, top, heard = detect_while_decoding(
                model, x, bounded_by_length(opts.decode_kwargs(None), out.duration)
            )
        else:
            top, heard = detect_language(model, x, vad_filter=opts.vad_filter)
        language, prob = (top[0][0], top[0][1]) if heard else ("en", 0.0)
        out.language, out.language_probability, out.top_languages = language, prob, _top3(top) if heard else []
        why = why or f"{language_name(language)} detected, {prob:.0%}"
    else:
        # Chosen by hand: nothing was detected, so no "100 %" is shown as if it had been.
        out.language, out.language_probability, out.top_languages = language, 1.0, []
    out.engine = _engine_text(key, why)
    kwargs = bounded_by_length(opts.decode_kwargs(language), out.duration)
    out.stage = "transcribing"
    yield _snapshot(out)
    release_free_memory()  # what language detection and loading left (pipelines/core/memory.py)
    # The whole recording in one faster-whisper call (prompts carried across its 30-s windows, as
    # on a whole file), its VAD and features computed a block at a time (engines/whisper.py).
    segments, info = early or wm.transcribe_whole(model, x, **kwargs)
    out.options_used = _options_record(info, kwargs)
    out.duration_after_vad = float(info.duration_after_vad)
    for seg in segments:  # decoding happens as this generator is consumed
        item = _segment_info(seg)
        (out.dropped if _not_speech(item) else out.segments).append(item)
        out.processing_seconds = time.perf_counter() - started - out.load_seconds
        yield _snapshot(out)
    for _ in _fill_skipped_gaps(model, x, out, kwargs):
        out.stage = "decoding a skipped passage again"
        yield _snapshot(out)
    if opts.fix_loops:
        for _ in _fix_loops(model, x, out, kwargs):
            out.stage = "decoding a repeating passage again"
            yield _snapshot(out)
    out.processing_seconds = time.perf_counter() - started - out.load_seconds
    out.stage, out.done = "done", True
    if not out.segments and not out.dropped and not out.duration_after_vad:  # detected in silence: means nothing
        out.language, out.language_probability, out.top_languages = None, 0.0, []
    yield _snapshot(out)


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


def _ctc_stream(key: str, x, opts: TranscribeOptions, language: str | None, out: Transcript, started: float):
    """A wav2vec2 CTC model (engines/wav2vec2.py) decoding a block at a time. Such models write
    upper-case letters without punctuation and give no confidences (words show as unscored);
    the hub model knows English only and cannot translate."""
    spec = REGISTRY.spec(key)
    if opts.task == "translate":
        raise UserError(f"{spec.title} cannot translate. Choose Whisper base (bundled) or model 'auto' to translate.")
    if spec.engine == "hub" and language not in (None, "en"):
        raise UserError(f"{spec.title} only knows English, not {language_name(language)}. Choose Whisper base.")
    yield from _load_model_with_progress(key, out)
    pipe = REGISTRY.get(key)
    language = language or ("en" if spec.engine == "hub" else None)
    out.language, out.language_probability = language, 1.0 if language else 0.0
    out.top_languages = [(language, 1.0)] if language else []
    out.engine = _engine_text(key, "chosen")
    out.options_used = dict(engine="wav2vec2 CTC", block_seconds=w2v.BLOCK_SECONDS, language=language, task=opts.task)
    out.stage = "transcribing"
    yield _snapshot(out)
    for start, end, text, words in w2v.decode(pipe, x):
        text = text.lower()
        if text:
            timed = [TimedText(a, b, " " + w.lower()) for a, b, w in words] if opts.word_timestamps else []
            out.segments.append(SegmentInfo(start, end, text[:1].upper() + text[1:], 0.0, 0.0, timed))
        out.processing_seconds = time.perf_counter() - started - out.load_seconds
        yield _snapshot(out)
    out.processing_seconds = time.perf_counter() - started - out.load_seconds
    out.stage, out.done = "done", True
    yield _snapshot(out)


def _segment_info(seg, offset: float = 0.0) -> SegmentInfo:
    return SegmentInfo(
        float(seg.start) + offset,
        float(seg.end) + offset,
        seg.text.strip(),
        float(seg.avg_logprob),
        float(seg.no_speech_prob),
        [
            TimedText(float(w.start) + offset, float(w.end) + offset, w.word, probability=float(w.probability))
            for w in (seg.words or [])
        ],
    )


# --- repetition loops -------------------------------------------------------------------

LOOP_MIN_WORDS = 8  # a loop covers at least this many words ...
LOOP_MIN_REPEATS = 4  # ... of a phrase said this many times back to back (3 for phrases of 4+ words)
LOOP_MAX_PHRASE = 12  # words in the longest phrase looked for
LOOP_PAD_S = 0.5  # decoded again from a little before the loop


@dataclass
class Loop:
    first: int  # word index where the repetition starts
    stop: int  # word index after it
    phrase: str
    repeats: int


def find_loops(words: list[str]) -> list[Loop]:
    """Runs where a phrase of 1 to 12 words repeats back to back (Whisper's failure loop:
    "the the the ...", or one sentence over and over), compared without case or punctuation."""
    norm = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    loops, i = [], 0
    while i < len(norm):
        best = None
        for n in range(1, LOOP_MAX_PHRASE + 1):
            if i + 2 * n > len(norm):
                break
            k = 1
            while norm[i + k * n : i + (k + 1) * n] == norm[i : i + n]:
                k += 1
            enough = k >= LOOP_MIN_REPEATS or (k >= 3 and n >= 4)
            if enough and k * n >= LOOP_MIN_WORDS and (best is None or k * n > best.stop - best.first):
                best = Loop(i, i + k * n, " ".join(words[i : i + n]), k)
        if best:
            loops.append(best)
            i = best.stop
        else:
            i += 1
    return loops


def loop_words(segments: list[SegmentInfo]) -> int:
    """How many words of these segments are inside repetition loops."""
    return sum(lp.stop - lp.first for lp in find_loops(" ".join(s.text for s in segments).split()))


def _fix_loops(model, x, out: Transcript, kwargs: dict) -> Iterator[None]:
    """Decode each looping passage again, without the previous text as prompt and with repeated
    4-token runs forbidden (what stops Whisper's loops); keep it when it repeats itself less."""
    words = [(k, w) for k, s in enumerate(out.segments) for w in s.text.split()]
    loops = find_loops([w for _, w in words])
    for lp in reversed(loops):  # from the end, so earlier segment indices stay valid
        a, b = words[lp.first][0], words[lp.stop - 1][0]
        lo = max(0.0, out.segments[a].start - LOOP_PAD_S)
        hi = out.segments[b + 1].start if b + 1 < len(out.segments) else out.duration
        yield
        no_repeat = max(4, kwargs.get("no_repeat_ngram_size") or 0)
        fresh = _decode_again(model, x, lo, hi, kwargs, no_repeat_ngram_size=no_repeat)
        old = out.segments[a : b + 1]
        where = f"{lo:.1f}-{hi:.1f} s"
        if loop_words(fresh) < loop_words(old):
            out.segments[a : b + 1] = fresh
            out.loops_fixed.insert(
                0, f"The passage at {where} repeated '{lp.phrase}' {lp.repeats} times; it was decoded again."
            )
        else:
            out.loops_fixed.insert(
                0, f"The passage at {where} repeats '{lp.phrase}' {lp.repeats} times (also when decoded again)."
            )


GAP_RECHECK_S = 10.0  # a stretch this long with no words is decoded again on its own


def _decode_again(model, x, lo: float, hi: float, kwargs: dict, **changes) -> list[SegmentInfo]:
    """The speech segments of ``x[lo:hi]`` (seconds) decoded on their own, without the previous
    text as prompt, in the recording's times; ``changes`` override further decoding options."""
    again = dict(kwargs, condition_on_previous_text=False, initial_prompt=None, **changes)
    part = np.asarray(x[int(lo * SAMPLE_RATE) : int(hi * SAMPLE_RATE)], dtype=np.float32)
    segments, _ = wm.transcribe_whole(model, part, **again)
    return [s for s in (_segment_info(seg, lo) for seg in segments) if not _not_speech(s)]


def _fill_skipped_gaps(model, x, out: Transcript, kwargs: dict) -> Iterator[None]:
    """Decode again, on its own, each stretch of 10 s or more that got no words. Whisper conditioned
    on its own earlier text can jump over a passage that repeats what was said before (seen: 24 s
    of speech skipped when a reading was heard twice). The VAD stays on, so a real silence costs
    only its voice check and gives nothing."""
    edges = [0.0] + [t for s in out.segments for t in (s.start, s.end)] + [out.duration]
    gaps = [(a, b) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= GAP_RECHECK_S]
    for lo, hi in reversed(gaps):  # from the end, so earlier segment indices stay valid
        yield
        fresh = [s for s in _decode_again(model, x, lo, hi, kwargs) if s.start >= lo - 0.5 and s.end <= hi + 0.5]
        if fresh:
            at = sum(1 for s in out.segments if s.start < lo)
            out.segments[at:at] = fresh


def _not_speech(s: SegmentInfo) -> bool:
    unsure = s.no_speech_prob > NO_SPEECH_DROP and s.avg_logprob < NO_SPEECH_DROP_LOGPROB
    return not s.text or unsure or s.no_speech_prob > NO_SPEECH_SURE


def _top3(probs) -> list[tuple[str, float]]:
    return [(code, float(p)) for code, p in (probs or [])[:3]]


def _options_record(info, kwargs: dict) -> dict:
    """What the model says it used (faster-whisper's TranscriptionInfo), plus the VAD switch."""
    used = asdict(info.transcription_options) if info.transcription_options is not None else {}
    keep = (
        "beam_size",
        "best_of",
        "temperatures",
        "initial_prompt",
        "condition_on_previous_text",
        "word_timestamps",
        "no_speech_threshold",
        "hallucination_silence_threshold",
        "no_repeat_ngram_size",
        "repetition_penalty",
        "compression_ratio_threshold",
        "log_prob_threshold",
    )
    record = {k: used.get(k) for k in keep}
    record.update(language=info.language, task=kwargs["task"], vad_filter=kwargs["vad_filter"])
    return record


def transcribe(
    audio: np.ndarray | SampleFile,
    options: TranscribeOptions | None = None,
    *,
    sr: int = SAMPLE_RATE,
    name: str = "audio",
) -> Transcript:
    """The finished transcript (see :func:`transcribe_stream`)."""
    result = None
    for partial in transcribe_stream(audio, options, sr=sr, name=name):
        result = partial
    assert result is not None and result.done
    return result


# --- results as files ---------------------------------------------------------------------


def subtitle_cues(t: Transcript, options: SubtitleOptions | None = None) -> list[Cue]:
    """The cues of the SRT, VTT and karaoke files: each segment's words cut to the line limits
    (times estimated from the text's width where there are no word timestamps)."""
    cues: list[Cue] = []
    for s in t.segments:
        cues += cut_cues(s.words or estimate_words(s.start, s.end, s.text), options)
    return cues


def write_outputs(
    t: Transcript, out_dir: Path, stem: str | None = None, subtitles: SubtitleOptions | None = None
) -> dict[str, Path]:
    """SRT and VTT (cues cut to ``subtitles``' line limits), TXT, JSON (with words and scores) and
    TSV for one transcript, and word-by-word karaoke (ASS, enhanced LRC) when it has word times."""
    subtitles = (subtitles or SubtitleOptions()).checked()
    stem = stem or safe_stem(t.name)
    metadata = {
        "file": t.name,
        "model": t.model_key,
        "engine": t.engine,
        "task": t.task,
        "language": t.language,
        "language_probability": round(t.language_probability, 4),
        "top_languages": [[c, round(p, 4)] for c, p in t.top_languages],
        "duration": round(t.duration, 3),
        "processing_seconds": round(t.processing_seconds, 3),
        "options": t.options_used,
        "subtitles": asdict(subtitles),
    }
    extra = [
        {
            "avg_logprob": round(s.avg_logprob, 4),
            "no_speech_prob": round(s.no_speech_prob, 4),
            "words": [
                {
                    "start": round(w.start, 3),
                    "end": round(w.end, 3),
                    "word": w.text,
                    "probability": None if w.probability is None else round(w.probability, 4),
                }
                for w in s.words
            ],
        }
        for s in t.segments
    ]
    cues = subtitle_cues(t, subtitles)
    paths = write_subtitles([c.segment for c in cues], out_dir, stem, ("srt", "vtt"))
    paths.update(write_subtitles(t.timed_text(), out_dir, stem, ("txt", "json", "tsv"), metadata, extra))
    if t.words:  # karaoke needs the words' own times
        paths["ass"] = Path(out_dir) / f"{stem}.ass"
        paths["ass"].write_text(to_ass_karaoke(cues, t.name), encoding="utf-8")
        paths["lrc"] = Path(out_dir) / f"{stem}.lrc"
        paths["lrc"].write_text(to_lrc_enhanced(cues, t.name, t.duration), encoding="utf-8")
    return paths


def zip_outputs(files: dict[str, dict[str, Path]], zip_path: Path) -> Path:
    """One zip holding each file's transcript set in a folder named after the file."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for folder, paths in files.items():
            for path in paths.values():
                zf.write(path, f"{folder}/{path.name}")
    return zip_path


def summary_rows(t: Transcript) -> list[list]:
    lang = f"{language_name(t.language)} ({t.language_probability:.0%})" if t.language else "-"
    return [
        ["Engine", t.engine],
        ["Language", lang],
        ["Task", t.task],
        ["Duration", f"{t.duration:.1f} s"],
        ["Speech after voice filter", "-" if t.duration_after_vad is None else f"{t.duration_after_vad:.1f} s"],
        ["Processing time", f"{t.processing_seconds:.2f} s"],
        ["Real-time factor", f"{t.rtf:.3f}"],
        ["Segments", str(len(t.segments))],
        ["Words", str(len(t.text.split()))],
    ]


# --- what the Transcribe tab offers and shows (tabs stay wiring only) ---------------------


def model_choices() -> list[tuple[str, str]]:
    """(label, key) for every model: bundled ones first. A hub size is listed by its plain title;
    whether it can be used now is the tab's to show (``hub_model_keys``, tabs/hub_choices.py).
    A model missing something else (a package) says so in its label."""
    choices = [("Automatic: tiny.en when English is chosen, base otherwise (bundled)", AUTO)]
    for key in wm.whisper_keys() + w2v.hub_keys():
        spec = REGISTRY.spec(key)
        ok, reason = spec.availability(check_hub=False)
        choices.append((spec.title if ok else f"{spec.title}: unavailable, {reason}", key))
    return choices


def hub_model_keys() -> set[str]:
    """The keys of the models that download from the model hub (usable only when it is reachable)."""
    return {k for k in wm.whisper_keys() + w2v.hub_keys() if REGISTRY.spec(k).engine == "hub"}


def hub_note() -> str:
    from pipelines.core.hub import hub_line

    return hub_line()


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


def info_markdown(t: Transcript) -> str:
    """The live status line while decoding, then the engine, language, timing and notes."""
    if not t.done:
        return f"**Working:** {t.stage}... ({t.progress:.0%} of {t.duration:.1f} s)"
    lines = [f"**Engine:** {t.engine}."]
    if t.language:
        lines.append(f"**Language:** {language_name(t.language)} ({t.language_probability:.0%}).")
    lines.append(
        f"**Audio:** {t.duration:.1f} s; processed in {t.processing_seconds:.2f} s "
        f"(real-time factor {t.rtf:.3f}){f'; models loaded in {t.load_seconds:.1f} s' if t.load_seconds > 0.05 else ''}."
    )
    lines += [f"**Note:** {w}" for w in t.warnings()]
    return "  \n".join(lines)


def reference_comparison(reference: str, hypothesis: str):
    """(markdown, alignment spans) against a pasted reference; ('', None) when none is given."""
    from pipelines.formats.text_metrics import alignment_spans, compare

    if not (reference or "").strip():
        return "", None
    c = compare(reference, hypothesis)
    md = (
        f"**WER {c.wer:.1%}**, **CER {c.cer:.1%}** against {c.reference_words} reference words: "
        f"{c.substitutions} substituted, {c.deletions} deleted, {c.insertions} inserted, {c.hits} right "
        "(case, punctuation and numbers normalised)."
    )
    return md, alignment_spans(c.alignment)


def check_comparison_request(reference: str | None, hypothesis: str | None) -> None:
    if not (reference or "").strip():
        raise UserError("Paste the reference text (what was really said) first.")
    if not (hypothesis or "").strip():
        raise UserError("There is no transcript yet: transcribe the audio first.")


def segment_rows(t: Transcript) -> list[list]:
    return [
        [round(s.start, 2), round(s.end, 2), s.text, round(s.avg_logprob, 3), round(s.no_speech_prob, 3)]
        for s in t.segments
    ]


def word_spans(t: Transcript) -> list[tuple[str, str]]:
    """(word, confidence level) for a highlighted text."""
    return [(w.word, w.confidence) for w in t.words]


def language_scores(t: Transcript) -> dict[str, float] | None:
    """The detected languages' probabilities by name, or None when the language was given."""
    return {f"{language_name(c)} ({c})": p for c, p in t.top_languages} or None


def word_rows(t: Transcript) -> list[list]:
    return [
        [
            round(w.start, 2),
            round(w.end, 2),
            w.word.strip(),
            "-" if w.probability is None else round(w.probability, 3),
            w.confidence,
        ]
        for w in t.words
    ]


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
