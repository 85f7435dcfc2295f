"""Live captions: words on screen while someone speaks, from audio chunks as they come.

:class:`LiveCaptioner` takes chunks of any rate and size (``feed``), resamples each once to
16 kHz as it arrives (a streaming soxr resampler, so chunk edges leave no clicks), and decodes
the growing buffer with Whisper when enough new audio has arrived (``decode_if_due``). The
streaming policy is local agreement (as in whisper_streaming): a word is *confirmed* once two
decodes in a row agree on it; the words after are *tentative* and may still change. A pause
(Silero VAD hears no speech for ``pause_s``) confirms the rest. The buffer is trimmed at the
end of a confirmed sentence, so each decode stays short. Silero VAD also gates the decoder:
audio with no speech is never decoded, and words outside the speech it hears are dropped, so
silence and music give no invented words.

Confirmed words never change once confirmed; their times count from the start of the stream.

From a script::

    cap = LiveCaptioner(LiveOptions(language="en"))
    for chunk in chunks:            # numpy arrays at 48 kHz, say
        cap.feed(chunk, 48000)
        update = cap.decode_if_due()
        if update:
            print(update.confirmed_text, "|", update.tentative_text)
    print(cap.finish().confirmed_text)

:class:`LiveSession` runs a captioner's decoding in a background thread, so that whoever feeds
it (a Gradio streaming handler, handling 0.1-s pieces one after another) never waits for a
decode. :class:`Slots` bounds how many streams decode at once on this machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipelines.core.audio_inbox import AudioInbox, gaps_text
from pipelines.core.errors import UserError
from pipelines.engines import whisper as wm
from pipelines.engines.whisper import choice as whisper_choice
from pipelines.engines.whisper.languages import parse_language
from pipelines.formats.subtitles import write_subtitles
from pipelines.formats.text_metrics import normalize_text
from pipelines.formats.timecode import clock

SAMPLE_RATE = 16000
SENTENCE_END = (".", "?", "!", "。", "？", "！")
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "vs", "jr", "sr"}  # "Mr." ends no cue
SILENT_PEAK = 1e-4  # a chunk whose peak is below this is digital silence (a muted or dead microphone)


@dataclass
class LiveOptions:
    """What the user chose; defaults written once, here."""

    model: str = "auto"  # "auto": tiny.en for English, base for other languages and translation
    language: str = "en"  # a Whisper code or name; "auto" detects it (multilingual model)
    task: str = "transcribe"  # or "translate" (into English)
    step_s: float = 0.4  # decode when this much new audio has arrived
    pause_s: float = 0.7  # this much non-speech after speech confirms every word before it
    trim_after_s: float = 7.0  # buffer longer than this is cut after its last confirmed sentence
    max_buffer_s: float = 12.0  # ... and longer than this after its last confirmed word
    keep_s: float = 2.0  # confirmed speech kept before a cut, as context for the next sentence
    beam_size: int = 1  # greedy: the fastest; the final offline pass uses beam search
    confirm_margin_s: float = 1.0  # agreed words are confirmed only once this much audio follows them
    first_confirm_s: float = 2.0  # nothing of an utterance is confirmed before this much of it was heard
    lead_s: float = 1.0  # silence put before each decoded buffer (Whisper skips a word that opens a window)
    short_window: bool = True  # encode only the buffer (plus padding); False: a 30-s window every time (slow)
    final_full_window: bool = True  # at a pause and at the end, decode in a full 30-s window (as offline)
    final_beam_size: int = 5  # ... with this beam (as offline): these decodes confirm every word
    max_seconds: float = 600.0  # longest stream; then it stops and its transcript is kept
    silent_mic_s: float = 3.0  # digital silence this long gives a message
    rest_ratio: float = 1.0  # in a session, rest this many times the last decode's time before the next
    catch_up_s: float = 3.0  # in a session that is behind, at most this much new audio per decode
    hurry_after_s: float = 1.5  # behind by more than this: cheaper decodes (greedy, short window) until caught up

    def check(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise UserError(f"Unknown task '{self.task}': choose 'transcribe' or 'translate'.")
        if not 0.1 <= float(self.step_s) <= 5.0:
            raise UserError(f"The decoding step must be between 0.1 and 5 seconds (got {self.step_s}).")
        if not 1 <= int(self.beam_size) <= 5:
            raise UserError(f"Beam size must be between 1 and 5 for live captions (got {self.beam_size}).")


@dataclass
class CaptionWord:
    start: float  # seconds from the start of the stream
    end: float
    text: str  # with Whisper's leading space
    probability: float = 1.0

    @property
    def key(self) -> str:
        return normalize_text(self.text)


@dataclass
class Captions:
    """One look at the captions: what is confirmed, what is still tentative, and the stream's state."""

    confirmed: list[CaptionWord] = field(default_factory=list)
    tentative: list[CaptionWord] = field(default_factory=list)
    audio_seconds: float = 0.0  # audio received so far
    decoded_seconds: float = 0.0  # audio end of the latest decode
    level_db: float = -120.0  # loudness of the latest chunk (dBFS, RMS)
    decodes: int = 0
    decode_seconds: float = 0.0  # total wall time spent decoding
    engine: str = ""
    language: str | None = None
    message: str = ""  # what the user should know (silent microphone, limit reached)
    done: bool = False
    version: int = 0  # changes whenever the words change

    @property
    def confirmed_text(self) -> str:
        return "".join(w.text for w in self.confirmed).strip()

    @property
    def tentative_text(self) -> str:
        return "".join(w.text for w in self.tentative).strip()

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.confirmed + self.tentative).strip()

    @property
    def rtf(self) -> float:
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else 0.0

    def segments(self, max_s: float = 6.0, max_chars: int = 84, gap_s: float = 1.0) -> list[tuple[float, float, str]]:
        """Confirmed words as subtitle cues: cut at sentence ends, pauses and a cue's length."""
        cues: list[tuple[float, float, str]] = []
        current: list[CaptionWord] = []

        def close() -> None:
            if current:
                cues.append((current[0].start, current[-1].end, "".join(w.text for w in current).strip()))
                current.clear()

        for w in self.confirmed:
            if current and (
                w.start - current[-1].end > gap_s
                or w.end - current[0].start > max_s
                or len("".join(x.text for x in current)) + len(w.text) > max_chars
            ):
                close()
            current.append(w)
            if w.text.strip().endswith(SENTENCE_END) and w.text.strip().rstrip(".").lower() not in ABBREVIATIONS:
                close()
        close()
        return cues


def to_mono(chunk) -> np.ndarray:
    """Mono float32 from int or float samples, mono or (n, channels) (as Gradio sends them) or (channels, n)."""
    x = np.asarray(chunk)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
    x = np.nan_to_num(x.astype(np.float32, copy=False))
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    return x.reshape(-1)


class LiveCaptioner:
    """Feed chunks; ask for decodes; read confirmed and tentative words (see the module doc)."""

    def __init__(self, options: LiveOptions | None = None) -> None:
        self.options = opts = options or LiveOptions()
        opts.check()
        self.language = parse_language(opts.language)
        self.key, why = choose_model(opts.model, self.language, opts.task)
        self.model = wm.get_whisper(self.key)
        if self.language is None and not self.model.model.is_multilingual:
            self.language = "en"
        self._state = Captions(engine=engine_text(self.key, why), language=self.language)
        self._resampler = None
        self._in_rate = 0
        self._closed = False  # finish() has begun: no more audio is taken
        self._chunks: list[np.ndarray] = []  # every 16-kHz sample received (for the offline pass)
        self._buffer = np.zeros(0, np.float32)
        self._buffer_start = 0.0  # stream time of the buffer's first sample
        self._previous: list[CaptionWord] = []  # the last decode's unconfirmed words
        self._last_decode_audio = 0.0
        self._silent_since: float | None = None
        self._received = 0  # 16-kHz samples
        self.hurry = False  # set by whoever feeds it when it is behind: greedy, short windows, until caught up
        self.lock = threading.RLock()

    # -- input --------------------------------------------------------------------------

    def feed(self, chunk, sr: int) -> None:
        """Append a chunk (int or float samples, mono or (n, channels)) at rate ``sr``. Cheap."""
        x = to_mono(chunk)
        if not len(x):
            return
        with self.lock:  # a piece that arrives while finish() flushes the resampler is dropped, not an error
            if self._closed:
                return
            if sr != SAMPLE_RATE:
                if self._resampler is None or sr != self._in_rate:
                    import soxr

                    self._resampler, self._in_rate = soxr.ResampleStream(sr, SAMPLE_RATE, 1, dtype="float32"), sr
                y = self._resampler.resample_chunk(x)
            else:
                y = x
        peak = float(np.max(np.abs(x)))
        rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
        with self.lock:
            st = self._state
            if st.done:
                return
            self._chunks.append(y)
            self._buffer = np.concatenate([self._buffer, y])
            self._received += len(y)
            st.audio_seconds = self._received / SAMPLE_RATE
            st.level_db = 20 * np.log10(max(rms, 1e-6))
            if peak < SILENT_PEAK:
                self._silent_since = (
                    st.audio_seconds - len(y) / SAMPLE_RATE if self._silent_since is None else self._silent_since
                )
                if st.audio_seconds - self._silent_since >= self.options.silent_mic_s:
                    st.message = (
                        "The microphone is sending silence: check that it is not muted and that the browser may use it."
                    )
            else:
                self._silent_since = None
                if st.message.startswith("The microphone is sending silence"):
                    st.message = ""
            if st.audio_seconds >= self.options.max_seconds:
                st.message = (
                    f"Stopped at this server's limit of {self.options.max_seconds / 60:g} minutes per stream; "
                    "the transcript so far is kept below."
                )

    @property
    def audio_seconds(self) -> float:
        return self._state.audio_seconds

    @property
    def done(self) -> bool:
        return self._state.done

    @property
    def version(self) -> int:
        return self._state.version

    @property
    def level_db(self) -> float:
        return self._state.level_db

    @property
    def message(self) -> str:
        return self._state.message

    @property
    def over_limit(self) -> bool:
        return self._state.audio_seconds >= self.options.max_seconds

    def due(self) -> bool:
        with self.lock:
            return not self._state.done and self._state.audio_seconds - self._last_decode_audio >= self.options.step_s

    # -- decoding -----------------------------------------------------------------------

    def decode_if_due(self) -> Captions | None:
        """Decode when ``step_s`` of new audio has arrived; the new captions, or None."""
        if not self.due():
            return None
        self.decode()
        return self.captions()

    def decode(self, final: bool = False) -> None:
        """Decode the buffer now and update the words (``final``: confirm everything)."""
        from pipelines.engines.silero_vad import speech_regions
        from pipelines.engines.whisper_live import decode_buffer

        with self.lock:
            audio, start = self._buffer.copy(), self._buffer_start
            end = start + len(audio) / SAMPLE_RATE
            self._last_decode_audio = self._state.audio_seconds
        regions = speech_regions(audio) + start if len(audio) >= SAMPLE_RATE // 4 else np.zeros((0, 2))
        words: list[CaptionWord] = []
        spent = 0.0
        with self.lock:
            last_end = self._state.confirmed[-1].end if self._state.confirmed else 0.0
            pending = bool(self._previous)
        fresh = regions[regions[:, 1] > last_end + 0.15] if len(regions) else regions  # speech not yet confirmed
        paused = not len(fresh) or end - fresh[-1, 1] >= self.options.pause_s
        decoding = len(fresh) > 0 or (pending and len(regions) > 0)
        hurry = self.hurry  # behind: the cheaper decode at a pause too (the last one stays full quality)
        if decoding:
            prompt = self._prompt(start)
            result = decode_buffer(
                self.model,
                audio,
                language=self.language,
                task=self.options.task,
                prompt=prompt,
                beam_size=int(
                    self.options.final_beam_size if final or (paused and not hurry) else self.options.beam_size
                ),
                lead_s=self.options.lead_s,
                full_window=not self.options.short_window
                or (self.options.final_full_window and (final or (paused and not hurry))),
            )
            spent = result.seconds
            if result.looks_like_speech:
                for w in result.words:
                    a, b = w.start + start, w.end + start
                    middle = (a + b) / 2
                    inside = np.any((regions[:, 0] - 0.25 <= middle) & (middle <= regions[:, 1] + 0.25))
                    if inside and w.text.strip():
                        words.append(CaptionWord(a, b, w.text, w.probability))
        with self.lock:
            st = self._state
            st.decodes += 1 if decoding else 0
            st.decode_seconds += spent
            st.decoded_seconds = end
            if decoding:
                before = end - self.options.confirm_margin_s
                if len(fresh) and end - fresh[0, 0] < self.options.first_confirm_s:
                    before = -1.0  # an utterance's first words are the least stable: wait for more audio
                self._update(words, confirm_all=final or paused, before=before)
            self._trim(regions, end)
            if final:
                st.done = True

    def _prompt(self, buffer_start: float) -> str:
        """The confirmed text before the buffer: Whisper continues it (names, spelling, style)."""
        with self.lock:
            before = [w.text for w in self._state.confirmed if w.end <= buffer_start + 0.01]
        return "".join(before[-40:]).strip()

    def _update(self, words: list[CaptionWord], confirm_all: bool, before: float = float("inf")) -> None:
        st = self._state
        last_end = st.confirmed[-1].end if st.confirmed else 0.0
        # words after what is confirmed: those starting after it, and those lying mostly after it
        # (a re-decode may move a word's start earlier, into the last confirmed word's span)
        new = [w for w in words if w.start >= last_end - 0.1 or (w.start + w.end) / 2 > last_end]
        # drop a repeat of the last confirmed words (the buffer still holds their audio)
        tail = [w.key for w in st.confirmed[-5:]]
        for n in range(min(5, len(tail), len(new)), 0, -1):
            if [w.key for w in new[:n]] == tail[-n:]:
                new = new[n:]
                break
        if confirm_all:
            agreed = len(new)
        else:
            agreed = 0
            while agreed < min(len(new), len(self._previous)) and new[agreed].key == self._previous[agreed].key:
                agreed += 1
        before = (len(st.confirmed), [w.text for w in st.tentative])
        st.confirmed.extend(w for w in new[:agreed] if w.key)
        self._previous = new[agreed:]
        st.tentative = list(self._previous)
        if (len(st.confirmed), [w.text for w in st.tentative]) != before:
            st.version += 1

    def _trim(self, regions: np.ndarray, end: float) -> None:
        """Cut the buffer after a confirmed sentence (or word, when long; or a pause), keeping it short.

        ``keep_s`` of confirmed speech stays before the cut: Whisper hears a sentence better
        with the one before it (those words are decoded again and skipped).
        """
        st, o = self._state, self.options
        length = end - self._buffer_start
        last_speech = regions[-1, 1] if len(regions) else self._buffer_start
        done = None  # everything before this is confirmed and needs decoding no more
        if not len(regions) or end - last_speech > o.pause_s + o.keep_s:
            self._cut(end - 0.5)  # silence: keep only a little lead-in for the next word's onset
            return
        if not st.tentative and st.confirmed and end - last_speech >= o.pause_s:
            done = max(st.confirmed[-1].end, last_speech)  # a pause, everything confirmed
        elif length > o.trim_after_s:
            inside = [w for w in st.confirmed if w.end > self._buffer_start]
            ends = [w.end for w in inside if w.text.strip().endswith(SENTENCE_END)]
            if ends:
                done = ends[-1]
            elif length > o.max_buffer_s and inside:
                done = inside[-1].end
            elif length > o.max_buffer_s:  # nothing agreed for too long: take what is there
                self._update(list(self._previous), confirm_all=True)
                done = st.confirmed[-1].end if st.confirmed else end - 1.0
        if done is None:
            return
        # keep the confirmed words of the last keep_s before `done` as context (cut at a word's end)
        bounds = [w.end for w in st.confirmed if self._buffer_start < w.end <= done - o.keep_s]
        if length > o.max_buffer_s or not o.keep_s:
            self._cut(done)
        elif bounds:
            self._cut(bounds[-1])

    def _cut(self, at: float) -> None:
        if at > self._buffer_start:
            drop = int(round((at - self._buffer_start) * SAMPLE_RATE))
            self._buffer = self._buffer[drop:]
            self._buffer_start += drop / SAMPLE_RATE

    def finish(self) -> Captions:
        """Decode what is left and confirm every word; the stream takes no more audio."""
        with self.lock:
            if self._state.done:
                return self.captions()
            self._closed = True
            if self._resampler is not None:
                tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
                if len(tail):
                    self._chunks.append(tail)
                    self._buffer = np.concatenate([self._buffer, tail])
        self.decode(final=True)
        return self.captions()

    # -- output -------------------------------------------------------------------------

    def captions(self) -> Captions:
        with self.lock:
            st = self._state
            return replace(st, confirmed=list(st.confirmed), tentative=list(st.tentative))

    def set_message(self, text: str) -> None:
        with self.lock:
            self._state.message = text

    def tail(self, seconds: float) -> np.ndarray:
        """The last ``seconds`` of audio received, mono 16 kHz."""
        with self.lock:
            n, out = int(seconds * SAMPLE_RATE), []
            for chunk in reversed(self._chunks):
                out.append(chunk)
                n -= len(chunk)
                if n <= 0:
                    break
            return np.concatenate(out[::-1])[-int(seconds * SAMPLE_RATE) :] if out else np.zeros(0, np.float32)

    def recording(self) -> np.ndarray:
        """Every sample received, mono 16 kHz (for the offline pass and downloads)."""
        with self.lock:
            return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)


def stream_captions(chunks: Iterable[np.ndarray], sr: int, options: LiveOptions | None = None) -> Iterator[Captions]:
    """Captions as they change, for chunks given one after another (synchronous decoding)."""
    cap = LiveCaptioner(options)
    for chunk in chunks:
        cap.feed(chunk, sr)
        update = cap.decode_if_due()
        if update is not None:
            yield update
        if cap.over_limit:
            break
    yield cap.finish()


# -- choosing the model ---------------------------------------------------------------------


def choose_model(model: str, language: str | None, task: str) -> tuple[str, str]:
    """(registry key, why): the app's one automatic choice (engines/whisper/choice.py); a language
    left to detect is detected per window here."""
    key, why = whisper_choice.choose_model(model, language, task)
    return key, why or "language detected per window"


def engine_text(key: str, why: str) -> str:
    return f"{whisper_choice.engine_text(key, why)}, live decoding with local agreement"


# -- sessions: a background decoder per stream, and a bound on streams ------------------------


class AtCapacity(UserError):
    """Every live-stream place is taken."""


class Slots:
    """At most ``capacity`` live streams at once; the rest wait in line, first come first served,
    and are told their place (``position``)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, int(capacity))
        self._active: set = set()
        self._line: list = []  # owners waiting, in order of arrival
        self._seen: dict = {}  # owner -> when it last asked (a waiting page that went away leaves the line)
        self._lock = threading.Lock()

    def take(self, owner, *, line: bool = True, wait_s: float = 30.0) -> bool:
        """A place for ``owner``; False when all are taken or others wait first (then ``owner`` joins
        the line when ``line``; it leaves it when it has not asked again for ``wait_s``)."""
        with self._lock:
            if owner in self._active:
                return True
            now = time.monotonic()
            self._seen[owner] = now
            self._line = [o for o in self._line if now - self._seen.get(o, 0.0) <= wait_s]
            first = not self._line or self._line[0] == owner
            if len(self._active) < self.capacity and first:
                if self._line and self._line[0] == owner:
                    self._line.pop(0)
                self._seen.pop(owner, None)
                self._active.add(owner)
                return True
            if line and owner not in self._line:
                self._line.append(owner)
            return False

    def position(self, owner) -> int:
        """1 for the next in line; 0 when not waiting."""
        with self._lock:
            return self._line.index(owner) + 1 if owner in self._line else 0

    def leave(self, owner) -> None:
        with self._lock:
            if owner in self._line:
                self._line.remove(owner)
            self._seen.pop(owner, None)

    def give_back(self, owner) -> None:
        with self._lock:
            self._active.discard(owner)

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._active)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._line)


class LiveSession:
    """A captioner decoding in its own thread, fed through an ordered :class:`AudioInbox`.

    Whoever receives the microphone (the page's relay, or ``feed``) only pushes pieces into the
    inbox and returns at once; the thread takes them in order and decodes when due. Nothing is
    dropped: a server that cannot keep up falls behind (``behind_seconds``), decodes more audio
    at a time and more cheaply (``LiveOptions.catch_up_s``, ``hurry_after_s``) and catches up.

    The thread ends (and the slot is given back) on ``stop`` (everything received is decoded
    first), or when no audio has arrived for ``idle_s`` (a client that went away).
    """

    def __init__(
        self,
        options: LiveOptions | None = None,
        slots: Slots | None = None,
        idle_s: float = 20.0,
        inbox: AudioInbox | None = None,
        owner=None,
    ) -> None:
        self.slots = slots
        self.owner = id(self) if owner is None else owner  # who holds the slot (a page's stream id)
        if slots is not None and not slots.take(self.owner, line=owner is not None):
            place = slots.position(self.owner)
            if place:
                raise AtCapacity(
                    f"Live captions are at capacity: {slots.capacity} streams are running on this server now. "
                    f"You are number {place} in line: your captions start when a place frees."
                )
            raise AtCapacity(
                f"Live captions are at capacity: {slots.capacity} streams are running on this server now. "
                "Please try again in a minute (each stream frees its place when it ends)."
            )
        try:
            self.captioner = LiveCaptioner(options)
        except BaseException:
            if slots is not None:
                slots.give_back(self.owner)
            raise
        self.inbox = inbox if inbox is not None else AudioInbox()
        self.idle_s = idle_s
        self.started = time.monotonic()
        self._seq = 0
        self._stop = threading.Event()
        self._abandoned = threading.Event()
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-captions", daemon=True)
        self._thread.start()

    def feed(self, chunk, sr: int) -> None:
        """Push a piece (any rate, int or float, mono or multichannel): returns at once."""
        x = to_mono(chunk)
        if len(x):
            self.inbox.push(self._seq, x, int(sr))
            self._seq += 1

    @property
    def last_feed(self) -> float:
        return self.inbox.last_push

    def behind_seconds(self) -> float:
        """How far the captions are behind the microphone: audio the page captured (as last said, plus
        the time since, while it streams) that is not decoded yet."""
        inbox, cap = self.inbox, self.captioner
        if not inbox.rate:
            return 0.0
        sent = max(inbox.sent_samples, inbox.received_samples) / inbox.rate
        if not inbox.closed:
            sent += max(0.0, time.monotonic() - inbox.last_push - 0.3)  # pieces that have not come yet
        decoded = cap.captions().decoded_seconds
        return max(0.0, sent - decoded - cap.options.step_s)

    def behind_text(self) -> str:
        behind = self.behind_seconds()
        if behind < 1.0:
            return ""
        return (
            f"The captions are {behind:.1f} s behind the microphone (this server is busy): "
            "no audio is lost, they catch up."
        )

    def missed_text(self) -> str:
        """Which seconds of the recording never reached the server (none with the relay, unless the page lost them)."""
        if not self.inbox.gaps:
            return ""
        return f"Missing from the recording: {gaps_text(self.inbox.gaps)} ({self.inbox.missed_seconds:.1f} s never arrived)."

    lost_text = missed_text  # the name the tab used before the ordered transport

    def captions(self) -> Captions:
        return self.captioner.captions()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _take(self) -> bool:
        """Move up to ``catch_up_s`` of the inbox into the captioner; True when some came."""
        inbox, cap = self.inbox, self.captioner
        if not inbox.rate:
            return False
        x = inbox.take(int(cap.options.catch_up_s * inbox.rate))
        if len(x):
            cap.feed(x, inbox.rate)
        return len(x) > 0

    def _run(self) -> None:
        cap = self.captioner
        try:
            while True:
                stopping = self._stop.is_set()
                if stopping and (self.inbox.drained or not self.inbox.rate or cap.done):
                    break
                if not stopping:
                    self.inbox.wait(0.3)
                if stopping:
                    self.inbox.close()
                if self._abandoned.is_set():
                    break
                if not stopping and time.monotonic() - self.inbox.last_push > self.idle_s:
                    cap.set_message("No audio arrived for a while, so the captions stopped.")
                    self._abandoned.set()  # the page went away: nobody reads what is still waiting
                    break
                self._take()
                if cap.over_limit:
                    break
                behind = self.behind_seconds()
                cap.hurry = stopping or behind > cap.options.hurry_after_s
                if cap.due():
                    t0 = time.monotonic()
                    cap.decode()
                    if not cap.hurry:  # leave the CPU to the server between decodes while in time
                        self._stop.wait(cap.options.rest_ratio * (time.monotonic() - t0))
            self.inbox.close()
            if self._abandoned.is_set():
                self.inbox.take()  # dropped: the page is gone (its stream stays as far as it was decoded)
            while self._take():  # over the limit: what arrived is still kept
                pass
            cap.hurry = False
            cap.finish()
        except Exception:
            import logging

            logging.getLogger(__name__).exception("live captions: the decoding thread failed")
            try:
                cap.finish()
            except Exception:
                pass
        finally:
            self._finished.set()
            if self.slots is not None:
                self.slots.give_back(self.owner)

    def stop(self, timeout: float = 120.0) -> Captions:
        """Finish: decode everything received, confirm every word, end the thread, give the slot back."""
        self._stop.set()
        self.inbox.close()
        self._finished.wait(timeout)
        return self.captions()

    def close(self, timeout: float = 5.0) -> None:
        """The page went away: end now, without decoding what still waits (nobody will read it)."""
        self._abandoned.set()
        self.stop(timeout)


MISSING_CUE = "[no audio reached the server here]"


def write_transcript(
    captions: Captions, out_dir: Path, stem: str, gaps: list[tuple[float, float]] | None = None
) -> dict[str, Path]:
    """TXT, SRT and VTT of the confirmed words, timed from the start of the recording; each span of
    ``gaps`` (audio that never arrived) is a cue of its own saying so, where it happened."""
    cues = list(captions.segments()) + [(a, b, MISSING_CUE) for a, b in gaps or []]
    return write_subtitles(sorted(cues), out_dir, stem, ("txt", "srt", "vtt"))


def recording_seconds_text(seconds: float) -> str:
    return clock(seconds)


def timed_lines(captions: Captions) -> str:
    """The whole transcript with times from the start of the recording, one cue a line."""
    return "\n".join(f"[{recording_seconds_text(a)}] {t}" for a, _, t in captions.segments())


# -- replaying a recording at real-time pace (benchmarks, tests, demos) ------------------------


@dataclass
class Replay:
    final: Captions
    history: list[tuple[float, Captions]]  # (seconds since the stream began, captions then)
    wall_seconds: float

    def first_seen(self, word: CaptionWord, tolerance_s: float = 0.6) -> float | None:
        """When a final word first appeared on screen (confirmed or tentative), the same word near its time."""
        for t, cap in self.history:
            for w in cap.confirmed + cap.tentative:
                if w.key == word.key and abs(w.end - word.end) <= tolerance_s:
                    return t
        return None

    def lags(self) -> list[float]:
        """For every final word: first appearance as text minus the end of the word in the fed audio."""
        out = []
        for w in self.final.confirmed:
            seen = self.first_seen(w)
            if seen is not None:
                out.append(seen - w.end)
        return out

    def confirmed_never_changed(self) -> bool:
        """Every confirmed word list is a prefix of the next (and of the final one)."""
        seqs = [[(w.text, w.start, w.end) for w in cap.confirmed] for _, cap in self.history] + [
            [(w.text, w.start, w.end) for w in self.final.confirmed]
        ]
        return all(b[: len(a)] == a for a, b in zip(seqs, seqs[1:]))


def replay_realtime(
    audio: np.ndarray,
    sr: int,
    options: LiveOptions | None = None,
    *,
    chunk_s: float = 0.1,
    pace: float = 1.0,
    captioner: LiveCaptioner | None = None,
) -> Replay:
    """Feed ``audio`` in ``chunk_s`` pieces as a microphone would (``pace`` 1.0: real time), decoding
    whenever due; each chunk is fed once its time has come, so a slow decode makes chunks queue up."""
    cap = captioner or LiveCaptioner(options)
    step = int(round(chunk_s * sr))
    pieces = [audio[i : i + step] for i in range(0, len(audio), step)]
    history: list[tuple[float, Captions]] = []
    t0 = time.perf_counter()
    fed = 0
    last_version = -1
    while fed < len(pieces):
        now = time.perf_counter() - t0
        ready = min(len(pieces), int(now * pace / chunk_s))
        while fed < ready:
            cap.feed(pieces[fed], sr)
            fed += 1
        update = cap.decode_if_due()
        if update is not None and update.version != last_version:
            last_version = update.version
            history.append((time.perf_counter() - t0, update))
        if update is None:
            time.sleep(max(0.0, (fed + 1) * chunk_s / pace - (time.perf_counter() - t0)))
    final = cap.finish()
    history.append((time.perf_counter() - t0, final))
    return Replay(final=final, history=history, wall_seconds=time.perf_counter() - t0)
