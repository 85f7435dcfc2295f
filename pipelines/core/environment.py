"""Every ``AUDIO_STUDIO_*`` environment variable the engines read, in one place.

``core.config.Settings`` (the app's flags) holds one of these as ``settings.engines``; engines and
tasks, which run without the app, call :func:`engine_settings`, which reads the environment each
time (cheap), so a variable set by a test or an operator's script is seen at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "AUDIO_STUDIO_"
MODEL_DIRS_ENV = ENV_PREFIX + "MODEL_DIRS"


def env(name: str, default: str | None = None) -> str | None:
    """``AUDIO_STUDIO_<name>`` (None or ``default`` when unset)."""
    return os.environ.get(ENV_PREFIX + name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _half_the_cores() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass(frozen=True)
class EngineSettings:
    """What the operator may tune beyond the flags. Each field names its variable."""

    cpu_threads: int = 0  # CPU_THREADS: Whisper's threads (0: up to 4, the cores there are)
    llm_threads: int = 0  # LLM_THREADS: the bundled language model's threads (0: half the cores)
    llm_context: int = 8192  # LLM_CONTEXT: tokens the operator's language-model server is given
    llm_repack: bool = False  # LLM_REPACK: llama.cpp's repacked weights (crashed on AMX CPUs)
    llm_runtime: str = "auto"  # LLM_RUNTIME: the bundled model's: auto (llama_cpp when installed), xllamacpp, llama_cpp
    edge_offline: bool = False  # EDGE_OFFLINE: never use the online Edge voices
    max_text_chars: int = 5000  # MAX_TEXT_CHARS: longest text Speak accepts
    cache_dir: Path | None = None  # CACHE: model cache folder (default: $XDG_CACHE_HOME/audio-ai-studio)
    model_dirs: tuple[Path, ...] = ()  # MODEL_DIRS: folders local models may be read from (os.pathsep)
    live_streams: int = 0  # LIVE_STREAMS: live-caption streams at once (0: one per two cores)
    live_idle_s: float = 10.0  # LIVE_IDLE_S: a live stream with no audio this long is over

    @classmethod
    def from_env(cls) -> EngineSettings:
        d = cls()
        dirs = env("MODEL_DIRS", "") or ""
        cache = env("CACHE")
        return cls(
            cpu_threads=int(env("CPU_THREADS") or d.cpu_threads) or min(4, os.cpu_count() or 1),
            llm_threads=int(env("LLM_THREADS") or d.llm_threads) or _half_the_cores(),
            llm_context=int(env("LLM_CONTEXT") or d.llm_context),
            llm_repack=env("LLM_REPACK", "") == "1",
            llm_runtime=env("LLM_RUNTIME") or d.llm_runtime,
            edge_offline=env("EDGE_OFFLINE", "") in {"1", "true", "True"},
            max_text_chars=int(env("MAX_TEXT_CHARS") or d.max_text_chars),
            cache_dir=Path(cache) if cache else None,
            model_dirs=tuple(Path(p).expanduser().resolve() for p in dirs.split(os.pathsep) if p.strip()),
            live_streams=int(env("LIVE_STREAMS") or d.live_streams) or _half_the_cores(),
            live_idle_s=float(env("LIVE_IDLE_S") or d.live_idle_s),
        )


def engine_settings() -> EngineSettings:
    """The engines' settings as the environment says now."""
    return EngineSettings.from_env()
