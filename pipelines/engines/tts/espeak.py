"""espeak-ng (bundled, about 130 languages including Korean): the Debian binary, called as a
subprocess; robotic, but it speaks almost any language with no download."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.registry import ModelSpec, register
from pipelines.engines.tts.base import EngineUnavailable, Rendered, TTSEngine, Voice

ESPEAK_BASE_WPM = 175  # words per minute at speed 1


@dataclass
class EspeakOptions:
    """espeak-ng's own controls."""

    pitch: int = 50  # 0-99


def _espeak_binary() -> str | None:
    return shutil.which("espeak-ng")


ESPEAK_SPEC = register(
    ModelSpec(
        key="espeak-ng",
        task="speak",
        title="espeak-ng (bundled, ~130 languages, Debian package)",
        engine="bundled",
        licence="GPL-3.0-or-later (espeak-ng and its language data)",
        loader=_espeak_binary,
        size_mb=None,
        binaries=("espeak-ng",),
        note="needs the Debian package espeak-ng",
    )
)

ESPEAK_MISSING = (
    "espeak-ng is not installed on this server, so its voices (Korean and ~130 other languages) "
    "are unavailable. An administrator can install it with `apt-get install espeak-ng`."
)


class EspeakEngine(TTSEngine):
    key = "espeak"
    title = "espeak-ng (bundled)"
    default_voice = "espeak:en-us"
    Options = EspeakOptions
    _voices: list[Voice] | None = None
    _lock = threading.Lock()

    def availability(self, offline: bool = False) -> tuple[bool, str]:
        return ESPEAK_SPEC.availability(check_hub=False)

    def prepare(self) -> None:
        if _espeak_binary() is None:
            raise EngineUnavailable(ESPEAK_MISSING)

    def voices(self, offline: bool = False) -> list[Voice]:
        with self._lock:
            if self._voices is None:
                exe = _espeak_binary()
                if exe is None:  # not cached: installing espeak-ng later makes its voices appear
                    return []
                self._voices = _parse_espeak_voices(
                    subprocess.run([exe, "--voices"], capture_output=True, text=True, timeout=20).stdout
                )
            return list(self._voices)

    def synthesize(self, text: str, voice: Voice, options: EspeakOptions, speed: float = 1.0) -> Rendered:
        import soundfile as sf

        exe = _espeak_binary()
        if exe is None:
            raise EngineUnavailable(ESPEAK_MISSING)
        wpm = int(np.clip(ESPEAK_BASE_WPM * float(speed), 80, 450))
        with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
            wav = Path(tmp) / "out.wav"
            # Text on stdin: no shell, no length limit of the command line, no option injection.
            run = subprocess.run(
                [
                    exe,
                    "-v",
                    voice.short_id,
                    "-s",
                    str(wpm),
                    "-p",
                    str(int(np.clip(options.pitch, 0, 99))),
                    "-w",
                    str(wav),
                    "--stdin",
                ],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=120,
            )
            if run.returncode != 0 or not wav.exists():
                raise RuntimeError(f"espeak-ng failed: {run.stderr.decode(errors='replace').strip()}")
            audio, sr = sf.read(str(wav), dtype="float32")
        return Rendered(np.asarray(audio, np.float32), int(sr))


def _parse_espeak_voices(listing: str) -> list[Voice]:
    """Two voices per language from ``espeak-ng --voices``: the default (male) and +f3 (female)."""
    voices = []
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        code, name = parts[1], parts[3].replace("_", " ")
        language_name = name
        voices.append(Voice(f"espeak:{code}", "espeak", f"espeak {code}", code, language_name, "male"))
        voices.append(
            Voice(f"espeak:{code}+f3", "espeak", f"espeak {code} (female variant)", code, language_name, "female")
        )
    return voices
