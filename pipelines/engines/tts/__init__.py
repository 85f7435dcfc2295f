"""Text-to-speech engines behind the Speak task: one module per engine, one interface (``base``).

- ``piper``: Piper (bundled, the default), a natural US English voice.
- ``espeak``: espeak-ng (bundled, about 130 languages including Korean), robotic.
- ``edge``: edge-tts, Microsoft Edge's online read-aloud voices (only when reachable).

Each engine turns ONE sentence into float32 mono audio (``Rendered``); ``pipelines.speak``
splits text into sentences, joins them with pauses and writes the files. A new engine: a module
here with a ``TTSEngine`` subclass and its own ``Options`` dataclass, added to ``ENGINES``.
"""

from __future__ import annotations

from pipelines.engines.tts.base import EngineUnavailable, NoOptions, Rendered, TTSEngine, Voice
from pipelines.engines.tts.edge import EDGE_HOST, EDGE_PORT, EDGE_SPEC, EdgeEngine, EdgeOptions, decode_mp3
from pipelines.engines.tts.espeak import ESPEAK_MISSING, ESPEAK_SPEC, EspeakEngine, EspeakOptions, _espeak_binary
from pipelines.engines.tts.piper import PIPER_SPEC, PIPER_VOICE_ID, PiperEngine, PiperOptions

# In the order the Speak tab offers them; bundled engines before online ones.
ENGINES: dict[str, TTSEngine] = {e.key: e for e in (PiperEngine(), EspeakEngine(), EdgeEngine())}

__all__ = [
    "EDGE_HOST",
    "EDGE_PORT",
    "EDGE_SPEC",
    "ENGINES",
    "ESPEAK_MISSING",
    "ESPEAK_SPEC",
    "PIPER_SPEC",
    "PIPER_VOICE_ID",
    "EdgeEngine",
    "EdgeOptions",
    "EngineUnavailable",
    "EspeakEngine",
    "EspeakOptions",
    "NoOptions",
    "PiperEngine",
    "PiperOptions",
    "Rendered",
    "TTSEngine",
    "Voice",
    "_espeak_binary",
    "decode_mp3",
]
