"""Speaker recognition: "same person?", "who is this?", and a visitor's known voices.

A recording's speech (Silero VAD) becomes one CAM++ voice print (``engines/campplus.py``, 192-d,
unit length); two prints are compared by cosine similarity (higher = more alike), and the decision
is ``score >= threshold``. The threshold and its error rates were measured by
``benchmarks/bench_speakers.py`` on real voices of the repository.

Known voices are a small JSON document of voice prints, never audio: a name, one print per enrolled
clip and its seconds of speech. It carries a format tag, a version, the model's name and a SHA-256
checksum of its content, so a file from elsewhere or one edited by hand is refused; nothing in it is
executed (plain JSON, no pickle). The app keeps it in the visitor's browser and the API takes it as
a file; the server keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.errors import UserError
from pipelines.formats.rttm import Turn

SAMPLE_RATE = 16_000
FORMAT = "audio-ai-studio/known-voices"
VERSION = 1
MODEL = "campplus-192"
MAX_FILE_BYTES = 2_000_000  # 100 voices x 10 clips of 192 numbers is about 1.4 MB
UNKNOWN = "unknown {n}"


@dataclass
class SpeakersOptions:
    # cosine similarity at or above which two prints are one person: the equal-error point measured
    # by benchmarks/bench_speakers.py (EER trials of LibriVox and pyannote-sample voices)
    threshold: float = 0.53
    min_enroll_s: float = 3.0  # speech an enrolment needs
    min_compare_s: float = 1.0  # speech a comparison or an identification needs
    max_voices: int = 100  # names in one known-voices file
    max_clips: int = 10  # enrolled clips per name
    max_print_s: float = 60.0  # at most this much speech of a clip makes its print
    max_name_chars: int = 60


# measured at the default threshold by benchmarks/bench_speakers.py (shown beside every decision):
# 43 same-speaker and 110 different-speaker trials of 2 s pieces of five real voices
MEASURED = {"far": 0.036, "frr": 0.047, "trials": 153}


# --- voice prints ---------------------------------------------------------------------------


@dataclass
class VoicePrint:
    vector: np.ndarray  # (192,) unit length
    speech_s: float


def speech_of(y: np.ndarray, sr: int = SAMPLE_RATE, max_s: float | None = None) -> tuple[np.ndarray, float]:
    """The speech of a clip joined together (Silero VAD) and its seconds (all of it, before ``max_s``)."""
    from pipelines.engines.silero_vad import speech_regions

    if sr != SAMPLE_RATE:
        raise ValueError(f"Speaker recognition takes {SAMPLE_RATE} Hz audio, got {sr}")
    regions = speech_regions(np.asarray(y, np.float32), sr)
    seconds = float(np.sum(regions[:, 1] - regions[:, 0])) if len(regions) else 0.0
    parts, kept = [], 0.0
    for a, b in regions:
        if max_s is not None and kept >= max_s:
            break
        b = min(b, a + (max_s - kept)) if max_s is not None else b
        parts.append(y[int(a * sr) : int(b * sr)])
        kept += b - a
    return (np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)), seconds


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 and np.isfinite(n) else v.astype(np.float32)


def voice_print(
    y: np.ndarray,
    sr: int = SAMPLE_RATE,
    *,
    min_s: float,
    options: SpeakersOptions | None = None,
    what: str = "This clip",
) -> VoicePrint:
    """One print of a clip's speech; UserError when no voice is heard or there is less than ``min_s``."""
    from pipelines.engines import campplus

    o = options or SpeakersOptions()
    speech, seconds = speech_of(y, sr, o.max_print_s)
    if seconds < 0.3:
        raise UserError(f"{what}: no voice was heard (silence, noise or music). Record someone speaking.")
    if seconds < min_s:
        raise UserError(
            f"{what} has {seconds:.1f} s of speech; {min_s:g} s are needed: record about "
            f"{math.ceil(min_s - seconds):g} s more."
        )
    vector = campplus.embed(speech, sr)
    if not np.all(np.isfinite(vector)):
        raise UserError(f"{what}: no voice print could be made of it (too short). Record a little more.")
    return VoicePrint(unit(vector), seconds)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two prints (-1..1, higher = more alike)."""
    return float(np.dot(unit(a), unit(b)))


# --- same person? ---------------------------------------------------------------------------


@dataclass
class Verification:
    score: float
    same: bool
    threshold: float
    far: float  # measured false-accept rate at this threshold
    frr: float  # measured false-reject rate
    speech_a: float
    speech_b: float

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def verify(a: np.ndarray, b: np.ndarray, sr: int = SAMPLE_RATE, options: SpeakersOptions | None = None) -> Verification:
    """Are the voices of two recordings one person's?"""
    o = options or SpeakersOptions()
    pa = voice_print(a, sr, min_s=o.min_compare_s, options=o, what="The first recording")
    pb = voice_print(b, sr, min_s=o.min_compare_s, options=o, what="The second recording")
    score = similarity(pa.vector, pb.vector)
    return Verification(
        score, score >= o.threshold, o.threshold, MEASURED["far"], MEASURED["frr"], pa.speech_s, pb.speech_s
    )


# --- known voices ---------------------------------------------------------------------------


@dataclass
class Voice:
    name: str
    prints: list[np.ndarray] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def centroid(self) -> np.ndarray:
        return unit(np.mean([unit(p) for p in self.prints], axis=0))


@dataclass
class KnownVoices:
    voices: list[Voice] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.voices]

    def find(self, name: str) -> Voice | None:
        key = name.strip().casefold()
        return next((v for v in self.voices if v.name.casefold() == key), None)

    def rows(self) -> list[list]:
        """[name, clips, seconds of speech] per voice."""
        return [[v.name, len(v.prints), round(sum(v.seconds), 1)] for v in self.voices]


def _payload(known: KnownVoices) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": MODEL,
        "voices": [
            {
                "name": v.name,
                "clips": [
                    {"seconds": round(float(s), 2), "print": [round(float(x), 6) for x in p]}
                    for p, s in zip(v.prints, v.seconds)
                ],
            }
            for v in known.voices
        ],
    }


def _checksum(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def dumps(known: KnownVoices) -> str:
    """The known-voices document (JSON text), checksum included."""
    payload = _payload(known)
    return json.dumps({**payload, "checksum": _checksum(payload)}, ensure_ascii=False)


def loads(text: str | bytes | dict | None, options: SpeakersOptions | None = None) -> KnownVoices:
    """Known voices from their JSON (text or parsed); UserError for anything else, edited or damaged."""
    from pipelines.engines.campplus import DIM

    o = options or SpeakersOptions()
    if text is None or (isinstance(text, (str, bytes)) and not text.strip()):
        return KnownVoices()
    if isinstance(text, (str, bytes)):
        if len(text) > MAX_FILE_BYTES:
            raise UserError(
                f"This is not a known-voices file of this app: it is larger than {MAX_FILE_BYTES // 1_000_000} MB."
            )
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise UserError("This is not a known-voices file of this app (it is not JSON).") from None
    else:
        data = text
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError("This is not a known-voices file of this app.")
    if data.get("version") != VERSION or data.get("model") != MODEL:
        raise UserError(
            f"These known voices were made by another version ({data.get('version')}, {data.get('model')}); "
            f"this app reads version {VERSION} of {MODEL}. Enroll the voices again."
        )
    payload = {k: v for k, v in data.items() if k != "checksum"}
    if data.get("checksum") != _checksum(payload):
        raise UserError("This known-voices file was edited or damaged (its checksum does not match); it was not used.")
    voices = []
    try:
        for item in data["voices"]:
            name = str(item["name"]).strip()
            prints = [np.asarray(c["print"], dtype=np.float32) for c in item["clips"]]
            seconds = [float(c["seconds"]) for c in item["clips"]]
            if not name or len(name) > o.max_name_chars or not prints or len(prints) > o.max_clips:
                raise ValueError(name)
            if any(p.shape != (DIM,) or not np.all(np.isfinite(p)) for p in prints):
                raise ValueError(name)
            voices.append(Voice(name, prints, seconds))
    except (KeyError, TypeError, ValueError):
        raise UserError(
            "This is not a known-voices file of this app: its voices are not in the expected form."
        ) from None
    if len(voices) > o.max_voices:
        raise UserError(f"This known-voices file holds {len(voices)} voices; at most {o.max_voices} are allowed.")
    return KnownVoices(voices)


def read(path: str | Path | None, options: SpeakersOptions | None = None) -> KnownVoices:
    """Known voices from a file (None: none)."""
    if path is None or str(path).strip() == "":
        return KnownVoices()
    p = Path(path)
    if not p.is_file():
        raise UserError("The known-voices file could not be read.")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise UserError(
            f"This is not a known-voices file of this app: it is larger than {MAX_FILE_BYTES // 1_000_000} MB."
        )
    return loads(p.read_bytes(), options)


def write(known: KnownVoices, out_dir: Path, stem: str = "known-voices") -> Path:
    path = Path(out_dir) / f"{stem}.json"
    path.write_text(dumps(known), encoding="utf-8")
    return path


def check_name(name: str | None, options: SpeakersOptions | None = None) -> str:
    o = options or SpeakersOptions()
    name = " ".join(str(name or "").split())
    if not name:
        raise UserError("Give the voice a name.")
    if len(name) > o.max_name_chars:
        raise UserError(f"A name can have at most {o.max_name_chars} characters.")
    if name.casefold().startswith("unknown ") or name.upper().startswith("SPEAKER_"):
        raise UserError(f"'{name}' is how unnamed speakers are called; choose another name.")
    return name


def enroll(
    known: KnownVoices, name: str, y: np.ndarray, sr: int = SAMPLE_RATE, options: SpeakersOptions | None = None
) -> tuple[KnownVoices, VoicePrint]:
    """A copy of ``known`` with a clip of ``name``'s speech added (a new voice, or one more clip of it).
    UserError (``known`` untouched) when the clip has too little speech or a limit is reached."""
    o = options or SpeakersOptions()
    name = check_name(name, o)
    existing = known.find(name)
    if existing is None and len(known.voices) >= o.max_voices:
        raise UserError(f"You already have {o.max_voices} known voices, the most allowed: remove one first.")
    if existing is not None and len(existing.prints) >= o.max_clips:
        raise UserError(f"'{existing.name}' already has {o.max_clips} clips, the most allowed for one voice.")
    vp = voice_print(y, sr, min_s=o.min_enroll_s, options=o, what="The enrolment clip")
    voices = [Voice(v.name, list(v.prints), list(v.seconds)) for v in known.voices]
    target = next((v for v in voices if existing is not None and v.name == existing.name), None)
    if target is None:
        voices.append(Voice(name, [vp.vector], [vp.speech_s]))
    else:
        target.prints.append(vp.vector)
        target.seconds.append(vp.speech_s)
    return KnownVoices(voices), vp


def rename(known: KnownVoices, old: str, new: str, options: SpeakersOptions | None = None) -> KnownVoices:
    voice = known.find(old or "")
    if voice is None:
        raise UserError(f"There is no known voice called '{old}'.")
    new = check_name(new, options)
    other = known.find(new)
    if other is not None and other is not voice:
        raise UserError(f"There is already a known voice called '{other.name}'.")
    return KnownVoices([Voice(new if v is voice else v.name, v.prints, v.seconds) for v in known.voices])


def remove(known: KnownVoices, name: str) -> KnownVoices:
    voice = known.find(name or "")
    if voice is None:
        raise UserError(f"There is no known voice called '{name}'.")
    return KnownVoices([v for v in known.voices if v is not voice])


# --- who is this? ---------------------------------------------------------------------------


@dataclass
class Identification:
    name: str | None  # None: not one of the known voices
    score: float  # the best match's score (-1 when there are no known voices)
    threshold: float
    ranking: list[tuple[str, float]]  # every known voice with its score, best first
    speech_s: float


def rank(vector: np.ndarray, known: KnownVoices) -> list[tuple[str, float]]:
    """Known voices by similarity to a print, best first (a voice scores its best clip or its centroid)."""
    out = []
    for v in known.voices:
        scores = [similarity(vector, p) for p in v.prints] + [similarity(vector, v.centroid)]
        out.append((v.name, max(scores)))
    return sorted(out, key=lambda kv: -kv[1])


def identify(
    y: np.ndarray, known: KnownVoices, sr: int = SAMPLE_RATE, options: SpeakersOptions | None = None
) -> Identification:
    o = options or SpeakersOptions()
    if not known.voices:
        raise UserError("There are no known voices yet: enroll at least one voice first.")
    vp = voice_print(y, sr, min_s=o.min_compare_s, options=o, what="The recording")
    ranking = rank(vp.vector, known)
    name, score = ranking[0]
    return Identification(name if score >= o.threshold else None, score, o.threshold, ranking, vp.speech_s)


# --- naming diarized speakers ---------------------------------------------------------------

NAME_SPEECH_S = 30.0  # at most this much of a speaker's own speech makes their print
NAME_MIN_S = 1.0  # a speaker with less speech of their own than this stays unknown


def own_speech(y: np.ndarray, sr: int, turns: list[Turn], speaker: str, max_s: float = NAME_SPEECH_S) -> np.ndarray:
    """A speaker's speech where nobody else talks, joined (at most ``max_s``)."""
    others = [t for t in turns if t.speaker != speaker]
    parts, kept = [], 0.0
    for t in (t for t in turns if t.speaker == speaker):
        cuts = [(t.start, t.end)]
        for o in others:
            cuts = (
                [
                    piece
                    for a, b in cuts
                    for piece in ((a, min(b, o.start)), (max(a, o.end), b))
                    if piece[1] - piece[0] > 0.05
                ]
                if o.start < t.end and o.end > t.start
                else cuts
            )
        for a, b in cuts:
            if kept >= max_s:
                break
            b = min(b, a + max_s - kept)
            parts.append(y[int(a * sr) : int(b * sr)])
            kept += b - a
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def name_speakers(
    y: np.ndarray, sr: int, turns: list[Turn], known: KnownVoices, options: SpeakersOptions | None = None
) -> dict[str, str]:
    """{speaker label: known name, or 'unknown 1', 'unknown 2'... in order of appearance}; each known
    voice names at most one speaker (the best-matching pairs first)."""
    from pipelines.engines import campplus

    o = options or SpeakersOptions()
    labels = list(dict.fromkeys(t.speaker for t in sorted(turns, key=lambda t: t.start)))
    pairs = []
    for label in labels:
        speech = own_speech(y, sr, turns, label)
        if len(speech) < NAME_MIN_S * sr or not known.voices:
            continue
        vector = campplus.embed(speech, sr)
        if not np.all(np.isfinite(vector)):
            continue
        pairs += [(score, label, name) for name, score in rank(vector, known) if score >= o.threshold]
    named: dict[str, str] = {}
    used: set[str] = set()
    for _score, label, name in sorted(pairs, reverse=True):
        if label not in named and name not in used:
            named[label] = name
            used.add(name)
    n = 0
    for label in labels:
        if label not in named:
            n += 1
            named[label] = UNKNOWN.format(n=n)
    return {label: named[label] for label in labels}
