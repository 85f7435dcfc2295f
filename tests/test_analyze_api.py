"""The Analyze tab through the API (/analyze), as gradio_client users call it."""

from __future__ import annotations

import json
import zipfile

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import EXAMPLES


def test_analyze_music_with_defaults(client):
    summary, clicks, facts, *rest = client.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), api_name="/analyze")
    *images, json_path, zip_path = rest
    assert "120 BPM" in summary and "LUFS" in summary
    rows = {r[0]: r[1] for r in facts["data"]}
    assert rows["Tempo"].startswith("120.")
    assert "Integrated loudness" in rows and "vs podcast (-16 LUFS)" in rows
    assert clicks and clicks.endswith(".wav")
    drawn = [p for p in images if p]
    assert len(drawn) == 4  # loudness, beats, key and chords, mood (no pitch for music)
    for p in drawn:
        with Image.open(p) as img:
            assert img.format == "PNG" and img.size[0] >= 400
    data = json.loads(open(json_path).read())
    assert data["kind"] == "music" and data["music"]["rhythm"]["bpm"] == pytest.approx(120, abs=1)
    with zipfile.ZipFile(zip_path) as zf:
        assert {"analysis.json", "loudness.csv", "beats.csv", "chords.csv"} <= set(zf.namelist())


def test_analyze_speech_without_whisper(client):
    summary, clicks, facts, *rest = client.predict(
        handle_file(str(EXAMPLES / "speech_librivox.wav")),
        kind="speech",
        transcribe=False,
        target="podcast",
        api_name="/analyze",
    )
    rows = {r[0]: r[1] for r in facts["data"]}
    assert clicks is None
    assert "Pitch (median)" in rows and "Speaking rate" not in rows
    assert "podcast target" in summary


def test_bad_input_is_a_clear_message(client, tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not audio")
    with pytest.raises(AppError):
        client.predict(handle_file(str(not_audio)), api_name="/analyze")
    with pytest.raises(AppError, match="not in the list of choices"):  # Gradio checks the radio first
        client.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), kind="poetry", api_name="/analyze")
    with pytest.raises(AppError, match="No audio"):
        client.predict(None, api_name="/analyze")
    # and the server still serves
    summary, *_ = client.predict(handle_file(str(EXAMPLES / "c_major_chord.wav")), kind="music", api_name="/analyze")
    assert "C major" in summary


def test_too_long_for_analyze_is_refused_before_work(client, tmp_path):
    import numpy as np
    import soundfile as sf

    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(8000 * 605, np.int16), 8000, subtype="PCM_16")  # 10:05 of silence, 10 MB
    with pytest.raises(AppError, match="analyzes up to 10.0 min"):
        client.predict(handle_file(str(path)), api_name="/analyze")
