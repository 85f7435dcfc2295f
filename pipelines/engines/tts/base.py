"""The one interface every text-to-speech engine implements, and the types they share.

An engine says whether it can answer here (``availability``), lists its voices (``voices``),
finds one by id (``find_voice``), loads what it needs (``prepare``) and turns ONE sentence into
float32 mono audio (``synthesize``). Its own controls are its own options dataclass
(``Options``); ``speed`` is shared by every engine. ``pipelines.speak`` uses only this interface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.core.registry import ModelUnavailable
from pipelines.formats.subtitles import TimedText


class EngineUnavailable(ModelUnavailable):
    """An engine cannot answer here (binary missing, service unreachable); says why."""


@dataclass(frozen=True)
class Voice:
    id: str  # "engine:name", what the API takes
    engine: str  # the engine's key: "piper", "espeak", "edge"
    name: str  # what users read
    language: str  # BCP-47-ish: "en-US", "ko", "cmn"
    language_name: str  # "English (America)", "Korean"
    gender: str  # "female", "male" or ""

    @property
    def primary_language(self) -> str:
        return self.language.split("-")[0].lower()

    @property
    def short_id(self) -> str:
        """The id without its engine: what the engine itself calls the voice."""
        return self.id.split(":", 1)[1]

    def label(self) -> str:
        gender = f", {self.gender}" if self.gender else ""
        return f"{self.name} ({self.language_name}{gender})"


@dataclass
class Rendered:
    audio: np.ndarray  # float32 mono in [-1, 1]
    sr: int
    words: list[TimedText] | None = None  # only engines that report word boundaries (times in the sentence)


@dataclass
class NoOptions:
    """An engine without controls of its own."""


class TTSEngine:
    """Base class: override ``voices``, ``synthesize`` and, where they differ, the rest."""

    key = ""
    title = ""
    online = False  # needs a network service; the Speak task may answer with a bundled voice instead
    default_voice = ""  # a voice id
    Options: type = NoOptions  # the engine's own controls (a dataclass with defaults)

    def availability(self, offline: bool = False) -> tuple[bool, str]:
        """(can it answer here now, why not in words)."""
        return True, "ready"

    def prepare(self) -> None:
        """Load what the first sentence needs (not part of the synthesis time)."""

    def voices(self, offline: bool = False) -> list[Voice]:
        raise NotImplementedError

    def find_voice(self, voice_id: str, offline: bool = False) -> Voice | None:
        """The voice with this id, or None; EngineUnavailable when the engine cannot answer here."""
        ok, reason = self.availability(offline)
        if not ok:
            raise EngineUnavailable(reason)
        return next((v for v in self.voices(offline) if v.id == voice_id), None)

    def synthesize(self, text: str, voice: Voice, options, speed: float = 1.0) -> Rendered:
        raise NotImplementedError

    def status(self, offline: bool = False) -> str:
        """One line for people: ready, or why not."""
        ok, reason = self.availability(offline)
        return "ready, works offline" if ok else reason
