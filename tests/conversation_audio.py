"""Conversations with overlapping turns, built from the repository's own real voices, with their
reference turns: the LibriVox reader of *Sense and Sensibility* (public domain) and the two speakers
of pyannote's sample (Diane and Sheila, MIT; their pieces cut where sample.rttm has one speaker).

Each piece starts a set time after the previous one ends: negative = the two overlap. The reference
turns are each piece's speech (Silero VAD inside the piece), so both engines are scored alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SR = 16_000
READER = "reader"  # LibriVox
DIANE, SHEILA = "diane", "sheila"  # pyannote's sample.wav: speaker90, speaker91


def librivox(number: str) -> np.ndarray:
    import soundfile as sf

    y, sr = sf.read(str(DATA / "librivox" / f"sense_and_sensibility_01_austen_64kb-{number}.wav"), dtype="float32")
    assert sr == SR
    return y


def sample(start: float, end: float) -> np.ndarray:
    import soundfile as sf

    y, sr = sf.read(str(DATA / "pyannote" / "sample.wav"), dtype="float32")
    assert sr == SR
    return y[int(start * SR) : int(end * SR)]


# one speaker only in each (sample.rttm: speaker90 = Diane, speaker91 = Sheila)
CLIPS = {
    "reader-0870": (READER, lambda: librivox("0870")),
    "reader-0880": (READER, lambda: librivox("0880")),
    "reader-0890": (READER, lambda: librivox("0890")),
    "reader-0920": (READER, lambda: librivox("0920")),
    "reader-0930": (READER, lambda: librivox("0930")),
    "diane-a": (DIANE, lambda: sample(8.32, 9.92)),
    "diane-b": (DIANE, lambda: sample(11.03, 14.49)),
    "diane-c": (DIANE, lambda: sample(18.59, 21.49)),
    "sheila-a": (SHEILA, lambda: sample(14.70, 18.05)),
    "sheila-b": (SHEILA, lambda: sample(21.78, 27.85)),
}

# (clip, seconds after the previous piece ends: negative overlaps it)
OVERLAPPING = [
    ("reader-0870", 0.0),
    ("diane-b", -0.8),
    ("sheila-a", -0.6),
    ("reader-0890", 0.5),
    ("diane-c", -1.0),
    ("sheila-b", 0.3),
    ("reader-0920", -1.2),
    ("diane-a", 0.4),
    ("reader-0930", -0.5),
]
# for known voices: the reader and Sheila enrolled from other clips, Diane unknown
ENROLL = {READER: ["reader-0920", "reader-0930"], SHEILA: ["sheila-b"]}
KNOWN_TEST = [
    ("reader-0870", 0.0),
    ("diane-b", 0.4),
    ("sheila-a", -0.5),
    ("reader-0890", 0.5),
    ("diane-c", 0.3),
]


@dataclass
class Conversation:
    audio: np.ndarray
    sr: int
    reference: list  # formats.rttm.Turn, speakers named by voice
    overlap_s: float  # seconds where two voices sound at once (reference)


def clip(name: str) -> np.ndarray:
    y = CLIPS[name][1]()
    rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
    return (y * (0.05 / max(rms, 1e-6))).astype(np.float32)  # one level for every voice


def build(pieces=OVERLAPPING, lead_s: float = 0.5, tail_s: float = 0.5) -> Conversation:
    from pipelines.engines.silero_vad import speech_regions
    from pipelines.formats.rttm import Turn

    placed, t = [], lead_s
    for name, gap in pieces:
        y = clip(name)
        start = max(0.0, t + gap) if placed else lead_s
        placed.append((name, start, y))
        t = start + len(y) / SR
    out = np.zeros(int((t + tail_s) * SR) + 1, np.float32)
    reference = []
    for name, start, y in placed:
        i = int(start * SR)
        out[i : i + len(y)] += y
        for a, b in speech_regions(y, SR):
            reference.append(Turn(round(start + float(a), 3), round(start + float(b), 3), CLIPS[name][0]))
    reference.sort(key=lambda r: r.start)
    total = sum(r.duration for r in reference)
    covered, end = 0.0, -1.0
    for r in reference:
        if r.end > end:
            covered += r.end - max(r.start, end)
            end = r.end
    return Conversation(np.clip(out, -1, 1), SR, reference, round(total - covered, 3))


if __name__ == "__main__":
    import sys

    import soundfile as sf

    sys.path.insert(0, str(ROOT))
    conv = build()
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/conversation.wav")
    sf.write(str(path), conv.audio, SR)
    print(path, f"{len(conv.audio) / SR:.1f} s, overlap {conv.overlap_s} s")
