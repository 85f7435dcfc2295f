"""Voice chat (seed 004's second project): speech in, transcribed, answered by a language model,
and the answer spoken sentence by sentence as it is written, so its first words play early.

Transcribe (Whisper through the Transcribe pipeline) -> ``pipelines.engines.llm`` (streamed text) ->
Speak (Piper for English, espeak-ng for other languages, or a voice the user chose). The
conversation is plain data (a list of messages) that the caller keeps per visitor.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from pipelines import speak as sp
from pipelines.core.errors import UserError
from pipelines.engines import llm as lm

SAMPLE_RATE = 16000
MAX_TURNS = 20  # exchanges kept; older ones are forgotten first
MAX_USER_CHARS = 2000
DEFAULT_SYSTEM = "You are a friendly voice assistant. Answer in one to three short sentences, in plain words."
AUTO = "auto"
THINKING_LIMIT_S = 120.0  # hands-free: listen again if a sent turn got no answer in this time


@dataclass
class VoiceChatOptions:
    model: str = lm.BUNDLED_KEY  # a key from llm.choices(); "none" is refused here
    system_prompt: str = DEFAULT_SYSTEM
    language: str = AUTO  # what the user speaks (Whisper code), auto = detect
    voice: str = AUTO  # a Speak voice id ('piper:...', 'espeak:ko'); auto = bundled voice for the language
    max_tokens: int = 120
    temperature: float = 0.3
    turn_pause_s: float = 0.8  # streaming microphone: this long a pause (Silero VAD) ends the user's turn
    first_clause_words: int = 4  # speak the first clause at a comma once it has this many words


@dataclass
class Heard:
    text: str
    language: str | None
    seconds: float


def transcribe_turn(y: np.ndarray, sr: int, language: str = AUTO) -> Heard:
    """What the user said (Whisper: tiny.en for English, base otherwise, as the Transcribe tab's auto)."""
    from pipelines.transcribe import TranscribeOptions, transcribe

    start = time.perf_counter()
    t = transcribe(y, TranscribeOptions(language=language or AUTO, word_timestamps=False, beam_size=1), name="turn")
    text = " ".join(s.text.strip() for s in t.segments if s.text.strip())
    if not text:
        raise UserError("No words were heard in that recording: speak a little longer or closer to the microphone.")
    return Heard(text[:MAX_USER_CHARS], t.language, time.perf_counter() - start)


class TurnListener:
    """Hears a turn while it is spoken: chunks are transcribed as they come (the Live captions
    engine: local agreement over a short buffer, Silero VAD), so when the user stops only the last
    words are left to decode. ``turn_over()`` is true once a pause of ``pause_s`` follows speech
    and every word is confirmed: the automatic turn-taking of the streaming microphone.
    """

    def __init__(self, language: str = AUTO, pause_s: float | None = None) -> None:
        from pipelines.live_captions import LiveCaptioner, LiveOptions

        self.pause_s = float(VoiceChatOptions().turn_pause_s if pause_s is None else pause_s)
        if not 0.3 <= self.pause_s <= 5.0:
            raise UserError(f"The pause that ends a turn must be between 0.3 and 5 seconds (got {self.pause_s}).")
        lang = language if language and language != AUTO else "auto"
        # a pause confirms every word with a full decode: at the turn's end the text is already final
        self.captioner = LiveCaptioner(
            LiveOptions(language=lang, pause_s=min(0.7, self.pause_s), step_s=0.3, final_beam_size=1)
        )  # greedy, as transcribe_turn: a chat question needs no beam search, and it halves the last decode
        self.started = time.perf_counter()
        self.decode_seconds = 0.0

    def feed(self, chunk, sr: int) -> None:
        self.captioner.feed(chunk, sr)
        t0 = time.perf_counter()
        if self.captioner.decode_if_due() is not None:
            self.decode_seconds += time.perf_counter() - t0

    def turn_over(self) -> bool:
        """Words were heard, Silero VAD hears no speech in the last ``pause_s`` seconds, and every
        word is confirmed: no tentative word is left and a decode has run since the speech ended
        (``heard()`` then has nothing to decode). Until the captioner's next due decode confirms
        the last words, the turn is not over (at most one ``step_s`` later)."""
        from pipelines.engines.silero_vad import speech_regions

        c = self.captioner.captions()
        if not c.confirmed or c.tentative or c.audio_seconds < self.pause_s:
            return False
        tail = self.captioner.tail(self.pause_s + 0.5)
        regions = speech_regions(tail)
        quiet_for = len(tail) / SAMPLE_RATE - (float(regions[-1, 1]) if len(regions) else 0.0)
        speech_end = c.audio_seconds - quiet_for
        return quiet_for >= self.pause_s and c.decoded_seconds >= speech_end + self.captioner.options.pause_s

    def heard(self) -> Heard:
        """The turn's words (decodes what is left: nothing when ``turn_over()`` was true)."""
        t0 = time.perf_counter()
        c = self.captioner.captions()
        if c.tentative or not c.done:
            c = self.captioner.finish()  # usually nothing left: the pause confirmed every word
        text = c.confirmed_text.strip()
        if not text:
            raise UserError("No words were heard in that recording: speak a little longer or closer to the microphone.")
        return Heard(text[:MAX_USER_CHARS], c.language or self.captioner.language, time.perf_counter() - t0)

    def recording(self) -> np.ndarray:
        return self.captioner.recording()


class HandsFree:
    """Hands-free turn-taking over an ordered microphone inbox (the page's relay): a thread takes the
    audio in order, hears each turn as it is spoken (:class:`TurnListener`) and, at a pause, files
    its words (``next_turn``). ``phase`` is what the page shows: listening, thinking (a turn was sent),
    speaking (the answer plays). While thinking or speaking what the microphone hears is not a
    question (the answer's own sound must not start a turn): it is skipped.

    The thread ends on ``stop``, or when no audio has arrived for ``idle_s``.
    """

    def __init__(self, language: str = AUTO, pause_s: float | None = None, inbox=None, idle_s: float = 20.0) -> None:
        import queue
        import threading

        from pipelines.core.audio_inbox import AudioInbox

        self.language, self.pause_s = language, pause_s
        self.listener: TurnListener | None = TurnListener(language, pause_s)  # checks the pause
        self.inbox = inbox if inbox is not None else AudioInbox()
        self.idle_s = idle_s
        self.phase = "listening"
        self.speaking_until = self.thinking_since = 0.0
        self.turns: queue.Queue[str] = queue.Queue()
        self.message = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hands-free", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.inbox.wait(0.3)
                rate = self.inbox.rate
                x = self.inbox.take(int(3.0 * rate)) if rate else np.zeros(0, np.float32)
                if not len(x):
                    if time.monotonic() - self.inbox.last_push > self.idle_s or self.inbox.drained:
                        break
                    continue
                if self.phase_now() != "listening":
                    self.listener = None  # the answer's own sound, or talk over it: not a question
                    continue
                if self.listener is None:
                    self.listener = TurnListener(self.language, self.pause_s)
                self.listener.feed(x, rate)
                if self.listener.turn_over():
                    try:
                        text = self.listener.heard().text
                    except UserError:
                        text = ""
                    self.listener = None
                    if text:
                        self.phase, self.thinking_since = "thinking", time.monotonic()
                        self.turns.put(text)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("hands-free voice chat: the listening thread failed")
            self.message = "Hands-free listening stopped because of a server error; press Record again."

    def phase_now(self) -> str:
        now = time.monotonic()
        if self.phase == "speaking" and now >= self.speaking_until:
            self.phase = "listening"
        if self.phase == "thinking" and now - self.thinking_since > THINKING_LIMIT_S:
            self.phase = "listening"  # no answer came (the page went away mid-answer): listen again
        return self.phase

    def heard_so_far(self) -> str:
        listener = self.listener
        return listener.captioner.captions().text if listener is not None else ""

    def next_turn(self) -> str | None:
        try:
            return self.turns.get_nowait()
        except Exception:
            return None

    def speaking(self, seconds: float) -> None:
        """The answer plays for ``seconds`` from now (then listening again)."""
        self.speaking_until = time.monotonic() + max(0.0, seconds)
        self.phase = "speaking"

    def answered(self, seconds_left: float = 0.0) -> None:
        if seconds_left > 0:
            self.speaking(seconds_left)
        else:
            self.phase = "listening"

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.inbox.close()
        self._thread.join(timeout)


def pick_voice(voice: str, language: str | None) -> sp.Voice:
    if voice and voice != AUTO:
        engine = voice.split(":", 1)[0]
        return sp.resolve_voice(engine, voice, offline=True)
    return sp.fallback_voice(language or "en")


def messages_for(history: list[dict], user_text: str, system_prompt: str) -> list[dict]:
    system = (system_prompt or "").strip()[:1000] or DEFAULT_SYSTEM
    past = [m for m in history if m.get("role") in {"user", "assistant"}][-2 * MAX_TURNS :]
    return [{"role": "system", "content": system}] + past + [{"role": "user", "content": user_text}]


_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*\s")
_CLAUSE_END = re.compile(r"(?<=[,;:，、])\s")


@dataclass
class Reply:
    """One streamed event: the answer's text so far, and (when a sentence is done) its audio."""

    text: str
    audio: np.ndarray | None = None
    sr: int = 0
    done: bool = False
    first_audio_s: float = 0.0  # from the start of answering to the first sentence's audio
    voice: str = ""
    stats: dict = field(default_factory=dict)


def answer(
    history: list[dict],
    user_text: str,
    options: VoiceChatOptions | None = None,
    language: str | None = None,
    offline: bool = False,
) -> Iterator[Reply]:
    """Stream the model's answer; each finished sentence (the first clause, first) is spoken at once."""
    o = options or VoiceChatOptions()
    model = lm.get(o.model, offline)
    if model is None:
        raise UserError("Voice chat needs a language model: choose one of the listed models.")
    yield from answer_with(model, history, user_text, o, language)


def answer_with(
    model: lm.LanguageModel, history: list[dict], user_text: str, o: VoiceChatOptions, language: str | None
) -> Iterator[Reply]:
    """:func:`answer` with a model already chosen."""
    voice = pick_voice(o.voice, language)
    start = time.perf_counter()
    text, spoken_upto, first_audio, first_piece = "", 0, 0.0, 0.0

    def say(sentence: str):
        nonlocal first_audio, first_piece
        sentence = sentence.strip()
        if not re.search(r"\w", sentence):
            return None
        if not first_piece:
            first_piece = time.perf_counter() - start
        try:
            r = sp.speak(sentence, voice.engine, voice.id, sp.SpeakOptions(offline=True))
        except UserError:  # e.g. a script the voice cannot read: the text still stands
            return None
        if not first_audio:
            first_audio = time.perf_counter() - start
        return r

    for piece in model.stream(messages_for(history, user_text, o.system_prompt), o.max_tokens, o.temperature):
        text += piece
        ends = list(_SENTENCE_END.finditer(text, spoken_upto))
        if not ends and not first_audio and o.first_clause_words > 0:
            # nothing spoken yet: the first clause is enough to start (a sentence can be long)
            ends = [
                m
                for m in _CLAUSE_END.finditer(text, spoken_upto)
                if len(text[: m.end()].split()) >= o.first_clause_words
            ][:1]
        if ends:
            cut = ends[-1].end()
            r = say(text[spoken_upto:cut])
            spoken_upto = cut
            yield Reply(text, None if r is None else r.audio, r.sr if r else 0, first_audio_s=first_audio)
        else:
            yield Reply(text)
    rest = text[spoken_upto:]
    r = say(rest) if rest.strip() else None
    usage = model.last_usage
    stats = {
        "model": model.title,
        "voice": voice.label(),
        "tokens": usage.completion_tokens,
        "tokens_per_s": round(usage.tokens_per_s, 1),
        "first_token_s": round(usage.first_token_s, 2),
        "first_piece_s": round(first_piece, 2),  # the first sentence or clause written
        "first_audio_s": round(first_audio, 2),  # ... and spoken
    }
    final = text.strip() or "(the model gave no answer)"
    yield Reply(final, None if r is None else r.audio, r.sr if r else 0, True, first_audio, voice.label(), stats=stats)


# --- a spoken answer as the tab keeps it (the tab stays wiring only) ---------------------------


def with_turn(messages: list[dict], question: str, answer: str) -> list[dict]:
    """The conversation's history after one more question and its answer."""
    return [*messages, {"role": "user", "content": question}, {"role": "assistant", "content": answer}]


class SpokenAnswer:
    """The pieces of one answer's speech as they come, then the whole answer as one WAV."""

    GAP_S = 0.25  # silence between sentences in the whole recording

    def __init__(self) -> None:
        self.pieces: list[np.ndarray] = []
        self.sr = 0

    def add(self, reply) -> tuple[int, np.ndarray] | None:
        """Keep a reply's audio, if it has some; returns it as (rate, samples) for the player."""
        if reply.audio is None or not len(reply.audio):
            return None
        self.sr = self.sr or reply.sr
        self.pieces += [reply.audio, np.zeros(int(self.GAP_S * reply.sr), np.float32)]
        return reply.sr, reply.audio

    def save(self, out_dir, question: str):
        """The whole answer as a WAV named after the question (what-is-the-capital-of-answer.wav), or None."""
        if not self.pieces:
            return None
        import soundfile as sf

        from pipelines.core.files import text_stem

        path = out_dir / f"{text_stem(question, 'question')}-answer.wav"
        sf.write(str(path), np.concatenate(self.pieces), self.sr, subtype="PCM_16")
        return path


def answer_note(stats: dict, heard_note: str, elapsed_s: float) -> str:
    """The line under the answer: how quickly it was heard and answered, by which model and voice."""
    first = stats.get("first_audio_s") or elapsed_s
    return (
        f"{heard_note + ' · ' if heard_note else ''}first audio after {first:.1f} s"
        f" of answering · {stats.get('tokens', 0)} tokens at {stats.get('tokens_per_s', 0)} tokens/s  \n"
        f"Model: {stats.get('model', '')} · voice: {stats.get('voice', '')}"
    )
