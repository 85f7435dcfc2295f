"""Timed text and its files: SRT, VTT, TXT, JSON, TSV from (start, end, text) segments, cues cut to
a line length, word-by-word karaoke (ASS with ``\\k``, enhanced LRC), and speaker cues.

Shared by every tab that produces timed text (Transcribe, Diarize, Speak). :class:`TimedText` is
the one type for a piece of text with its time: a word Whisper heard, a word or sentence a voice
spoke, a word given to a speaker. A segment is any ``(start_seconds, end_seconds, text)`` triple;
:func:`clean_segments` makes times finite, non-negative and monotonic (each start at or after the
previous start, each end at or after its start), which is what players and subtitle editors
require. :func:`cut_cues` breaks timed words into cues of at most ``max_lines`` lines of
``max_line_chars`` (:class:`SubtitleOptions`), at word boundaries, each cue timed by its words;
text without spaces (Chinese, Japanese) breaks between characters. :func:`speaker_cues` turns
speaker-attributed words into cues, labelled 'Name: ' or in the dash style ('- ' before each
speaker's line when a cue holds two speakers). Nothing here needs numpy.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.errors import UserError

FORMATS = ("srt", "vtt", "txt", "json", "tsv")
Segment = tuple[float, float, str]
CONFIDENCE_LEVELS = ((0.85, "sure"), (0.5, "unsure"), (0.0, "doubtful"))  # a recogniser's word probability
SPEAKER_MAX_CUE_S = 7.0  # a speaker cue lasts at most this long ...
SPEAKER_MAX_CHARS = 84  # ... and holds at most two lines of 42, the usual subtitle width
SPEAKER_MIN_CUE_S = 0.2  # shorter cues are stretched to this, so a player shows them
SPEAKER_STYLES = ("name", "dash")
SPEAKER_PAUSE_S = 1.0  # a pause this long starts a new speaker cue


@dataclass
class SubtitleOptions:
    """How subtitle cues are cut (SRT, VTT, karaoke ASS and LRC) and how speakers are marked."""

    max_line_chars: int = 42  # per line, a wide (CJK) character counting as two; 0 = no limit
    max_lines: int = 2  # lines per cue; 0 = no limit
    speaker_style: str = "name"  # "name": 'SPEAKER_00: text'; "dash": '- ' before each speaker's line in a shared cue

    def checked(self) -> SubtitleOptions:
        """The options as ints, or a UserError saying which one is out of range."""
        try:
            chars, lines = int(self.max_line_chars or 0), int(self.max_lines or 0)
        except (TypeError, ValueError):
            raise UserError("Characters per line and lines per cue must be whole numbers.") from None
        if chars != 0 and not 10 <= chars <= 200:
            raise UserError(f"Characters per line must be 0 (no limit) or between 10 and 200 (got {chars}).")
        if not 0 <= lines <= 10:
            raise UserError(f"Lines per cue must be 0 (no limit) or between 1 and 10 (got {lines}).")
        style = (self.speaker_style or "name").strip().lower()
        if style not in SPEAKER_STYLES:
            raise UserError(f"Unknown speaker style '{self.speaker_style}': choose 'name' or 'dash'.")
        return SubtitleOptions(chars, lines, style)


@dataclass
class TimedText:
    """A piece of text and its time in seconds: a word, a sentence, a subtitle cue."""

    start: float
    end: float
    text: str  # as the engine wrote it (Whisper's words keep their leading space)
    speaker: str = ""  # who said it, once diarized
    probability: float | None = None  # the recogniser's confidence, where it gives one
    also: tuple[str, ...] = ()  # other speakers talking at the same time (overlapped speech, a turn)

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2

    @property
    def word(self) -> str:
        """Whisper's name for the text (faster-whisper's ``Word.word``)."""
        return self.text

    @property
    def confidence(self) -> str:
        """'sure', 'unsure' or 'doubtful' from the probability (CONFIDENCE_LEVELS)."""
        p = 1.0 if self.probability is None else self.probability
        return next(label for floor, label in CONFIDENCE_LEVELS if p >= floor)


def clean_segments(segments: Iterable[Sequence], duration: float | None = None) -> list[Segment]:
    """Finite, non-negative, monotonic times (clipped to ``duration`` if given); text stripped."""
    out: list[Segment] = []
    last_start = 0.0
    for seg in segments:
        start, end, text = float(seg[0]), float(seg[1]), str(seg[2]).strip()
        start = start if math.isfinite(start) else last_start
        end = end if math.isfinite(end) else start
        start = max(start, last_start, 0.0)
        if duration is not None:
            start, end = min(start, duration), min(end, duration)
        end = max(end, start)
        out.append((start, end, text))
        last_start = start
    return out


def timestamp(seconds: float, sep: str = ",", always_hours: bool = True) -> str:
    """``HH:MM:SS,mmm`` (SRT) or ``HH:MM:SS.mmm`` (VTT)."""
    ms = int(round(max(seconds, 0.0) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    head = f"{h:02d}:" if always_hours or h else ""
    return f"{head}{m:02d}:{s:02d}{sep}{ms:03d}"


def _cue_text(text: str) -> str:
    # A blank line ends a cue in SRT/VTT, and "-->" would be read as a timing line.
    lines = [ln.strip() for ln in text.replace("-->", "->").splitlines() if ln.strip()]
    return "\n".join(lines) or "..."


def to_srt(segments: Iterable[Sequence]) -> str:
    blocks = [
        f"{i}\n{timestamp(s)} --> {timestamp(e)}\n{_cue_text(t)}\n"
        for i, (s, e, t) in enumerate(clean_segments(segments), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: Iterable[Sequence]) -> str:
    blocks = ["WEBVTT\n"]
    for s, e, t in clean_segments(segments):
        blocks.append(f"{timestamp(s, '.')} --> {timestamp(e, '.')}\n{_cue_text(t)}\n")
    return "\n".join(blocks)


def to_txt(segments: Iterable[Sequence]) -> str:
    return "\n".join(t for _, _, t in clean_segments(segments) if t) + "\n"


def to_tsv(segments: Iterable[Sequence]) -> str:
    """Whisper's TSV: start and end in integer milliseconds, then the text (tabs removed)."""
    rows = ["start\tend\ttext"]
    for s, e, t in clean_segments(segments):
        rows.append(f"{int(round(s * 1000))}\t{int(round(e * 1000))}\t{' '.join(t.split())}")
    return "\n".join(rows) + "\n"


def to_json(
    segments: Iterable[Sequence], metadata: dict[str, Any] | None = None, extra: Sequence[dict[str, Any]] | None = None
) -> str:
    """``{"text", "segments": [{"start", "end", "text", ...extra[i]}], ...metadata}``."""
    cleaned = clean_segments(segments)
    rows = []
    for i, (s, e, t) in enumerate(cleaned):
        row: dict[str, Any] = {"id": i, "start": round(s, 3), "end": round(e, 3), "text": t}
        if extra is not None and i < len(extra):
            row.update(extra[i])
        rows.append(row)
    doc = {**(metadata or {}), "text": " ".join(t for _, _, t in cleaned if t), "segments": rows}
    return json.dumps(doc, ensure_ascii=False, indent=2)


WRITERS = {"srt": to_srt, "vtt": to_vtt, "txt": to_txt, "tsv": to_tsv}


def write_subtitles(
    segments: Iterable[Sequence],
    out_dir: Path,
    stem: str,
    formats: Sequence[str] = FORMATS,
    metadata: dict[str, Any] | None = None,
    extra: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Path]:
    """Write ``stem.<fmt>`` for each format into ``out_dir``; returns {format: path}."""
    cleaned = clean_segments(segments)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "json":
            content = to_json(cleaned, metadata, extra)
        elif fmt in WRITERS:
            content = WRITERS[fmt](cleaned)
        else:
            raise UserError(f"Unknown subtitle format '{fmt}'; choose from {', '.join(FORMATS)}.")
        path = out_dir / f"{stem}.{fmt}"
        path.write_text(content, encoding="utf-8")
        paths[fmt] = path
    return paths


# --- speaker cues ---------------------------------------------------------------------------


MAX_SPEAKER_NAME_CHARS = 80  # a name drawn on the timeline and written into every cue


def speaker_names(speakers: Iterable[str], names: dict[str, str] | None) -> dict[str, str]:
    """Display name per speaker: the user's name where given (control and invisible format
    characters removed), else the label itself; a name over MAX_SPEAKER_NAME_CHARS is refused."""
    names = names or {}
    shown = {}
    for s in speakers:
        name = "".join(c for c in str(names.get(s) or "") if unicodedata.category(c)[0] != "C").strip()
        if len(name) > MAX_SPEAKER_NAME_CHARS:
            raise UserError(
                f"A speaker's name is {len(name)} characters long; keep each name to {MAX_SPEAKER_NAME_CHARS} "
                "characters or fewer."
            )
        shown[s] = name or s
    return shown


def speaker_runs(words: Sequence[TimedText], max_gap_s: float = SPEAKER_PAUSE_S) -> list[list[TimedText]]:
    """One speaker's consecutive words (an utterance); a change of speaker or a pause over
    ``max_gap_s`` starts the next. Words with no text are left out. Subtitle cues (1 s) and Diarize's
    transcript lines (2 s) differ only in the pause they allow; Meeting notes' sentences also wait
    longer for a sentence left unfinished, so they cut their own way (meeting_notes.sentences_from_words)."""
    runs: list[list[TimedText]] = []
    for w in words:
        if not w.text.strip():
            continue
        last = runs[-1] if runs else None
        if last and last[-1].speaker == w.speaker and w.start - last[-1].end <= max_gap_s:
            last.append(w)
        else:
            runs.append([w])
    return runs


def joined_text(words: Sequence[TimedText]) -> str:
    """The words' text as one line (Whisper's words carry their own leading spaces)."""
    return " ".join("".join(w.text for w in words).split())


def speaker_cues(
    words: Sequence[TimedText], names: dict[str, str] | None = None, options: SubtitleOptions | None = None
) -> list[Segment]:
    """Subtitle cues from speaker-attributed words, at most ``options``' lines of its width and
    SPEAKER_MAX_CUE_S long (a pause over 1 s starts a new cue).

    Style "name": every cue starts with the speaker's name ('Ann: Hello there.') and never holds
    two speakers. Style "dash": no names; a short utterance (one line) and the next speaker's short
    reply share a cue, each line after a '- ' (the usual subtitling convention for a change of
    speaker inside a cue); the other cues hold one speaker and no mark."""
    opts = (options or SubtitleOptions()).checked()
    shown = speaker_names(sorted({w.speaker for w in words}), names)
    runs = speaker_runs(words)
    out: list[Segment] = []
    if opts.speaker_style == "name":
        for run in runs:
            for cue in cut_cues(run, opts, prefix=f"{shown[run[0].speaker]}:", max_seconds=SPEAKER_MAX_CUE_S):
                out.append((cue.start, max(cue.end, cue.start + SPEAKER_MIN_CUE_S), cue.text))
        return out
    # (speaker, cue, whether the cue is a whole utterance): only whole ones share a cue
    cues = []
    for run in runs:
        cut = cut_cues(run, opts, max_seconds=SPEAKER_MAX_CUE_S)
        cues += [(run[0].speaker, cue, len(cut) == 1) for cue in cut]
    limit = opts.max_line_chars or math.inf
    i = 0
    while i < len(cues):
        (spk, a, whole), nxt = cues[i], cues[i + 1] if i + 1 < len(cues) else None
        if (
            nxt is not None
            and nxt[0] != spk
            and whole
            and nxt[2]
            and opts.max_lines != 1
            and len(a.lines) == len(nxt[1].lines) == 1
            and max(text_width(a.text), text_width(nxt[1].text)) + 2 <= limit
            and nxt[1].start - a.end <= SPEAKER_PAUSE_S
            and nxt[1].end - a.start <= SPEAKER_MAX_CUE_S
        ):
            b = nxt[1]
            out.append((a.start, max(b.end, a.start + SPEAKER_MIN_CUE_S), f"- {a.text}\n- {b.text}"))
            i += 2
            continue
        out.append((a.start, max(a.end, a.start + SPEAKER_MIN_CUE_S), a.text))
        i += 1
    return out


# --- cues cut to a line length ----------------------------------------------------------------

_NO_SPACE_PUNCT = set(",.;:!?%)]}'\"”’»、。，．！？：；）」』】〉》…")


def text_width(text: str) -> int:
    """Columns the text takes on screen: a wide or full-width character (CJK) counts as two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _breaks_anywhere(c: str) -> bool:
    """A character of a script written without spaces (Chinese, Japanese; not Korean, whose words
    are spaced), or full-width punctuation: a line may break before or after it."""
    hangul = "\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"
    return unicodedata.east_asian_width(c) in "WF" and not hangul


@dataclass
class Cue:
    """A subtitle cue: lines of timed words (a word's text keeps its leading space when it is
    separated from the previous word), and an optional prefix such as a speaker's name."""

    lines: list[list[TimedText]] = field(default_factory=list)
    prefix: str = ""

    @property
    def words(self) -> list[TimedText]:
        return [w for line in self.lines for w in line]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return max(w.end for w in self.words)

    def line_texts(self) -> list[str]:
        texts = [line_text(line) for line in self.lines]
        if self.prefix and texts:
            texts[0] = f"{self.prefix} {texts[0]}"
        return texts

    @property
    def text(self) -> str:
        return "\n".join(self.line_texts())

    @property
    def segment(self) -> Segment:
        return (self.start, self.end, self.text)


def line_text(words: Sequence[TimedText]) -> str:
    """Words joined as written: a space only where a word has one before it."""
    return "".join(w.text if i else w.text.lstrip() for i, w in enumerate(words)).strip()


def _split_by_width(text: str, limit: float) -> list[str]:
    """Pieces of ``text`` at most ``limit`` wide (between characters)."""
    pieces, cur = [], ""
    for c in text:
        if cur and text_width(cur + c) > limit:
            pieces.append(cur)
            cur = ""
        cur += c
    return pieces + [cur] if cur else pieces


def _share_time(start: float, end: float, parts: list[str], speaker: str = "") -> list[TimedText]:
    """Timed pieces of one span, each given time in proportion to its width."""
    total = sum(max(text_width(p.strip()), 1) for p in parts) or 1
    out, t = [], start
    for p in parts:
        d = (end - start) * max(text_width(p.strip()), 1) / total
        out.append(TimedText(t, t + d, p, speaker))
        t += d
    return out


def estimate_words(start: float, end: float, text: str) -> list[TimedText]:
    """Words of a segment without word times, timed in proportion to their width. Text without
    spaces (Chinese, Japanese) is split into its characters, runs of other letters (and Korean
    words, which are spaced) kept whole."""
    parts: list[str] = []
    for token in re.findall(r"\s*\S+", text):
        body = token.lstrip()
        if not any(_breaks_anywhere(c) for c in body):
            parts.append(token)
            continue
        chunks: list[str] = []
        for c in body:
            if chunks and not _breaks_anywhere(c) and not _breaks_anywhere(chunks[-1][-1]):
                chunks[-1] += c
            else:
                chunks.append(c)
        parts += [token[: len(token) - len(body)] + chunks[0], *chunks[1:]]
    return _share_time(start, end, parts)


def _fit(words: Sequence[TimedText], limit: float) -> list[TimedText]:
    """Words, a word wider than a line split between its characters (times shared by width)."""
    out = []
    for w in words:
        body = w.text.strip()
        if not body:
            continue
        if text_width(body) <= limit:
            out.append(w)
            continue
        lead = " " if w.text[:1].isspace() else ""
        parts = _split_by_width(body, limit)
        out += _share_time(w.start, w.end, [lead + parts[0], *parts[1:]], w.speaker)
    return out


def cut_cues(
    words: Sequence[TimedText],
    options: SubtitleOptions | None = None,
    prefix: str = "",
    max_seconds: float | None = None,
) -> list[Cue]:
    """Timed words into cues of at most ``max_lines`` lines of ``max_line_chars`` (0 = no limit),
    breaking between words (between characters in text without spaces), never before closing
    punctuation. Each cue is timed by its first and last word, and lasts at most ``max_seconds``
    (when given). ``prefix`` (a speaker's name) starts every cue and takes room in its first line."""
    opts = (options or SubtitleOptions()).checked()
    limit = opts.max_line_chars or math.inf
    most = opts.max_lines or math.inf
    prefix_width = text_width(prefix) + 1 if prefix else 0
    cues: list[Cue] = []
    cue = Cue(prefix=prefix)
    width = prefix_width
    for w in _fit(words, max(limit - prefix_width, 1)):
        body = w.text.strip()
        line = cue.lines[-1] if cue.lines else None
        gap = 1 if (line and w.text[:1].isspace()) else 0
        too_long = max_seconds is not None and line is not None and w.end - cue.start > max_seconds
        if line is None:
            cue.lines.append([w])
            width = prefix_width + text_width(body)
        elif not too_long and (width + gap + text_width(body) <= limit or all(c in _NO_SPACE_PUNCT for c in body)):
            line.append(w)
            width += gap + text_width(body)
        elif len(cue.lines) < most and not too_long:
            cue.lines.append([w])
            width = text_width(body)
        else:
            cues.append(cue)
            cue = Cue([[w]], prefix)
            width = prefix_width + text_width(body)
    if cue.lines:
        cues.append(cue)
    return cues


# --- reading cues back (the player's subtitles, tests) ----------------------------------------

_CUE_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{3})")


def _seconds(match: re.Match) -> float:
    h, m, s, ms = match.groups()
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def read_cues(text: str) -> list[Segment]:
    """(start, end, text) of every cue of an SRT or WebVTT file's text (lines joined by newlines)."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        timing = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if timing is None:
            continue  # the WEBVTT header, a NOTE
        times = list(_CUE_TIME.finditer(lines[timing]))
        if len(times) < 2:
            continue
        cues.append((_seconds(times[0]), _seconds(times[1]), "\n".join(lines[timing + 1 :]).strip()))
    return cues


def player_subtitles(path: str | Path) -> list[dict[str, Any]]:
    """An SRT or VTT file as ``gr.Audio(subtitles=...)`` takes it: [{"text", "timestamp": [start, end]}]."""
    text = Path(path).read_text(encoding="utf-8")
    return [{"text": t.replace("\n", " "), "timestamp": [s, e]} for s, e, t in read_cues(text)]


# --- word-by-word karaoke: ASS (\k) and enhanced LRC ---------------------------------------------

ASS_HEADER = """[Script Info]
; Word-by-word karaoke written by Audio AI Studio
Title: {title}
ScriptType: v4.00+
WrapStyle: 2
ScaledBorderAndShadow: yes
PlayResX: 1280
PlayResY: 720

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Arial,48,&H0000FFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,3,1,2,40,40,40,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def _cs(seconds: float) -> int:
    return int(round(max(seconds, 0.0) * 100))


def ass_time(cs: int) -> str:
    """``H:MM:SS.cc`` from centiseconds."""
    h, cs = divmod(cs, 360_000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _ass_text(text: str) -> str:
    # '{' starts an override block and '\' a tag in ASS: keep both out of the words
    return text.replace("{", "(").replace("}", ")").replace("\\", "/")


def _karaoke_cues(cues: Sequence[Cue]) -> list[Cue]:
    """Cues with times made monotonic (each word starts at or after the previous one ends)."""
    out, last = [], 0.0
    for cue in cues:
        lines = []
        for line in cue.lines:
            fixed = []
            for w in line:
                start = max(w.start, last) if math.isfinite(w.start) else last
                end = max(w.end, start) if math.isfinite(w.end) else start
                fixed.append(TimedText(start, end, w.text, w.speaker, w.probability))
                last = end
            lines.append(fixed)
        if any(lines):
            out.append(Cue([ln for ln in lines if ln], cue.prefix))
    return out


def to_ass_karaoke(cues: Sequence[Cue], title: str = "") -> str:
    """Advanced SubStation Alpha with a ``{\\kNN}`` before every word (its length in centiseconds,
    a silent ``{\\kNN}`` for a pause before it), one Dialogue line per cue, ``\\N`` between lines."""
    rows = [ASS_HEADER.format(title=_ass_text(title or "Transcript"))]
    for cue in _karaoke_cues(cues):
        start = cursor = _cs(cue.start)
        parts = [f"{_ass_text(cue.prefix)} "] if cue.prefix else []
        for n, line in enumerate(cue.lines):
            if n:
                parts.append("\\N")
            for i, w in enumerate(line):
                a = max(_cs(w.start), cursor)
                b = max(_cs(w.end), a)
                if a > cursor:
                    parts.append(f"{{\\k{a - cursor}}}")
                space = " " if i and w.text[:1].isspace() else ""
                parts.append(f"{space}{{\\k{b - a}}}{_ass_text(w.text.strip())}")
                cursor = b
        rows.append(f"Dialogue: 0,{ass_time(start)},{ass_time(cursor)},Default,,0,0,0,,{''.join(parts)}\n")
    return "".join(rows)


def lrc_time(seconds: float) -> str:
    """``mm:ss.xx`` (minutes may pass 99 in a long recording)."""
    m, cs = divmod(_cs(seconds), 6000)
    return f"{m:02d}:{cs // 100:02d}.{cs % 100:02d}"


def to_lrc_enhanced(cues: Sequence[Cue], title: str = "", duration: float | None = None) -> str:
    """Enhanced (A2) LRC: one line per subtitle line, ``[mm:ss.xx] <mm:ss.xx> word <mm:ss.xx> word
    ... <mm:ss.xx>``, each word after its start time, the last tag where the last word ends. Words
    written without a space between them (Chinese, Japanese) follow their tags directly."""
    rows = [f"[ti:{title.replace(']', ')')}]"] if title else []
    if duration:
        m, sec = divmod(int(round(duration)), 60)
        rows.append(f"[length:{m:02d}:{sec:02d}]")
    rows.append("[re:Audio AI Studio]")
    for cue in _karaoke_cues(cues):
        for n, line in enumerate(cue.lines):
            text = f"[{lrc_time(line[0].start)}]"
            if n == 0 and cue.prefix:
                text += f" {cue.prefix}"
            for w in line:
                spaced = w is line[0] or w.text[:1].isspace()
                sep = " " if spaced else ""
                text += f"{sep}<{lrc_time(w.start)}>{sep}{w.text.strip()}"
            rows.append(f"{text} <{lrc_time(line[-1].end)}>")
    return "\n".join(rows) + "\n"


_ASS_K = re.compile(r"\{\\k(\d+)\}([^{\\]*)")
_LRC_WORD = re.compile(r"<(\d+):(\d\d)\.(\d\d)>([^<]*)")


def read_ass_karaoke(text: str) -> list[list[tuple[float, float, str]]]:
    """Each Dialogue line's words as (start, end, word), from its start time and ``\\k`` lengths
    (silent ``\\k`` pauses skipped)."""
    lines = []
    for row in text.splitlines():
        if not row.startswith("Dialogue:"):
            continue
        fields = row.split(",", 9)
        h, m, s = fields[1].split(":")
        t = int(h) * 3600 + int(m) * 60 + float(s)
        words = []
        for k, word in _ASS_K.findall(fields[9].replace("\\N", " ")):
            d = int(k) / 100
            if word.strip():
                words.append((round(t, 2), round(t + d, 2), word.strip()))
            t += d
        lines.append(words)
    return lines


def read_lrc_enhanced(text: str) -> list[list[tuple[float, str]]]:
    """Each timed line's (time, word) pairs; the last pair's word is '' (the end of the line)."""
    lines = []
    for row in text.splitlines():
        if not re.match(r"\[\d+:\d\d\.\d\d\]", row):
            continue
        lines.append(
            [(int(m) * 60 + int(s) + int(cs) / 100, word.strip()) for m, s, cs, word in _LRC_WORD.findall(row)]
        )
    return lines
