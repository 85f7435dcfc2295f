"""Speaker turns and NIST RTTM, the file format diarization results are exchanged in.

One ``SPEAKER`` line per turn: ``SPEAKER <uri> 1 <start> <duration> <NA> <NA> <name> <NA> <NA>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.formats.subtitles import speaker_names


@dataclass
class Turn:
    start: float
    end: float
    speaker: str  # "SPEAKER_00", ... in order of first appearance

    @property
    def duration(self) -> float:
        return self.end - self.start


def to_rttm(turns: list[Turn], uri: str = "audio", names: dict[str, str] | None = None) -> str:
    """NIST RTTM, one SPEAKER line per turn (names may not contain spaces there)."""
    shown = speaker_names(sorted({t.speaker for t in turns}), names)
    uri = "_".join(uri.split()) or "audio"
    return "".join(
        f"SPEAKER {uri} 1 {t.start:.3f} {t.duration:.3f} <NA> <NA> {'_'.join(shown[t.speaker].split())} <NA> <NA>\n"
        for t in turns
    )


def read_rttm(text: str) -> list[Turn]:
    """The SPEAKER lines of an RTTM file as turns (other lines are ignored)."""
    turns = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            turns.append(Turn(float(f[3]), float(f[3]) + float(f[4]), f[7]))
    return turns
