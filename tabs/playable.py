"""A fast answer to Gradio's "can a browser play this audio file?".

Gradio asks ``processing_utils.audio_is_playable`` for every audio file it sends to the browser:
each example of every tab when the app is built, and every audio result. It answers by running
``ffprobe`` in a subprocess, about 55 ms each here; 13 tabs ask it 32 times while building, which
was 1.7 s of a 2.8 s build (``benchmarks/bench_startup.py``). The files this app serves are WAV,
FLAC, OGG or MP3 that libsndfile reads in a fraction of a millisecond from their header, so those
are answered from the header with the same (container, codec) table Gradio uses, and anything
else still goes to Gradio's own ffprobe check. ``tests/test_playable.py`` checks that both agree.
"""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from gradio import processing_utils

# libsndfile (format, subtype) -> the codec name ffprobe reports, for the containers browsers play
_CODECS = {
    ("WAV", "PCM_16"): "pcm_s16le",
    ("WAV", "PCM_24"): "pcm_s24le",
    ("WAV", "FLOAT"): "pcm_f32le",
    ("WAV", "PCM_U8"): "pcm_u8",
    ("FLAC", "PCM_16"): "flac",
    ("FLAC", "PCM_24"): "flac",
    ("FLAC", "PCM_S8"): "flac",
    ("OGG", "VORBIS"): "vorbis",
    ("OGG", "OPUS"): "opus",
    ("MP3", "MPEG_LAYER_III"): "mp3",
}

_gradio_check = processing_utils.audio_is_playable


def codec_from_header(path: str) -> str | None:
    """The ffprobe codec name of a file libsndfile can read, or None (then ask ffprobe)."""
    try:
        info = sf.info(path)
    except Exception:  # not a format libsndfile knows (m4a, webm...): ffprobe decides
        return None
    return _CODECS.get((info.format, info.subtype))


def audio_is_playable(audio_filepath: str) -> bool:
    codec = codec_from_header(audio_filepath)
    if codec is None:
        return _gradio_check(audio_filepath)
    return (Path(audio_filepath).suffix.lower(), codec) in processing_utils.PLAYABLE_AUDIO_CODECS


def install() -> None:
    """Route Gradio's check through the header reader (idempotent)."""
    processing_utils.audio_is_playable = audio_is_playable
