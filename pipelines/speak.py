"""Speak: text to speech with sentence splitting, natural pauses, subtitles and a listening check.

``speak(text, voice_id, options)`` checks the text (empty, too long, only symbols, a script
the voice cannot read), splits it into sentences, renders each with the voice's engine
(``pipelines.engines.tts``), joins them with pauses and returns a :class:`SpeakResult`
holding the audio, sentence (and, for edge-tts, word) timings and which engine answered.
``write_outputs`` writes WAV, MP3, SRT and VTT; ``listening_check`` transcribes the result
with the bundled Whisper and scores it against the text.

No Gradio here: callable from a notebook, a test or the API.
"""

from __future__ import annotations

import re
import subprocess
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.audio import resample_array
from pipelines.core.environment import engine_settings
from pipelines.core.errors import UserError
from pipelines.core.files import text_stem
from pipelines.engines.tts import ENGINES, EngineUnavailable, Voice
from pipelines.formats.subtitles import TimedText, write_subtitles

MAX_TEXT_CHARS = engine_settings().max_text_chars
MAX_SENTENCE_CHARS = 400  # longer "sentences" are cut at commas, then at spaces
SENTENCE_PAUSE_S = 0.35  # between sentences, at pause factor 1
PARAGRAPH_PAUSE_S = 0.7  # at a blank line
EDGE_TRIM_DB = -45.0  # leading/trailing silence below this is trimmed before pauses are added
EDGE_KEEP_S = 0.03  # silence kept at each end of a sentence after trimming
OUTPUT_PEAK = 0.89  # -1 dBFS: headroom for the MP3 encoder

SAMPLE_TEXT = (
    "The weather was warm and the sky was clear. Anna walked to the market to buy fresh bread "
    "and a basket of apples. On the way home she met an old friend, and they talked about their "
    "summer plans. In the evening, the family sat in the garden and listened to the birds."
)
SAMPLE_TEXT_KO = "안녕하세요. 오늘은 날씨가 정말 좋습니다. 음성 합성 기술을 함께 들어 보세요."


# --- text checks ------------------------------------------------------------------------

# Unicode script (first word of a character's name) -> language that writes it (for advice).
_SCRIPT_LANGUAGE = {
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "cmn",
    "CYRILLIC": "ru",
    "ARABIC": "ar",
    "HEBREW": "he",
    "GREEK": "el",
    "DEVANAGARI": "hi",
    "THAI": "th",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "TELUGU": "te",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "SINHALA": "si",
    "ETHIOPIC": "am",
    "MYANMAR": "my",
    "ORIYA": "or",
    "KHMER": "km",
    "LAO": "lo",
}
_SCRIPT_NAMES = {
    "HANGUL": "Korean (Hangul)",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "CJK": "Chinese characters",
}
# Language (primary subtag) -> the scripts its voices read besides Latin.
_LANGUAGE_SCRIPTS = {
    "ko": {"HANGUL", "CJK"},
    "ja": {"HIRAGANA", "KATAKANA", "CJK"},
    "zh": {"CJK"},
    "cmn": {"CJK"},
    "yue": {"CJK"},
    "hak": {"CJK"},
    "ru": {"CYRILLIC"},
    "uk": {"CYRILLIC"},
    "bg": {"CYRILLIC"},
    "sr": {"CYRILLIC"},
    "mk": {"CYRILLIC"},
    "be": {"CYRILLIC"},
    "kk": {"CYRILLIC"},
    "ky": {"CYRILLIC"},
    "tt": {"CYRILLIC"},
    "ba": {"CYRILLIC"},
    "cv": {"CYRILLIC"},
    "mn": {"CYRILLIC"},
    "ar": {"ARABIC"},
    "fa": {"ARABIC"},
    "ur": {"ARABIC"},
    "ps": {"ARABIC"},
    "sd": {"ARABIC"},
    "ug": {"ARABIC"},
    "he": {"HEBREW"},
    "el": {"GREEK"},
    "grc": {"GREEK"},
    "hi": {"DEVANAGARI"},
    "mr": {"DEVANAGARI"},
    "ne": {"DEVANAGARI"},
    "sa": {"DEVANAGARI"},
    "kok": {"DEVANAGARI"},
    "th": {"THAI"},
    "ka": {"GEORGIAN"},
    "hy": {"ARMENIAN"},
    "bn": {"BENGALI"},
    "as": {"BENGALI"},
    "bpy": {"BENGALI"},
    "ta": {"TAMIL"},
    "te": {"TELUGU"},
    "kn": {"KANNADA"},
    "ml": {"MALAYALAM"},
    "gu": {"GUJARATI"},
    "pa": {"GURMUKHI"},
    "si": {"SINHALA"},
    "am": {"ETHIOPIC"},
    "my": {"MYANMAR"},
    "or": {"ORIYA"},
    "km": {"KHMER"},
    "lo": {"LAO"},
}
FOREIGN_SCRIPT_SHARE = 0.3  # more than this share of letters in a script the voice cannot read: refuse


def clean_text(text: str | None, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The text to speak, normalised; ValueError with a user-facing sentence when unusable."""
    if text is None or not str(text).strip():
        raise UserError("There is no text to speak: type or paste some text first.")
    text = unicodedata.normalize("NFC", str(text)).replace("\r\n", "\n").strip()
    if len(text) > max_chars:
        raise UserError(
            f"The text is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Shorten it or split it into several parts."
        )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise UserError(
            "The text has no letters or digits (only symbols, punctuation or emoji), so there is "
            "nothing a voice can read. Type some words."
        )
    return text


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"


def check_language(text: str, voice: Voice) -> None:
    """Refuse text mostly written in a script the voice's language does not use (Latin is always fine)."""
    letters = [_script(ch) for ch in text if unicodedata.category(ch).startswith("L")]
    if not letters:
        return
    allowed = _LANGUAGE_SCRIPTS.get(voice.primary_language, set()) | {"LATIN"}
    foreign: dict[str, int] = {}
    for script in letters:
        if script not in allowed:
            foreign[script] = foreign.get(script, 0) + 1
    if not foreign or sum(foreign.values()) <= FOREIGN_SCRIPT_SHARE * len(letters):
        return
    script = max(foreign, key=foreign.get)
    language = _SCRIPT_LANGUAGE.get(script)
    advice = ""
    if language:
        advice = f" Choose a voice for that language, for example the bundled espeak-ng voice 'espeak:{language}'."
    raise UserError(
        f"The voice {voice.label()} cannot read text written in "
        f"{_SCRIPT_NAMES.get(script, script.title())} script.{advice}"
    )


LATIN_TEXT_SHARE = 0.5  # more than this share of Latin letters, for a voice of a non-Latin script: warn


def language_warning(text: str, voice: Voice) -> str | None:
    """A warning (None when none is due) for text mostly in Latin letters sent to a voice whose
    language is written in another script, e.g. English read by the Korean espeak-ng voice: it
    is spoken, but with that language's sounds, which few listeners follow."""
    scripts = _LANGUAGE_SCRIPTS.get(voice.primary_language)
    letters = [_script(ch) for ch in text if unicodedata.category(ch).startswith("L")]
    if not scripts or not letters:
        return None
    latin = sum(1 for s in letters if s == "LATIN")
    if latin <= LATIN_TEXT_SHARE * len(letters):
        return None
    name, language = voice.label(), voice.language_name or voice.language
    return (
        f"Most of this text is in Latin letters, but the voice {name} reads {language}: it will "
        f"sound like {language} sounds, not like English. For English text choose Piper or an "
        "English voice."
    )


# --- sentences --------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?<=[。！？])\s*")


@dataclass
class Sentence:
    text: str
    paragraph_end: bool = False  # a blank line follows: a longer pause


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[Sentence]:
    """Paragraphs at blank lines, sentences at . ! ? (and CJK 。！？), long ones cut at commas."""
    out: list[Sentence] = []
    for paragraph in re.split(r"\n\s*\n", text):
        pieces = []
        for line in paragraph.splitlines():
            pieces += _join_abbreviations([p.strip() for p in _SENTENCE_END.split(line) if p and p.strip()])
        pieces = [q for p in pieces for q in _cut_long(p, max_chars)]
        pieces = [p for p in pieces if any(unicodedata.category(ch)[0] in "LN" for ch in p)]
        out += [Sentence(p) for p in pieces]
        if out:
            out[-1].paragraph_end = True
    if out:
        out[-1].paragraph_end = False
    return out


# "Mr. Smith", "e.g. this", "J. Austen": a period that ends no sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "sr",
    "jr",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "no",
    "fig",
    "mt",
    "approx",
}


def _join_abbreviations(pieces: list[str]) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        if out and out[-1].endswith("."):
            last = out[-1].split()[-1].rstrip(".").lower()
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha() and last not in "ia"):  # not "I." / "A."
                out[-1] = f"{out[-1]} {piece}"
                continue
        out.append(piece)
    return out


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts, current = [], ""
    for piece in re.split(r"(?<=[,;:、，])\s*", sentence):
        for word in [piece] if len(piece) <= max_chars else piece.split():
            if current and len(current) + len(word) + 1 > max_chars:
                parts.append(current)
                current = ""
            while len(word) > max_chars:  # one enormous "word": cut it
                parts.append(word[:max_chars])
                word = word[max_chars:]
            current = f"{current} {word}".strip()
    if current:
        parts.append(current)
    return parts


# --- voices -----------------------------------------------------------------------------


def find_voices(
    engine: str | None = None, language: str = "", gender: str = "", query: str = "", offline: bool = False
) -> list[Voice]:
    """Voices filtered by engine, language (prefix of the code or part of its name), gender and free text."""
    language, query, gender = language.strip().lower(), query.strip().lower(), gender.strip().lower()
    voices = []
    engines = [engine] if engine else list(ENGINES)
    for key in engines:
        voices += ENGINES[key].voices(offline)
    out = []
    for v in voices:
        if language and not _language_matches(v, language):
            continue
        if gender and gender not in {"any", "all"} and v.gender != gender:
            continue
        if query and query not in f"{v.id} {v.label()}".lower():
            continue
        out.append(v)
    return out


def _language_matches(voice: Voice, wanted: str) -> bool:
    """'ko' matches ko and ko-KR (not kok); 'en-gb' matches en-GB; 'korean' matches by name."""
    code = voice.language.lower().replace("_", "-")
    wanted = wanted.replace("_", "-")
    if code == wanted or code.startswith(wanted + "-"):
        return True
    return len(wanted) >= 3 and wanted in voice.language_name.lower()


DEFAULT_ENGINE = "piper"
DEFAULT_VOICES = {key: e.default_voice for key, e in ENGINES.items()}


def resolve_voice(engine: str, voice_id: str | None, offline: bool = False) -> Voice:
    """The Voice for an engine and an id ('' = the engine's default); UserError if unknown."""
    engine = (engine or DEFAULT_ENGINE).strip().lower()
    if engine not in ENGINES:
        raise UserError(f"Unknown engine '{engine}'. Choose one of: {', '.join(ENGINES)}.")
    voice_id = (voice_id or "").strip() or DEFAULT_VOICES[engine]
    if ":" not in voice_id:
        voice_id = f"{engine}:{voice_id}"
    if not voice_id.startswith(engine + ":"):
        raise UserError(f"The voice '{voice_id}' belongs to another engine than '{engine}'.")
    voice = ENGINES[engine].find_voice(voice_id, offline)
    if voice is not None:
        return voice
    raise UserError(
        f"Unknown voice '{voice_id}' for engine '{engine}'. Search the voice list (API: /voices) "
        f"for a valid id, e.g. '{DEFAULT_VOICES[engine]}'."
    )


def fallback_voice(language: str) -> Voice:
    """The bundled voice closest to a language: the first bundled engine (in ``ENGINES`` order:
    Piper, then espeak-ng) that is available here and has a voice for it."""
    primary = language.split("-")[0].lower()
    for engine in ENGINES.values():
        if engine.online or not engine.availability()[0]:
            continue
        for v in engine.voices():
            if v.primary_language == primary or v.language.lower() == language.lower():
                return v
    return ENGINES[DEFAULT_ENGINE].voices()[0]


# --- synthesis --------------------------------------------------------------------------


def default_engine_options() -> dict[str, object]:
    """Each engine's own controls at their defaults, by engine key."""
    return {key: e.Options() for key, e in ENGINES.items()}


@dataclass
class SpeakOptions:
    speed: float = 1.0  # every engine: 1 = the voice's normal pace
    pause: float = 1.0  # multiplies the pauses between sentences
    fallback: bool = True  # online engine unreachable: answer with a bundled voice instead of failing
    offline: bool = False
    # Each engine's own controls (its ``Options`` dataclass), by engine key; a missing one: its defaults.
    engines: dict[str, object] = field(default_factory=default_engine_options)

    def for_engine(self, key: str):
        return self.engines.get(key) or ENGINES[key].Options()


@dataclass
class SpeakResult:
    audio: np.ndarray
    sr: int
    text: str
    voice: Voice
    sentences: list[TimedText]
    words: list[TimedText] | None
    engine_note: str  # which engine answered and why, for users
    synth_seconds: float
    first_audio_seconds: float  # time until the first sentence's audio was ready (voice loaded)
    load_seconds: float = 0.0  # loading the voice on first use
    warnings: list[str] = field(default_factory=list)  # said to the user beside the speech

    @property
    def duration(self) -> float:
        return len(self.audio) / float(self.sr)

    @property
    def rtf(self) -> float:
        return self.synth_seconds / max(self.duration, 1e-9)


def speak(
    text: str,
    engine: str = DEFAULT_ENGINE,
    voice_id: str | None = None,
    options: SpeakOptions | None = None,
    progress: Callable[[float, str], None] | None = None,
    max_chars: int = MAX_TEXT_CHARS,
) -> SpeakResult:
    """Text -> speech. Raises ValueError for unusable input, EngineUnavailable when no engine can answer."""
    options = options or SpeakOptions()
    text = clean_text(text, max_chars)
    voice = resolve_voice(engine, voice_id, options.offline)
    note = f"{ENGINES[voice.engine].title}: {voice.label()}"
    if ENGINES[voice.engine].online:
        ok, reason = ENGINES[voice.engine].availability(options.offline)
        if not ok:
            if not options.fallback:
                raise EngineUnavailable(
                    f"The online voices are not reachable: {reason}. Use a bundled engine (piper or espeak) instead."
                )
            wanted = voice
            voice = fallback_voice(wanted.language)
            note = (
                f"Online voices not reachable ({reason}): answered by the bundled "
                f"{ENGINES[voice.engine].title} voice {voice.label()} instead of {wanted.id}."
            )
    check_language(text, voice)
    warnings = [w for w in [language_warning(text, voice)] if w]
    sentences = split_sentences(text)
    if not sentences:
        raise UserError("The text has no words a voice can read.")
    engine_obj = ENGINES[voice.engine]
    engine_options = options.for_engine(voice.engine)
    start = time.perf_counter()
    if progress:
        progress(0.0, "Loading the voice")
    engine_obj.prepare()  # first use loads the model: not part of the synthesis time
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pieces, cues, words, first_audio = [], [], [], 0.0
    sr, cursor = 0, 0
    for i, sentence in enumerate(sentences):
        if progress:
            progress(i / len(sentences), f"Sentence {i + 1} of {len(sentences)}")
        rendered = engine_obj.synthesize(sentence.text, voice, engine_options, options.speed)
        if i == 0:
            first_audio = time.perf_counter() - start
        sr = sr or rendered.sr
        audio, offset = _trim(rendered.audio, rendered.sr)
        audio = resample_array(audio, rendered.sr, sr)  # engines keep one rate per voice; guard anyway
        if len(audio) == 0:
            continue
        t0 = cursor / sr
        cues.append(TimedText(t0, t0 + len(audio) / sr, sentence.text))
        if rendered.words:
            words += [
                TimedText(t0 + max(w.start - offset, 0.0), t0 + max(w.end - offset, 0.0), w.text)
                for w in rendered.words
            ]
        pieces.append(audio)
        cursor += len(audio)
        if i < len(sentences) - 1:
            gap = (PARAGRAPH_PAUSE_S if sentence.paragraph_end else SENTENCE_PAUSE_S) * max(options.pause, 0.0)
            pieces.append(np.zeros(int(round(gap * sr)), np.float32))
            cursor += len(pieces[-1])
    if not cues:
        raise UserError("The voice produced no sound for this text (nothing it can pronounce).")
    audio = np.concatenate(pieces)
    peak = float(np.max(np.abs(audio)))
    if peak > 0:
        audio = (audio * (OUTPUT_PEAK / peak)).astype(np.float32)
    if progress:
        progress(1.0, "Done")
    return SpeakResult(
        audio,
        sr,
        text,
        voice,
        cues,
        words or None,
        note,
        time.perf_counter() - start,
        first_audio,
        load_seconds,
        warnings,
    )


def _trim(audio: np.ndarray, sr: int) -> tuple[np.ndarray, float]:
    """Cut leading/trailing silence (keeping a little), so the pauses we add are the pauses heard.

    Returns the trimmed audio and the seconds removed at the start (to shift word timings).
    """
    audio = np.asarray(audio, np.float32)
    if audio.size == 0:
        return audio, 0.0
    loud = np.flatnonzero(np.abs(audio) > 10 ** (EDGE_TRIM_DB / 20) * max(float(np.max(np.abs(audio))), 1e-9))
    if loud.size == 0:
        return np.zeros(0, np.float32), 0.0
    keep = int(EDGE_KEEP_S * sr)
    a, b = max(int(loud[0]) - keep, 0), min(int(loud[-1]) + keep + 1, len(audio))
    out = audio[a:b].copy()
    fade = min(int(0.005 * sr), len(out) // 2)  # 5 ms fades: no clicks at the cuts
    if fade:
        ramp = np.linspace(0, 1, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out, a / sr


# --- files ------------------------------------------------------------------------------


@dataclass
class SpeakFiles:
    wav: Path
    mp3: Path | None
    srt: Path
    vtt: Path
    words_srt: Path | None = None
    words_vtt: Path | None = None

    def all(self) -> list[Path]:
        return [p for p in (self.wav, self.mp3, self.srt, self.vtt, self.words_srt, self.words_vtt) if p]


def speech_stem(text: str) -> str:
    """Download name of spoken text, after its first words: ``the-library-opens-at-speech``
    (issue 13, class 6: never a bare ``speech.wav``)."""
    return f"{text_stem(text, 'text', words=4)}-speech"


def write_outputs(result: SpeakResult, out_dir: Path, stem: str = "speech") -> SpeakFiles:
    import soundfile as sf

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wav = out_dir / f"{stem}.wav"
    sf.write(str(wav), result.audio, result.sr, subtype="PCM_16")
    subs = write_subtitles(((c.start, c.end, c.text) for c in result.sentences), out_dir, stem, ("srt", "vtt"))
    files = SpeakFiles(wav, _to_mp3(wav), subs["srt"], subs["vtt"])
    if result.words:
        words = write_subtitles(
            ((c.start, c.end, c.text) for c in result.words), out_dir, f"{stem}.words", ("srt", "vtt")
        )
        files.words_srt, files.words_vtt = words["srt"], words["vtt"]
    return files


def _to_mp3(wav: Path) -> Path | None:
    """MP3 beside the WAV through ffmpeg (None when ffmpeg is missing: the WAV still serves)."""
    from pipelines.core.audio import ffmpeg_executable

    exe = ffmpeg_executable()
    if exe is None:
        return None
    mp3 = wav.with_suffix(".mp3")
    run = subprocess.run(
        [exe, "-v", "error", "-nostdin", "-y", "-i", str(wav), "-codec:a", "libmp3lame", "-q:a", "4", str(mp3)],
        capture_output=True,
        timeout=300,
    )
    return mp3 if run.returncode == 0 and mp3.exists() else None


# --- listening check --------------------------------------------------------------------

# Language codes of voices that Whisper names differently.
_WHISPER_LANGUAGE = {"cmn": "zh", "yue": "yue", "hak": "zh", "nb": "no", "grc": "el"}


@dataclass
class ListeningCheck:
    transcript: str
    model: str
    language: str | None
    comparison: object  # text_metrics.Comparison
    warning: str | None = None  # e.g. a language code Whisper does not know

    @property
    def wer(self) -> float:
        return self.comparison.wer


def listening_check(audio: np.ndarray, sr: int, text: str, language: str = "en") -> ListeningCheck:
    """Transcribe speech with the bundled Whisper (the Transcribe pipeline, model 'auto': tiny.en
    for English, base otherwise) and compare it with the text it should say."""
    from pipelines.formats.text_metrics import compare
    from pipelines.transcribe import LANGUAGES, SAMPLE_RATE, TranscribeOptions, transcribe

    primary = language.split("-")[0].lower()
    code = _WHISPER_LANGUAGE.get(primary, primary)
    warning = None
    if code not in LANGUAGES:
        asked_code = language[:20]
        warning = (
            f"The language code '{asked_code}' is not one Whisper knows, so Whisper guessed the language "
            "from the speech instead; the word error rate may be high for that reason."
        )
    options = TranscribeOptions(
        language=code if code in LANGUAGES else "auto",  # unknown to Whisper: detect
        condition_on_previous_text=False,
        word_timestamps=False,
    )
    t = transcribe(resample_array(audio, sr, SAMPLE_RATE), options, name="speech")
    # Everything Whisper heard, including what the pipeline set aside as likely non-speech:
    # robotic voices (espeak-ng) often score a high no-speech probability yet are transcribed well.
    heard = sorted(t.segments + t.dropped, key=lambda s: s.start)
    transcript = " ".join(s.text.strip() for s in heard if s.text.strip()).strip()
    # transcribe() forgets the language when it kept no segment; one that was asked for still stands
    asked = options.language if options.language != "auto" else None
    return ListeningCheck(
        transcript, t.model_key, t.language or (asked if heard else None), compare(text, transcript), warning
    )


# --- what the Speak tab shows and parses (tabs stay wiring only) -------------------------


def engines_markdown(offline: bool) -> str:
    """One line per engine: ready, or why not."""
    return "\n".join(f"- **{e.title}**: {e.status(offline)}" for e in ENGINES.values())


def online_markdown(offline: bool) -> str:
    """Whether the online voices can answer, for the line under the engine choice."""
    online = [e for e in ENGINES.values() if e.online]
    down = [(e, reason) for e in online for ok, reason in [e.availability(offline)] if not ok]
    if not down:
        return "Online voices: reachable. Search them under *Find a voice*."
    reasons = "; ".join(reason for _, reason in down)
    return (
        f"Online voices: **not available here** ({reasons}). Choosing one answers with the closest "
        "bundled voice (Piper for English, espeak-ng otherwise)."
    )


def unreachable_warning(engine: str, offline: bool) -> str | None:
    """A warning when someone picks an online engine that cannot answer now (None otherwise)."""
    e = ENGINES.get(engine)
    if e is None or not e.online:
        return None
    ok, reason = e.availability(offline)
    if ok:
        return None
    return (
        f"Online voices are not reachable ({reason}). Speak will answer with a bundled voice "
        "for the same language; or choose Piper or espeak-ng."
    )


def voice_choice(v: Voice) -> tuple[str, str]:
    """(label, id) for a voice menu; online voices show their service name, which users search by."""
    return (f"{v.label()} [{v.short_id}]" if ENGINES[v.engine].online else v.label(), v.id)


def voice_rows(voices: list[Voice]) -> list[list[str]]:
    """The voice table: id, name, language, gender, engine."""
    return [[v.id, v.name, f"{v.language_name} ({v.language})", v.gender, ENGINES[v.engine].title] for v in voices]


def pick_voice(engine: str, voices: list[Voice], current: str = "") -> str | None:
    """Keep the current voice when it is still listed, else the engine's default, else the first one."""
    ids = [v.id for v in voices]
    if current in ids:
        return current
    default = DEFAULT_VOICES.get(engine)
    return default if default in ids else (ids[0] if ids else None)


def engine_of_voice(voice_id: str | None) -> str | None:
    """The engine a voice id names ('espeak:ko' -> 'espeak'), or None when it names none."""
    owner = (voice_id or "").split(":", 1)[0]
    return owner if owner in ENGINES else None


def requested_voice(engine: str | None, voice_id: str | None) -> tuple[str, str]:
    """(engine, voice id) from a form or an API call: a call naming only another engine than the
    form's initial voice belongs to gets that engine's default voice."""
    engine = engine or DEFAULT_ENGINE
    voice_id = voice_id or ""
    if voice_id == DEFAULT_VOICES[DEFAULT_ENGINE] and engine != DEFAULT_ENGINE:
        voice_id = ""
    return engine, voice_id


def check_listening_request(audio, text: str | None) -> None:
    """A listening check needs speech and the text it should say (UserError otherwise)."""
    if not audio:
        raise UserError("Make some speech first: press Speak, then run the listening check.")
    if not (text or "").strip():
        raise UserError("There is no text to compare the speech with.")


def result_markdown(result: SpeakResult) -> str:
    """Which engine answered, how much speech, how fast."""
    words = " Word timings from the voice's word boundaries." if result.words else ""
    load = (
        f" Loading the voice took {result.load_seconds:.1f} s (first use only)." if result.load_seconds > 0.05 else ""
    )
    warned = "".join(f"  \n**Warning:** {w}" for w in result.warnings)
    return (
        f"**Answered by:** {result.engine_note}  \n{len(result.sentences)} sentence(s), "
        f"{result.duration:.1f} s of speech made in {result.synth_seconds:.1f} s "
        f"(real-time factor {result.rtf:.2f}).{load}{words}{warned}"
    )


def listening_markdown(result: ListeningCheck) -> str:
    c = result.comparison
    return (
        f"**Word error rate: {c.wer:.1%}** (character error rate {c.cer:.1%}) with bundled `{result.model}`: "
        f"{c.hits} of {c.reference_words} words heard right, {c.substitutions} wrong, {c.deletions} missed, "
        f"{c.insertions} extra. Lower is better; below 10% is easy to understand.  \n"
        f"**Whisper heard:** {result.transcript or '(nothing)'}"
    ) + (f"  \n**Warning:** {result.warning}" if result.warning else "")
