"""Whisper for every task that hears speech (faster-whisper, CTranslate2 int8 on the CPU).

- ``model``: the bundled and hub models in the registry, loading, and a whole recording decoded
  in one call with bounded memory (``transcribe_whole``).
- ``languages``: Whisper's language table and what a user may type for a language.
- ``choice``: which model answers (``auto`` and the user's names), what an English-only model
  cannot do, and the engine line shown.
- ``detect``: the input check and spoken-language detection on the speech the VAD finds.
- ``segments``: ``SegmentInfo`` (a segment and its words, ``formats.subtitles.TimedText``), the
  not-speech rule, decoding a passage again.

The live, short-window decoder is its neighbour ``engines/whisper_live.py``. Tasks import these
modules, never the Transcribe task, for anything about Whisper itself.
"""

from pipelines.engines.whisper.languages import AUTO, LANGUAGES, language_name, parse_language
from pipelines.engines.whisper.model import (
    BASE,
    BASE_FILES,
    BASE_MODEL_BIN_BYTES,
    DEFAULT_CPU_THREADS,
    ENGLISH_ONLY,
    FEATURE_CHUNK_FRAMES,
    HUB_SIZES,
    HUB_SIZES_MB,
    LOCAL_PREFIX,
    SAMPLE_RATE,
    TINY_EN,
    base_model_path,
    concat_reader,
    fetch_hub_model,
    get_whisper,
    hub_download_bytes,
    hub_repo_id,
    log_mel,
    register_local,
    tiny_en_path,
    transcribe_whole,
    whisper_keys,
)

__all__ = [
    "AUTO",
    "BASE",
    "BASE_FILES",
    "BASE_MODEL_BIN_BYTES",
    "DEFAULT_CPU_THREADS",
    "ENGLISH_ONLY",
    "FEATURE_CHUNK_FRAMES",
    "HUB_SIZES",
    "HUB_SIZES_MB",
    "LANGUAGES",
    "LOCAL_PREFIX",
    "SAMPLE_RATE",
    "TINY_EN",
    "base_model_path",
    "concat_reader",
    "fetch_hub_model",
    "get_whisper",
    "hub_download_bytes",
    "hub_repo_id",
    "language_name",
    "log_mel",
    "parse_language",
    "register_local",
    "tiny_en_path",
    "transcribe_whole",
    "whisper_keys",
]
