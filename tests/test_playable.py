"""tabs/playable.py answers Gradio's "can a browser play this?" from the file header; it must
agree with Gradio's own ffprobe check on every format, and cover the bundled examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio import processing_utils

from tabs import playable

ROOT = Path(__file__).resolve().parent.parent

FORMATS = [  # (file name, libsndfile format, subtype): playable ones and ones a browser cannot play
    ("pcm16.wav", "WAV", "PCM_16"),
    ("pcm24.wav", "WAV", "PCM_24"),
    ("float.wav", "WAV", "FLOAT"),
    ("u8.wav", "WAV", "PCM_U8"),
    ("pcm32.wav", "WAV", "PCM_32"),
    ("double.wav", "WAV", "DOUBLE"),
    ("ulaw.wav", "WAV", "ULAW"),
    ("clip.flac", "FLAC", "PCM_16"),
    ("vorbis.ogg", "OGG", "VORBIS"),
    ("opus.ogg", "OGG", "OPUS"),
    ("clip.mp3", "MP3", "MPEG_LAYER_III"),
    ("clip.aiff", "AIFF", "PCM_16"),
]


@pytest.mark.parametrize(("name", "fmt", "subtype"), FORMATS)
def test_header_answer_equals_ffprobe_answer(tmp_path, name, fmt, subtype):
    path = tmp_path / name
    rate = 48000 if subtype == "OPUS" else 16000
    sf.write(path, np.zeros(rate // 2, dtype=np.float32), rate, format=fmt, subtype=subtype)
    assert playable.audio_is_playable(str(path)) == playable._gradio_check(str(path))


def test_a_file_libsndfile_cannot_read_goes_to_ffprobe(tmp_path):
    path = tmp_path / "not-audio.m4a"
    path.write_bytes(b"\x00" * 64)
    assert playable.codec_from_header(str(path)) is None
    assert playable.audio_is_playable(str(path)) == playable._gradio_check(str(path))


def test_every_bundled_example_is_answered_from_its_header():
    examples = sorted(p for p in (ROOT / "assets" / "examples").iterdir() if p.suffix in {".wav", ".mp3", ".flac"})
    assert examples
    for path in examples:
        assert playable.codec_from_header(str(path)) is not None, path.name
        assert playable.audio_is_playable(str(path)), path.name


def test_building_the_app_installs_the_header_check():
    import app
    from pipelines.core.config import Settings

    app.build_app(Settings(offline=True))
    assert processing_utils.audio_is_playable is playable.audio_is_playable
