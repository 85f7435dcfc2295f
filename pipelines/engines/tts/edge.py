"""edge-tts (online): Microsoft Edge's read-aloud service. Every network step has a short
timeout, so an unreachable service becomes a message, never a hang."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.environment import engine_settings
from pipelines.core.hub import probe_host
from pipelines.core.registry import ModelSpec, register
from pipelines.engines.tts.base import EngineUnavailable, Rendered, TTSEngine, Voice
from pipelines.formats.subtitles import TimedText

log = logging.getLogger(__name__)

EDGE_HOST = "speech.platform.bing.com"
EDGE_PORT = 443
EDGE_PROBE_TIMEOUT_S = 2.5  # TCP connect (DNS included) to the service
EDGE_PROBE_CACHE_S = 60.0  # re-check reachability at most this often
EDGE_CONNECT_TIMEOUT_S = 5
EDGE_RECEIVE_TIMEOUT_S = 15
EDGE_SENTENCE_TIMEOUT_S = 30.0  # one sentence, everything included
EDGE_VOICES_TIMEOUT_S = 8.0
_WELL_FORMED = re.compile(r"edge:[a-z]{2,3}-[A-Za-z0-9]+-\w+")


@dataclass
class EdgeOptions:
    """The online voices' own controls."""

    rate: int = 0  # extra rate in percent, on top of the speed
    volume: int = 0  # volume change in percent
    pitch: int = 0  # pitch change in Hz


EDGE_SPEC = register(
    ModelSpec(
        key="edge-tts",
        task="speak",
        title="edge-tts online voices (Microsoft Edge read-aloud service)",
        engine="hub",
        licence="edge-tts client LGPL-3.0; voices are Microsoft's online service (its terms apply; output for personal use)",
        loader=lambda: __import__("edge_tts"),
        requires=("edge_tts",),
        note=f"an online service ({EDGE_HOST}), not the Hugging Face hub; used only when reachable",
    )
)


# Shown (and usable through the fallback) when the service's own list cannot be fetched.
EDGE_KNOWN_VOICES = [
    ("en-US-AriaNeural", "female"),
    ("en-US-GuyNeural", "male"),
    ("en-GB-SoniaNeural", "female"),
    ("en-GB-RyanNeural", "male"),
    ("ko-KR-SunHiNeural", "female"),
    ("ko-KR-InJoonNeural", "male"),
    ("ja-JP-NanamiNeural", "female"),
    ("zh-CN-XiaoxiaoNeural", "female"),
    ("fr-FR-DeniseNeural", "female"),
    ("de-DE-KatjaNeural", "female"),
    ("es-ES-ElviraNeural", "female"),
    ("it-IT-DiegoNeural", "male"),
]


@dataclass
class _Probe:
    reachable: bool
    reason: str
    at: float = field(default_factory=time.monotonic)


class EdgeEngine(TTSEngine):
    key = "edge"
    title = "edge-tts (online)"
    online = True
    default_voice = "edge:en-US-AriaNeural"
    Options = EdgeOptions

    def __init__(self) -> None:
        self._probe: _Probe | None = None
        self._voices: list[Voice] | None = None
        self._lock = threading.Lock()

    # Reachability: a TCP connect in a daemon thread, so even a stuck DNS lookup cannot hang us.
    def availability(self, offline: bool = False) -> tuple[bool, str]:
        if offline or engine_settings().edge_offline:
            return False, "this server is set to work offline, so online voices are not used"
        if EDGE_SPEC.missing_modules():
            return False, "the Python package edge-tts is not installed"
        with self._lock:
            probe = self._probe
        if probe is None or time.monotonic() - probe.at > EDGE_PROBE_CACHE_S:
            probe = _Probe(*probe_host(EDGE_HOST, EDGE_PORT, EDGE_PROBE_TIMEOUT_S))
            with self._lock:
                self._probe = probe
        return probe.reachable, probe.reason

    reachability = availability  # the older name: is the service reachable

    def prepare(self) -> None:
        """Nothing to load: the service is reached per sentence."""

    def find_voice(self, voice_id: str, offline: bool = False) -> Voice | None:
        """A listed voice; when the list cannot be checked, a well-formed id stands (the fallback answers)."""
        ok, _ = self.availability(offline)
        listed = {v.id: v for v in self.voices(offline)}
        if voice_id in listed:
            return listed[voice_id]
        if not ok and _WELL_FORMED.fullmatch(voice_id):
            short = voice_id.split(":", 1)[1]
            locale = "-".join(short.split("-")[:2])
            return Voice(voice_id, "edge", short, locale, locale, "")
        return None

    def status(self, offline: bool = False) -> str:
        ok, reason = self.availability(offline)
        if ok:
            return f"reachable ({reason})"
        return f"not available: {reason}. Choosing an online voice answers with the closest bundled voice."

    def known_voices(self) -> list[Voice]:
        return [
            _edge_voice({"ShortName": short, "Locale": "-".join(short.split("-")[:2]), "Gender": gender})
            for short, gender in EDGE_KNOWN_VOICES
        ]

    def voices(self, offline: bool = False) -> list[Voice]:
        """The service's voice list (fetched once, with a timeout); a few well-known ones when unreachable."""
        ok, _ = self.availability(offline)
        if not ok:
            return self.known_voices()
        with self._lock:
            if self._voices is not None:
                return list(self._voices)
        import edge_tts

        try:
            raw = _run_async(edge_tts.list_voices(), EDGE_VOICES_TIMEOUT_S)
        except Exception:  # unreachable after all, or the service changed
            return self.known_voices()
        voices = [_edge_voice(v) for v in raw]
        with self._lock:
            self._voices = voices
        return list(voices)

    def synthesize(self, text: str, voice: Voice, options: EdgeOptions, speed: float = 1.0) -> Rendered:
        import edge_tts

        rate = int(round((float(speed) * (1 + options.rate / 100.0) - 1) * 100))
        communicate = edge_tts.Communicate(
            text,
            voice.short_id,
            rate=f"{rate:+d}%",
            volume=f"{int(options.volume):+d}%",
            pitch=f"{int(options.pitch):+d}Hz",
            boundary="WordBoundary",
            connect_timeout=EDGE_CONNECT_TIMEOUT_S,
            receive_timeout=EDGE_RECEIVE_TIMEOUT_S,
        )

        async def collect():
            mp3, words = bytearray(), []
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    mp3 += chunk["data"]
                elif chunk["type"] == "WordBoundary":
                    start = chunk["offset"] / 1e7  # 100-ns ticks
                    words.append(TimedText(start, start + chunk["duration"] / 1e7, chunk["text"]))
            return bytes(mp3), words

        try:
            mp3, words = _run_async(collect(), EDGE_SENTENCE_TIMEOUT_S)
        except Exception as exc:
            with self._lock:  # re-probe next time
                self._probe = None
            log.info("Online voice service failed: %s: %s", exc.__class__.__name__, exc)
            raise EngineUnavailable("The online voice service did not answer.") from exc
        audio, sr = decode_mp3(mp3)
        return Rendered(audio, sr, words)


def _run_async(coro, timeout: float):
    """Run a coroutine to completion from sync code.

    Gradio worker threads have no event loop, so asyncio.run works there; a caller whose thread
    already runs a loop (a notebook, Playwright's sync API in tests) gets a private thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(asyncio.wait_for(coro, timeout))
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(asyncio.wait_for(coro, timeout))
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="edge-tts", daemon=True)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _edge_voice(raw: dict) -> Voice:
    locale = raw.get("Locale", "")
    friendly = raw.get("FriendlyName", raw.get("ShortName", ""))
    language_name = friendly.split(" - ")[-1] if " - " in friendly else _locale_name(locale)
    short = raw.get("ShortName", "")
    name = short.split("-")[-1].replace("Neural", "") or short
    return Voice(f"edge:{short}", "edge", name, locale, language_name, str(raw.get("Gender", "")).lower())


def _locale_name(locale: str) -> str:
    """'ko-KR' -> 'Korean (South Korea)' via the espeak-like names we know; the code otherwise."""
    names = {
        "en": "English",
        "ko": "Korean",
        "ja": "Japanese",
        "zh": "Chinese",
        "fr": "French",
        "de": "German",
        "es": "Spanish",
        "it": "Italian",
    }
    primary, _, region = locale.partition("-")
    return f"{names.get(primary, primary)} ({region})" if region else names.get(primary, primary)


def decode_mp3(data: bytes) -> tuple[np.ndarray, int]:
    """MP3 bytes -> float32 mono through ffmpeg (the service sends 24 kHz MP3)."""
    import soundfile as sf

    from pipelines.core.audio import ffmpeg_executable

    if not data:
        raise EngineUnavailable("The online voice service sent no audio for this text.")
    exe = ffmpeg_executable()
    if exe is None:
        raise EngineUnavailable("ffmpeg is needed to decode the online voice's MP3 and is not installed.")
    with tempfile.TemporaryDirectory(prefix="edge-") as tmp:
        src, dst = Path(tmp) / "in.mp3", Path(tmp) / "out.wav"
        src.write_bytes(data)
        run = subprocess.run(
            [exe, "-v", "error", "-nostdin", "-i", str(src), "-ac", "1", "-acodec", "pcm_f32le", str(dst)],
            capture_output=True,
            timeout=120,
        )
        if run.returncode != 0:
            raise EngineUnavailable("The online voice's audio could not be decoded.")
        audio, sr = sf.read(str(dst), dtype="float32")
    return np.asarray(audio, np.float32), int(sr)
