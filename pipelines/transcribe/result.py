"""A transcript as it grows: segments, what was left out and why, timings, and the notes shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.engines.whisper.languages import language_name
from pipelines.engines.whisper.segments import SegmentInfo
from pipelines.formats.subtitles import TimedText


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
