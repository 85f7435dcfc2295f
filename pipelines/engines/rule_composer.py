"""A rule-based, seeded composer: prompt words -> a short piece of General MIDI music.

No neural model: words in the prompt choose a style (tempo range, mode, instruments,
groove, accompaniment), moods shift tempo and mode, instrument words replace the lead
and chord instruments, "120 bpm" / "in D minor" are taken literally. The piece has an
intro, a body of 4-bar sections (A A B A, then a varied A' A' B' A' ...: a melodic phrase repeats over its chord
progression, which is what makes it sound composed rather than random) and an ending on
the tonic. Every random choice comes from one ``numpy`` generator seeded by ``seed``, so a
prompt and a seed always give the same notes.

The result is a :class:`Piece` (parts of :class:`Note`, times in beats), written as a
Standard MIDI File with :func:`write_midi` and rendered by ``pipelines.engines.soundfont``.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipelines.dsp.music import NOTE_NAMES

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
BEATS_PER_BAR = 4
DRUM_CHANNEL = 9

# General MIDI percussion keys
KICK, SIDE_STICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 36, 37, 38, 39, 42, 44, 46
LOW_TOM, FLOOR_TOM, HIGH_TOM, CRASH, RIDE, TAMBOURINE, SHAKER = 45, 41, 50, 49, 51, 54, 70

# General MIDI programs (0-based) by the names users type.
GM_NAMES = {
    0: "Acoustic Grand Piano",
    4: "Electric Piano",
    11: "Vibraphone",
    12: "Marimba",
    10: "Music Box",
    14: "Tubular Bells",
    16: "Drawbar Organ",
    19: "Church Organ",
    21: "Accordion",
    24: "Nylon Guitar",
    25: "Steel Guitar",
    27: "Clean Electric Guitar",
    29: "Overdriven Guitar",
    30: "Distortion Guitar",
    32: "Acoustic Bass",
    33: "Fingered Bass",
    34: "Picked Bass",
    38: "Synth Bass",
    42: "Cello",
    40: "Violin",
    43: "Contrabass",
    46: "Harp",
    47: "Timpani",
    48: "String Ensemble",
    52: "Choir Aahs",
    56: "Trumpet",
    60: "French Horn",
    61: "Brass Section",
    65: "Alto Sax",
    66: "Tenor Sax",
    68: "Oboe",
    71: "Clarinet",
    73: "Flute",
    75: "Pan Flute",
    80: "Square Lead",
    81: "Saw Lead",
    89: "Warm Pad",
    90: "Polysynth Pad",
    104: "Sitar",
    105: "Banjo",
    114: "Steel Drums",
}

# word -> (lead program, chord program or None when the instrument cannot play chords well)
INSTRUMENT_WORDS: dict[str, tuple[int, int | None]] = {
    "piano": (0, 0),
    "keys": (4, 4),
    "rhodes": (4, 4),
    "epiano": (4, 4),
    "organ": (16, 16),
    "guitar": (24, 24),
    "acoustic": (25, 25),
    "strings": (48, 48),
    "string": (48, 48),
    "violin": (40, 48),
    "violins": (40, 48),
    "cello": (42, 48),
    "harp": (46, 46),
    "choir": (52, 52),
    "voices": (52, 52),
    "trumpet": (56, 61),
    "brass": (61, 61),
    "horn": (60, 61),
    "horns": (60, 61),
    "sax": (65, None),
    "saxophone": (65, None),
    "flute": (73, None),
    "clarinet": (71, None),
    "oboe": (68, None),
    "synth": (81, 90),
    "synths": (81, 90),
    "synthesizer": (81, 90),
    "pad": (89, None),
    "bells": (14, None),
    "marimba": (12, 12),
    "vibraphone": (11, 11),
    "accordion": (21, 21),
    "sitar": (104, None),
    "banjo": (105, 105),
    "musicbox": (10, 10),
    "pan flute": (75, None),
    "steel drums": (114, None),
}
MULTIWORD = {
    "lo-fi": "lofi",
    "lo fi": "lofi",
    "hip hop": "hiphop",
    "hip-hop": "hiphop",
    "music box": "musicbox",
    "electric piano": "epiano",
    "electric guitar": "eguitar",
    "pan flute": "pan flute",
    "steel drums": "steel drums",
    "synth pop": "synthpop",
    "synth-pop": "synthpop",
}
INSTRUMENT_WORDS["eguitar"] = (27, 27)
SPOKEN = {token: phrase for phrase, token in reversed(MULTIWORD.items())}  # a token as the prompt wrote it


@dataclass(frozen=True)
class Style:
    name: str
    words: tuple[str, ...]
    tempo: tuple[int, int]
    mode: str
    lead: int
    chords: int
    bass: int
    groove: str  # drum pattern name, "" for none
    accomp: str  # "block", "pulse8", "arpeggio", "offbeat", "strum", "comp", "power"
    bass_pattern: str  # "whole", "halves", "eighths", "boombap", "walking"
    rhythm: str  # melody rhythm family: "slow", "medium", "busy"
    pad: int | None = None  # an extra sustained part
    sevenths: bool = False
    swing: float = 0.5  # where the off-beat eighth falls: 0.5 straight, 0.66 triplet swing
    reverb: float = 0.15
    extra: str = ""  # "timpani" for orchestral


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style(
            "lo-fi",
            ("lofi", "chillhop", "hiphop", "study", "beats", "jazzy"),
            (78, 92),
            "minor",
            4,
            4,
            33,
            "boombap",
            "offbeat",
            "boombap",
            "medium",
            sevenths=True,
            swing=0.58,
            reverb=0.25,
        ),
        Style(
            "pop",
            ("pop", "synthpop", "dance", "disco", "edm", "electronic", "catchy", "club", "kpop", "k-pop"),
            (112, 126),
            "major",
            81,
            90,
            38,
            "four",
            "pulse8",
            "eighths",
            "busy",
            pad=89,
            reverb=0.12,
        ),
        Style(
            "ballad",
            ("ballad", "romantic", "love", "emotional", "tender", "sentimental"),
            (62, 74),
            "minor",
            48,
            0,
            43,
            "",
            "arpeggio",
            "whole",
            "slow",
            pad=48,
            reverb=0.3,
        ),
        Style(
            "orchestral",
            (
                "epic",
                "orchestral",
                "orchestra",
                "cinematic",
                "trailer",
                "heroic",
                "film",
                "soundtrack",
                "battle",
                "adventure",
                "symphonic",
            ),
            (88, 104),
            "minor",
            60,
            48,
            43,
            "epic",
            "pulse8",
            "halves",
            "medium",
            pad=61,
            reverb=0.3,
            extra="timpani",
        ),
        Style(
            "ambient",
            ("ambient", "meditation", "dreamy", "space", "atmospheric", "sleep", "spa", "new-age"),
            (62, 74),
            "major",
            11,
            46,
            32,
            "",
            "arpeggio",
            "whole",
            "slow",
            pad=89,
            reverb=0.4,
        ),
        Style(
            "rock",
            ("rock", "punk", "grunge", "metal", "garage", "indie"),
            (122, 144),
            "minor",
            29,
            30,
            34,
            "rock",
            "power",
            "eighths",
            "busy",
            reverb=0.1,
        ),
        Style(
            "jazz",
            ("jazz", "swing", "bebop", "lounge", "smooth", "bossa", "cafe"),
            (104, 132),
            "major",
            65,
            0,
            32,
            "swing",
            "comp",
            "walking",
            "medium",
            sevenths=True,
            swing=0.66,
            reverb=0.2,
        ),
        Style(
            "folk",
            ("folk", "country", "campfire", "celtic", "acoustic", "bluegrass"),
            (92, 112),
            "major",
            73,
            25,
            32,
            "folk",
            "strum",
            "halves",
            "medium",
            reverb=0.15,
        ),
        Style(
            "classical",
            ("classical", "baroque", "sonata", "minuet", "etude", "nocturne"),
            (76, 96),
            "major",
            0,
            0,
            0,
            "",
            "arpeggio",
            "halves",
            "medium",
            reverb=0.25,
        ),
    )
}

# mood word -> (tempo shift in BPM, mode or None, fallback style)
MOODS: dict[str, tuple[int, str | None, str]] = {
    "happy": (8, "major", "pop"),
    "bright": (6, "major", "pop"),
    "joyful": (8, "major", "pop"),
    "cheerful": (8, "major", "folk"),
    "uplifting": (6, "major", "pop"),
    "sunny": (6, "major", "folk"),
    "upbeat": (14, None, "pop"),
    "energetic": (16, None, "rock"),
    "fast": (20, None, "rock"),
    "driving": (12, None, "rock"),
    "intense": (10, "minor", "orchestral"),
    "powerful": (6, None, "orchestral"),
    "sad": (-8, "minor", "ballad"),
    "melancholy": (-8, "minor", "ballad"),
    "melancholic": (-8, "minor", "ballad"),
    "dark": (-4, "minor", "orchestral"),
    "gloomy": (-8, "minor", "ballad"),
    "moody": (-4, "minor", "lo-fi"),
    "mysterious": (-6, "minor", "ambient"),
    "tense": (4, "minor", "orchestral"),
    "lonely": (-8, "minor", "ballad"),
    "calm": (-8, None, "ambient"),
    "slow": (-14, None, "ballad"),
    "relaxing": (-8, None, "ambient"),
    "relaxed": (-8, None, "ambient"),
    "chill": (-6, None, "lo-fi"),
    "gentle": (-8, None, "ambient"),
    "peaceful": (-10, None, "ambient"),
    "soft": (-6, None, "ambient"),
    "warm": (-4, None, "lo-fi"),
    "nostalgic": (-4, None, "lo-fi"),
}

PROGRESSIONS = {  # scale degrees (0 = tonic), one chord a bar
    "major": ([0, 4, 5, 3], [0, 5, 3, 4], [5, 3, 0, 4], [0, 3, 4, 3], [3, 4, 2, 5], [0, 2, 3, 4]),
    "minor": ([0, 5, 2, 6], [0, 3, 6, 2], [0, 5, 3, 4], [0, 6, 5, 6], [5, 6, 0, 0], [0, 3, 4, 0]),
}
# Each progression passes through the tonic: a ii-V cycle that never lands on I is heard in another key.
JAZZ_PROGRESSIONS = {"major": ([1, 4, 0, 0], [0, 5, 1, 4], [0, 3, 1, 4]), "minor": ([0, 3, 1, 4], [1, 4, 0, 0])}

MELODY_RHYTHMS = {  # one bar each, in beats; negative = rest
    "slow": ([4], [2, 2], [3, 1], [2, 1, 1], [1, 1, 2], [-1, 1, 2]),
    "medium": ([1, 1, 1, 1], [1.5, 0.5, 2], [2, 1, 1], [1, 0.5, 0.5, 2], [-0.5, 0.5, 1, 1, 1], [1.5, 1.5, 1]),
    "busy": (
        [0.5] * 8,
        [1, 0.5, 0.5, 1, 1],
        [0.5, 0.5, 1, 0.5, 0.5, 1],
        [-0.5, 0.5, 0.5, 0.5, 2],
        [0.75, 0.75, 0.5, 1, 1],
    ),
}

DRUM_GROOVES = {  # 16 steps a bar: instrument -> "x" (accent), "o" (soft), "." (rest)
    "four": {
        KICK: "x...x...x...x...",
        CLAP: "....x.......x...",
        CLOSED_HAT: "..x...x...x...x.",
        SHAKER: "oooooooooooooooo",
    },
    "boombap": {KICK: "x......x..x.....", SNARE: "....x.......x...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "rock": {KICK: "x.....x.x.....o.", SNARE: "....x.......x...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "swing": {RIDE: "x...x..ox...x..o", PEDAL_HAT: "....x.......x...", KICK: "o.......o......."},
    "epic": {
        KICK: "x.......x.x.....",
        FLOOR_TOM: "x...x...x...x...",
        SNARE: "....x.......x...",
        LOW_TOM: "..............oo",
    },
    "folk": {KICK: "x.......x.......", SIDE_STICK: "....x.......x...", SHAKER: "x.o.x.o.x.o.x.o."},
    "soft": {KICK: "x.......o.......", SIDE_STICK: "....o.......x...", CLOSED_HAT: "o...o...o...o..."},
}

MIN_BPM, MAX_BPM = 40, 220


@dataclass(frozen=True)
class Note:
    start: float  # beats from the start
    length: float  # beats
    pitch: int  # MIDI key
    velocity: int  # 1-127


@dataclass
class Part:
    name: str  # "melody", "chords", ...
    program: int  # General MIDI program (0-based); ignored for drums
    channel: int
    notes: list[Note] = field(default_factory=list)
    volume: int = 100  # CC7
    pan: int = 64  # CC10

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def instrument(self) -> str:
        return "Drum kit" if self.is_drums else GM_NAMES.get(self.program, f"GM program {self.program + 1}")


@dataclass(frozen=True)
class Plan:
    """What the prompt asked for, after rules and the seed decided the rest."""

    prompt: str
    seed: int
    style: Style
    bpm: float
    tonic: int  # pitch class 0-11
    mode: str
    lead: int
    chords: int
    drums: bool
    heard: tuple[str, ...]  # the prompt words that changed something
    style_reason: str
    solo: bool = False  # "solo": the lead instrument alone (its own chords when it plays chords)

    @property
    def key_name(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"


@dataclass
class Section:
    name: str  # "intro", "A", "B", "ending"; "A'", "B'": a varied repeat
    start_bar: int
    bars: int


@dataclass
class Piece:
    plan: Plan
    parts: list[Part]
    sections: list[Section]
    bars: int
    seconds: float  # the length asked for (the render is cut or padded to it)

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.plan.bpm

    def instruments(self) -> list[str]:
        return [f"{p.name}: {p.instrument}" for p in self.parts if p.notes]


# --- reading the prompt ------------------------------------------------------------------

_KEY_RE = re.compile(r"\b([a-g])\s*(#|♯|b|♭|-?sharp|-?flat)?\s*(major|minor|maj|min)\b")
_BPM_RE = re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per minute)\b")
_NO_DRUMS_RE = re.compile(r"\b(no|without|zero)\s+(drums?|percussion|beat)\b|\bdrumless\b")
_DRUMS_RE = re.compile(r"\b(drums?|percussion|beat|beats|groove)\b")
_SOLO_RE = re.compile(r"\b(solo|alone|unaccompanied)\b")


def _prompt_hash(text: str) -> int:
    """A stable number for the prompt, so two prompts with one seed still differ in what words leave open."""
    return zlib.crc32(" ".join(text.split()).encode("utf-8"))


def _words(prompt: str) -> list[str]:
    text = prompt.lower()
    for phrase, token in MULTIWORD.items():
        text = text.replace(phrase, token.replace(" ", "_"))
    return [w.replace("_", " ") for w in re.findall(r"[a-z0-9#_\-]+", text)]


def plan_from_prompt(prompt: str, seed: int) -> Plan:
    """Apply the word rules; the seed decides what the words leave open."""
    text = prompt.lower()
    rng = np.random.default_rng([seed, 1, _prompt_hash(text)])
    words = _words(prompt)
    heard: list[str] = []

    # Style: the style with most keywords, earliest mention breaking ties.
    scores = {}
    for name, style in STYLES.items():
        hits = [i for i, w in enumerate(words) if w in style.words]
        if hits:
            scores[name] = (len(hits), -hits[0])
            heard += [words[i] for i in hits]
    moods = [w for w in words if w in MOODS]
    instruments = [w for w in words if w in INSTRUMENT_WORDS]
    if scores:
        style = STYLES[max(scores, key=scores.get)]
        reason = f"style words: {', '.join(w for w in words if w in style.words)}"
    elif moods:
        style = STYLES[MOODS[moods[0]][2]]
        reason = f"no style word; the mood '{moods[0]}' suggests {style.name}"
    elif instruments and instruments[0] in ("strings", "violin", "cello", "harp"):
        style = STYLES["ballad"]
        reason = f"no style word; '{instruments[0]}' suggests a ballad"
    else:
        style = list(STYLES.values())[int(rng.integers(len(STYLES)))]
        reason = "no style or mood word recognised: the seed picked the style"

    # Tempo: explicit BPM, else the style's range shifted by moods.
    m = _BPM_RE.search(text)
    if m:
        bpm = float(np.clip(int(m.group(1)), MIN_BPM, MAX_BPM))
        heard.append(m.group(0))
    else:
        bpm = float(rng.integers(style.tempo[0], style.tempo[1] + 1))
        bpm += sum(MOODS[w][0] for w in dict.fromkeys(moods))
        bpm = float(np.clip(round(bpm), 50, 180))

    # Key and mode: explicit key, else moods, else the style's mode; tonic from the seed.
    mode = style.mode
    for w in moods:
        if MOODS[w][1]:
            mode = MOODS[w][1]
            break
    tonic = int(rng.choice([0, 2, 4, 5, 7, 9, 10, 3]))  # keys that sit well on most instruments
    k = _KEY_RE.search(text)
    if k:
        letter, accidental, quality = k.groups()
        tonic = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[letter.upper()]
        if accidental:
            tonic += 1 if accidental in ("#", "♯") or "sharp" in accidental else -1
        tonic %= 12
        mode = "minor" if quality.startswith("min") else "major"
        heard.append(k.group(0))
    heard += moods

    # Instruments: the first named leads; it (or the second named) plays the chords.
    lead, chords = style.lead, style.chords
    if instruments:
        lead, chord_prog = INSTRUMENT_WORDS[instruments[0]]
        if style.name == "rock" and instruments[0] == "guitar":
            lead, chord_prog = 29, 30  # a rock guitar is an electric one
        if len(instruments) > 1 and INSTRUMENT_WORDS[instruments[1]][1] is not None:
            chords = INSTRUMENT_WORDS[instruments[1]][1]
        elif chord_prog is not None:
            chords = chord_prog
        heard += instruments

    drums = bool(style.groove)
    if _NO_DRUMS_RE.search(text):
        drums = False
        heard.append(_NO_DRUMS_RE.search(text).group(0))
    elif _DRUMS_RE.search(text):
        drums = True
        heard.append(_DRUMS_RE.search(text).group(0))
    solo = bool(_SOLO_RE.search(text))
    if solo:
        drums = False
        heard.append("solo")
        if instruments:
            chords = INSTRUMENT_WORDS[instruments[0]][1]  # None: an instrument that plays no chords
    spoken = tuple(dict.fromkeys(SPOKEN.get(w, w) for w in heard))  # "electric guitar", never "eguitar"
    return Plan(prompt, seed, style, bpm, tonic, mode, lead, chords, drums, spoken, reason, solo)


# --- composing -----------------------------------------------------------------------------


def compose_piece(prompt: str, seconds: float, seed: int, plan: Plan | None = None) -> Piece:
    """A whole piece for ``prompt`` filling ``seconds``: as many bars as fit at its tempo, the last
    one a final chord held to the end."""
    plan = plan or plan_from_prompt(prompt, seed)
    rng = np.random.default_rng([seed, 2, _prompt_hash(prompt.lower())])
    style = plan.style
    total_bars = bars_for(seconds, plan.bpm)
    sections = _structure(total_bars)
    scale = SCALES[plan.mode]
    root_midi = 60 + plan.tonic - (12 if plan.tonic > 6 else 0)  # tonic between F#3 and F#4

    progs = JAZZ_PROGRESSIONS if style.accomp == "comp" else PROGRESSIONS
    choices = progs[plan.mode]
    prog_a = choices[int(rng.integers(len(choices)))]
    prog_b = choices[int(rng.integers(len(choices)))]
    if prog_b == prog_a and len(choices) > 1:
        prog_b = choices[(choices.index(prog_a) + 1) % len(choices)]

    # One degree per bar over the whole piece
    degrees: list[int] = []
    for sec in sections:
        prog = prog_b if sec.name.startswith("B") else prog_a
        if sec.name in ("ending", "intro"):  # the intro states the key: it stays on the tonic
            degrees += [0] * sec.bars
        else:
            degrees += [prog[i % 4] for i in range(sec.bars)]
    if len(sections) > 1 and sections[-1].name == "ending" and len(degrees) > sections[-1].start_bar >= 1:
        degrees[sections[-1].start_bar - 1] = 4  # dominant before the final tonic: a cadence

    chords = [_chord(scale, root_midi, d, style.sevenths) for d in degrees]
    parts = [
        Part("chords", plan.chords, 0, _accompaniment(style, chords, sections, rng), volume=88, pan=44),
        Part("melody", plan.lead, 2, _melody(style, scale, root_midi, degrees, sections, rng), volume=112, pan=72),
        Part("bass", style.bass, 3, _bass(style, scale, root_midi, degrees, sections, rng), volume=104, pan=64),
    ]
    if plan.solo:  # the lead alone, with its own chords when it plays them
        parts = [p for p in parts if p.name == "melody" or (p.name == "chords" and plan.chords is not None)]
    elif style.pad is not None and style.pad != plan.chords:
        parts.append(Part("pad", style.pad, 1, _pad(chords, sections), volume=70, pan=84))
    if style.extra == "timpani" and not plan.solo:
        parts.append(Part("timpani", 47, 4, _timpani(root_midi, degrees, sections, scale), volume=96, pan=60))
    if plan.drums:
        parts.append(Part("drums", 0, DRUM_CHANNEL, _drums(style.groove or "soft", sections, rng), volume=100))
    if style.swing != 0.5:
        for p in parts:
            p.notes = [replace(n, start=_swing(n.start, style.swing)) for n in p.notes]
    _hold_to_the_end(parts, sections[-1].start_bar * BEATS_PER_BAR, seconds * plan.bpm / 60.0)
    return Piece(plan, parts, sections, total_bars, float(seconds))


def bars_for(seconds: float, bpm: float) -> int:
    """Bars that fill ``seconds`` at ``bpm`` in 4/4: the nearest whole number, so the last bar (the
    final chord) is cut or held by at most half a bar and the music plays up to the end."""
    return max(2, int(round(seconds * bpm / 60.0 / BEATS_PER_BAR)))


def _hold_to_the_end(parts: list[Part], ending_beat: float, end_beat: float) -> None:
    """End every part at the asked length: the final chord rings up to it when the last bar ends
    before it, and whatever the last bar holds past it is cut there (the MIDI file ends with the WAV)."""
    for p in parts:
        notes = []
        for n in p.notes:
            if n.start >= end_beat - 1e-6:
                continue
            length = min(n.length, end_beat - n.start)
            if not p.is_drums and n.start >= ending_beat - 1e-6:
                length = end_beat - n.start
            notes.append(replace(n, length=length) if length != n.length else n)
        p.notes = notes


def _structure(total_bars: int) -> list[Section]:
    """Intro, 4-bar body sections A A B A (then A' A' B' A', varied, and again), and a one-bar ending
    on the tonic, so the music fills the piece and only its last bar holds."""
    intro = 0 if total_bars < 6 else (1 if total_bars < 12 else 2)
    ending = 1
    body = total_bars - intro - ending
    if body > 4 and body % 4 == 1:  # no 1-bar stub section: give the bar to the intro
        intro += 1
        body -= 1
    sections = [Section("intro", 0, intro)] if intro else []
    order = "AABA"
    bar, i = intro, 0
    while body > 0:
        n = min(4, body)
        name = order[i % 4] + ("'" if (i // 4) % 2 else "")  # every other round of AABA is varied
        sections.append(Section(name, bar, n))
        bar, body, i = bar + n, body - n, i + 1
    sections.append(Section("ending", bar, ending))
    return sections


def _scale_pitch(scale, root_midi: int, index: int) -> int:
    """MIDI key of scale step ``index`` (0 = tonic, 7 = tonic an octave up, negatives below)."""
    octave, step = divmod(index, 7)
    return root_midi + 12 * octave + scale[step]


def _chord(scale, root_midi: int, degree: int, sevenths: bool) -> list[int]:
    steps = [degree, degree + 2, degree + 4] + ([degree + 6] if sevenths else [])
    return [_scale_pitch(scale, root_midi, s) for s in steps]


def _voice(chord: list[int], centre: int = 64) -> list[int]:
    """Close voicing whose middle lies nearest ``centre`` (smooth chord changes)."""
    best = None
    for inv in range(len(chord)):
        notes = sorted(chord[inv:] + [p + 12 for p in chord[:inv]])
        shift = round((centre - np.mean(notes)) / 12) * 12
        notes = [p + shift for p in notes]
        cost = abs(np.mean(notes) - centre)
        if best is None or cost < best[0]:
            best = (cost, notes)
    return best[1]


def _bars_of(sections: list[Section], *names: str):
    for sec in sections:
        if not names or sec.name in names:
            for b in range(sec.start_bar, sec.start_bar + sec.bars):
                yield sec, b


def _accompaniment(style: Style, chords, sections, rng) -> list[Note]:
    notes: list[Note] = []
    for sec, bar in _bars_of(sections):
        t0 = bar * BEATS_PER_BAR
        v = _voice(chords[bar], 62)
        if sec.name == "ending":
            notes += [Note(t0, 4.0 * sec.bars, p, 78) for p in v]
            break
        soft = sec.name == "intro"
        base = 58 if soft else 72
        kind = style.accomp
        if kind == "block":
            notes += [Note(t0, 4.0, p, base) for p in v]
        elif kind == "pulse8":
            for k in range(8):
                acc = 10 if k % 2 == 0 else 0
                notes += [Note(t0 + 0.5 * k, 0.45, p, base - 6 + acc) for p in v]
        elif kind == "offbeat":  # lo-fi: on one and on the and-of-two, held
            notes += [Note(t0, 1.4, p, base) for p in v] + [Note(t0 + 1.5, 2.4, p, base - 8) for p in v]
        elif kind == "arpeggio":  # broken chord in eighths, up and down
            seq = [v[0] - 12] + v + [v[0] + 12] + v[::-1][1:-1]
            for k in range(8):
                notes.append(Note(t0 + 0.5 * k, 0.9, seq[k % len(seq)], base - 8 + (14 if k % 2 == 0 else 0)))
        elif kind == "strum":  # down, down-up, up-down-up, a few ms between strings
            for beat, vel in ((0, 0), (1, -6), (1.5, -14), (2.5, -14), (3, -6), (3.5, -14)):
                notes += [Note(t0 + beat + 0.02 * i, 0.9, p, base + vel) for i, p in enumerate(v)]
        elif kind == "comp":  # jazz: syncopated shells
            for beat in (0, 2.5) if rng.random() < 0.5 else (1.5, 3):
                notes += [Note(t0 + beat, 0.8, p, base - 4) for p in v]
        elif kind == "power":  # rock: root + fifth + octave in eighths, on the chord's own root
            r = chords[bar][0] - 12 * ((chords[bar][0] - 41) // 12)  # the root between F2 and E3
            # A distorted note's overtones include a major third above it; in a minor key the chord's
            # own third is played too, or the overtones alone make a minor piece heard as major.
            third = r + (chords[bar][1] - chords[bar][0])
            voicing = (r, r + 7, r + 12) if mode_is_major(chords[bar]) else (r, third + 12, r + 7, r + 12)
            for k in range(8):
                notes += [Note(t0 + 0.5 * k, 0.45, p, base + (8 if k % 2 == 0 else 0)) for p in voicing]
    return notes


def mode_is_major(chord: list[int]) -> bool:
    """Whether a chord (root position, as _chord builds it) has a major third."""
    return chord[1] - chord[0] == 4


def _pad(chords, sections) -> list[Note]:
    notes = []
    for sec, bar in _bars_of(sections):
        length = 4.0 * (sec.bars if sec.name == "ending" else 1)
        notes += [Note(bar * BEATS_PER_BAR, length, p, 60) for p in _voice(chords[bar], 66)]
        if sec.name == "ending":
            break
    return notes


def _phrase(style: Style, scale, root_midi: int, degrees4: list[int], rng) -> list[tuple[float, float, int]]:
    """A 4-bar melodic phrase over four chords: (beat offset, length, scale index) triples.

    Strong beats take chord tones, others step through the scale; the line wanders near the
    middle of the lead's range and ends on a long chord tone.
    """
    rhythms = MELODY_RHYTHMS[style.rhythm]
    out = []
    idx = 7 + int(rng.choice([0, 2, 4]))  # start on a tonic-chord tone an octave up
    for b, degree in enumerate(degrees4):
        pattern = rhythms[int(rng.integers(len(rhythms)))] if b < 3 else [2, 2] if style.rhythm != "slow" else [4]
        chord_steps = {(degree + k) % 7 for k in (0, 2, 4)}
        t = 0.0
        for i, length in enumerate(pattern):
            if length < 0:
                t -= length
                continue
            strong = t in (0.0, 2.0) or (b == 3 and i == len(pattern) - 1)
            if strong:  # nearest chord tone to where the line is heading
                target = idx + int(rng.integers(-2, 3))
                cands = [s for s in range(target - 3, target + 4) if s % 7 in chord_steps]
                idx = min(cands, key=lambda s: abs(s - target) + 0.3 * abs(s - 9))
            else:
                idx += int(rng.choice([-2, -1, -1, 1, 1, 2]))
            idx = int(np.clip(idx, 4, 14))
            out.append((b * BEATS_PER_BAR + t, length, idx))
            t += length
    return out


def _vary(phrase: list[tuple[float, float, int]], rng) -> list[tuple[float, float, int]]:
    """The same phrase, recognisably: its rhythm and strong-beat notes kept, passing notes moved a
    step or two, and the first half-phrase answered a third higher."""
    out = []
    for start, length, idx in phrase:
        if start % 2 and start < 3 * BEATS_PER_BAR:
            idx += int(rng.choice([-2, -1, 1, 2]))
        elif start < 2 * BEATS_PER_BAR and start % 2 == 0:
            idx += 2
        out.append((start, length, int(np.clip(idx, 4, 14))))
    return out


def _melody(style: Style, scale, root_midi: int, degrees, sections, rng) -> list[Note]:
    phrases: dict[str, list] = {}
    notes: list[Note] = []
    lead_root = root_midi + (12 if style.lead in (73, 71, 68, 40, 81, 80, 10, 14) else 0)
    for sec in sections:
        t0 = sec.start_bar * BEATS_PER_BAR
        if sec.name == "intro":
            continue
        if sec.name == "ending":
            notes.append(Note(t0, 4.0 * sec.bars, _scale_pitch(scale, lead_root, 7), 84))
            continue
        degs = [degrees[sec.start_bar + i] for i in range(sec.bars)] + [0] * (4 - sec.bars)
        if sec.name not in phrases:  # the A phrase returns every A section: repetition makes form
            plain = sec.name.rstrip("'")
            if plain not in phrases:
                phrases[plain] = _phrase(style, scale, lead_root, degs, rng)
            phrases[sec.name] = phrases[plain] if plain == sec.name else _vary(phrases[plain], rng)
        for start, length, idx in phrases[sec.name]:
            if start < sec.bars * BEATS_PER_BAR:
                vel = 92 + (8 if start % 2 == 0 else 0) + int(rng.integers(-6, 7))
                notes.append(Note(t0 + start, length * 0.95, _scale_pitch(scale, lead_root, idx), vel))
    return notes


def _bass(style: Style, scale, root_midi: int, degrees, sections, rng) -> list[Note]:
    notes = []
    low = root_midi - 24 if root_midi - 24 >= 28 else root_midi - 12  # E1 up: a bass an octave higher brightens the key
    for sec, bar in _bars_of(sections):
        t0 = bar * BEATS_PER_BAR
        root = _scale_pitch(scale, low, degrees[bar])
        fifth = _scale_pitch(scale, low, degrees[bar] + 4)
        if sec.name == "ending":
            notes.append(Note(t0, 4.0 * sec.bars, _scale_pitch(scale, low, 0), 96))
            break
        pat = "whole" if sec.name == "intro" and style.bass_pattern != "whole" else style.bass_pattern
        if pat == "whole":
            notes.append(Note(t0, 3.9, root, 90))
        elif pat == "halves":
            notes += [Note(t0, 1.9, root, 96), Note(t0 + 2, 1.9, fifth if rng.random() < 0.5 else root, 88)]
        elif pat == "eighths":  # the root, with the octave (a major chord) or the minor third late in the bar
            third = _scale_pitch(scale, low, degrees[bar] + 2)
            turn = root + 12 if third - root == 4 else third
            notes += [
                Note(t0 + 0.5 * k, 0.45, turn if k in (5, 6) else root, 98 if k % 2 == 0 else 84) for k in range(8)
            ]
        elif pat == "boombap":
            notes += [Note(t0, 1.2, root, 100), Note(t0 + 1.75, 0.5, root, 84), Note(t0 + 2.5, 1.3, fifth, 92)]
        elif pat == "walking":  # root, two scale tones, then a step into the next root
            nxt_degree = degrees[bar + 1] if bar + 1 < len(degrees) else degrees[bar]
            mid = [_scale_pitch(scale, low, degrees[bar] + s) for s in (2, 4)]
            # a scale step, not a chromatic half step: four of those a bar blur which key it is
            approach = _scale_pitch(scale, low, nxt_degree + (-1 if rng.random() < 0.5 else 1))
            notes += [Note(t0 + k, 0.9, p, 96 - 6 * (k % 2)) for k, p in enumerate([root, *mid, approach])]
    return notes


def _timpani(root_midi: int, degrees, sections, scale) -> list[Note]:
    notes = []
    low = root_midi - 24
    for sec, bar in _bars_of(sections):
        if sec.name == "ending":
            notes += [Note(bar * 4 + k * 0.25, 0.25, low, 60 + 4 * k) for k in range(8)]
            break
        notes += [
            Note(bar * 4, 1, _scale_pitch(scale, low, degrees[bar]), 100),
            Note(bar * 4 + 2.5, 1, _scale_pitch(scale, low, degrees[bar] + 4), 84),
        ]
    return notes


def _drums(groove: str, sections, rng) -> list[Note]:
    pattern = DRUM_GROOVES[groove]
    notes = []
    for sec, bar in _bars_of(sections):
        t0 = bar * BEATS_PER_BAR
        if sec.name == "ending":
            notes += [Note(t0, 2.0, CRASH, 100), Note(t0, 1.0, KICK, 110)]
            break
        first_of_section = bar == sec.start_bar and sec.name != "intro" and bar > 0
        last_of_section = bar == sec.start_bar + sec.bars - 1 and sec.name != "intro"
        for key, steps in pattern.items():
            if sec.name == "intro" and key not in (CLOSED_HAT, RIDE, SHAKER, KICK, PEDAL_HAT):
                continue
            for s, mark in enumerate(steps):
                if mark == "." or (last_of_section and s >= 12 and key in (SNARE, CLAP, SIDE_STICK)):
                    continue
                vel = 104 if mark == "x" else 70
                notes.append(Note(t0 + s / 4, 0.25, key, vel + int(rng.integers(-6, 7))))
        if first_of_section:
            notes.append(Note(t0, 2.0, CRASH, 96))
        if last_of_section:  # a fill into the next section
            fill = SNARE if groove not in ("epic",) else LOW_TOM
            notes += [Note(t0 + 3 + k / 4, 0.25, fill, 70 + 10 * k) for k in range(4)]
    return notes


def _swing(beat: float, ratio: float) -> float:
    """Delay off-beat eighths (and the sixteenths around them) to ``ratio`` of the beat."""
    whole = np.floor(beat + 1e-9)
    frac = beat - whole
    if abs(frac - 0.5) < 1e-6:
        return whole + ratio
    if abs(frac - 0.75) < 1e-6:
        return whole + ratio + (1 - ratio) / 2
    return beat


# --- MIDI file ---------------------------------------------------------------------------


def _midi_text(text: str) -> str:
    """A text for a MIDI meta event, written as UTF-8 (mido writes Latin-1 only: a Korean prompt
    or an emoji failed the whole piece)."""
    return text.encode("utf-8").decode("latin-1")


def write_midi(piece: Piece, path: str | Path, ticks_per_beat: int = 480) -> Path:
    """A type-1 Standard MIDI File: a tempo track, then one track per part."""
    import mido

    mid = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("track_name", name=_midi_text(piece.plan.prompt[:60] or "Audio AI Studio"), time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(piece.plan.bpm), time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    key = NOTE_NAMES[piece.plan.tonic] + ("m" if piece.plan.mode == "minor" else "")
    try:
        meta.append(mido.MetaMessage("key_signature", key=key, time=0))
    except (KeyError, ValueError):  # mido knows most but not every spelling
        pass
    end_tick = int(round(piece.seconds / piece.beat_seconds * ticks_per_beat))
    meta.append(mido.MetaMessage("end_of_track", time=end_tick))
    mid.tracks.append(meta)
    for part in piece.parts:
        if not part.notes:
            continue
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=f"{part.name} ({part.instrument})", time=0))
        ch = part.channel
        if not part.is_drums:
            track.append(mido.Message("program_change", channel=ch, program=part.program, time=0))
        track.append(mido.Message("control_change", channel=ch, control=7, value=part.volume, time=0))
        track.append(mido.Message("control_change", channel=ch, control=10, value=part.pan, time=0))
        events = []
        for n in part.notes:
            on = int(round(n.start * ticks_per_beat))
            off = max(on + 1, int(round((n.start + n.length) * ticks_per_beat)))
            events.append((off, 0, "note_off", n.pitch, 0))
            events.append((on, 1, "note_on", n.pitch, n.velocity))
        events.sort()
        last = 0
        for tick, _, kind, pitch, vel in events:
            track.append(mido.Message(kind, channel=ch, note=pitch, velocity=vel, time=tick - last))
            last = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    path = Path(path)
    mid.save(path)
    return path
