"""Timed text and its files: SRT, VTT, TXT, JSON, TSV from (start, end, text) segments, and speaker cues.

Shared by every tab that produces timed text (Transcribe, Diarize, Speak). :class:`TimedText` is
the one type for a piece of text with its time: a word Whisper heard, a word or sentence a voice
spoke, a word given to a speaker. A segment is any ``(start_seconds, end_seconds, text)`` triple;
:func:`clean_segments` makes times finite, non-negative and monotonic (each start at or after the
previous start, each end at or after its start), which is what players and subtitle editors
require. :func:`speaker_cues` turns speaker-attributed words into cues that never mix speakers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.errors import UserError

FORMATS = ("srt", "vtt", "txt", "json", "tsv")
Segment = tuple[float, float, str]
CONFIDENCE_LEVELS = ((0.85, "sure"), (0.5, "unsure"), (0.0, "doubtful"))  # a recogniser's word probability
SPEAKER_MAX_CUE_S = 7.0  # a speaker cue lasts at most this long ...
SPEAKER_MAX_CHARS = 84  # ... and holds at most two lines of 42, the usual subtitle width
SPEAKER_MIN_CUE_S = 0.2  # shorter cues are stretched to this, so a player shows them


@dataclass
class TimedText:
    """A piece of text and its time in seconds: a word, a sentence, a subtitle cue."""

    start: float
    end: float
    text: str  # as the engine wrote it (Whisper's words keep their leading space)
    speaker: str = ""  # who said it, once diarized
    probability: float | None = None  # the recogniser's confidence, where it gives one

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


def speaker_names(speakers: Iterable[str], names: dict[str, str] | None) -> dict[str, str]:
    """Display name per speaker: the user's name where given, else the label itself."""
    names = names or {}
    return {s: (str(names.get(s) or "").strip() or s) for s in speakers}


def speaker_cues(words: Sequence[TimedText], names: dict[str, str] | None = None) -> list[Segment]:
    """'Name: text' cues from speaker-attributed words: never two speakers in one cue, and short
    enough to read (SPEAKER_MAX_CUE_S, SPEAKER_MAX_CHARS; a pause over 1 s starts a new cue)."""
    shown = speaker_names(sorted({w.speaker for w in words}), names)
    cues: list[tuple[float, float, str, str]] = []  # start, end, speaker, text
    for w in words:
        text = w.text.strip()
        if cues:
            start, end, spk, prev = cues[-1]
            if (
                spk == w.speaker
                and w.end - start <= SPEAKER_MAX_CUE_S
                and len(prev) + 1 + len(text) <= SPEAKER_MAX_CHARS
                and w.start - end <= 1.0
            ):
                cues[-1] = (start, w.end, spk, f"{prev} {text}")
                continue
        cues.append((w.start, w.end, w.speaker, text))
    return [(a, max(b, a + SPEAKER_MIN_CUE_S), f"{shown[s]}: {t}") for a, b, s, t in cues]
