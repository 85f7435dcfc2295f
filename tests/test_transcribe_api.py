"""The Transcribe tab through its API (gradio_client against the whole app, launched offline)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES, SPEECH_WAV, assert_monotonic, librivox_clips, parse_srt_times

REF = "And mister John Dashwood had then leisure to consider how much there might be prudently in his power to do for them"


def outputs(result) -> dict:
    keys = ["text", "info", "languages", "segments", "words", "files", "summary", "compare", "alignment", "word_table"]
    return dict(zip(keys, result))


def test_transcribe_with_defaults_gives_text_files_and_engine(client):
    out = outputs(client.predict(handle_file(str(SPEECH_WAV)), api_name="/transcribe"))
    assert "dashwood" in out["text"].lower() and "prudently" in out["text"].lower()
    assert "offline: bundled Whisper base (English detected" in out["info"]
    assert out["languages"]["label"] == "English (en)" and len(out["languages"]["confidences"]) == 3
    files = {Path(p).suffix: Path(p) for p in out["files"]}
    assert set(files) == {".srt", ".vtt", ".txt", ".json", ".tsv", ".ass", ".lrc"}
    assert_monotonic(parse_srt_times(files[".srt"].read_text()), 7.2)
    assert files[".vtt"].read_text().startswith("WEBVTT")
    assert json.loads(files[".json"].read_text())["language"] == "en"
    rows = out["segments"]["data"]
    assert rows and all(len(r) == 5 for r in rows) and rows[0][0] <= rows[-1][1]
    assert {w["class_or_confidence"] for w in out["words"]} <= {"sure", "unsure", "doubtful"}
    timings = out["word_table"]["data"]
    assert len(timings) == len(out["words"]) and "Dashwood" in [r[2] for r in timings]
    assert all(0 <= r[0] <= r[1] <= 7.2 and 0 <= r[3] <= 1 for r in timings)


def test_named_options_and_reference_comparison(client):
    wav, ref = librivox_clips()[1]
    out = outputs(
        client.predict(
            handle_file(str(wav)),
            model="whisper-base",
            language="English",
            beam_size=1,
            word_timestamps=False,
            reference=ref + " extra",
            api_name="/transcribe",
        )
    )
    assert "Whisper base" in out["info"] and not out["words"]
    assert "WER" in out["compare"] and "1 deleted" in out["compare"]
    alignment = out["alignment"]["value"] if isinstance(out["alignment"], dict) else out["alignment"]
    assert {"token": "extra ", "class_or_confidence": "deletion"} in alignment
    again = client.predict(ref, "he was not an ill disposed young woman", api_name="/compare_reference")
    assert "1 substituted" in again[0]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(model="whisper-tiny.en", task="translate"), "cannot translate"),
        (dict(language="xx"), "Unknown language 'xx'"),
        (dict(model="whisper-hub-large-v3"), "needs the model hub"),
        (dict(model="nonsense"), "Unknown Whisper model"),
    ],
)
def test_bad_options_give_messages(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(str(SPEECH_WAV)), api_name="/transcribe", **kwargs)


def test_bad_audio_gives_message_and_server_keeps_serving(client, tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not audio")
    with pytest.raises(AppError, match="not an audio file"):
        client.predict(handle_file(str(not_audio)), api_name="/transcribe")
    out = outputs(
        client.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), model="whisper-tiny.en", api_name="/transcribe")
    )
    assert out["text"] == "" and "No speech was found" in out["info"]
    silent = tmp_path / "silence.wav"
    sf.write(silent, np.zeros(16000 * 2, np.float32), 16000)
    out = outputs(client.predict(handle_file(str(silent)), api_name="/transcribe"))
    assert out["text"] == "" and "No speech" in out["info"]


def test_batch_zip_has_one_set_per_file(client, tmp_path):
    wavs = [w for w, _ in librivox_clips()[:2]]
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"\x00" * 100)
    table, zip_path = client.predict(
        [handle_file(str(w)) for w in wavs] + [handle_file(str(bad))],
        model="whisper-tiny.en",
        api_name="/transcribe_batch",
    )
    rows = table["data"]
    assert len(rows) == 3 and "not transcribed" in rows[2][4] and "young man" in rows[1][4].lower()
    with zipfile.ZipFile(zip_path) as zf:
        folders = {n.split("/")[0] for n in zf.namelist()}
        assert folders == {w.stem for w in wavs} and len(zf.namelist()) == 14  # 7 files each
        srt = zf.read(f"{wavs[0].stem}/{wavs[0].stem}.srt").decode()
    assert parse_srt_times(srt)


def test_unload_frees_whisper(client):
    client.predict(handle_file(str(SPEECH_WAV)), model="whisper-tiny.en", api_name="/transcribe")
    from pipelines.core.registry import REGISTRY

    assert REGISTRY.is_loaded("whisper-tiny.en")
    msg = client.predict(api_name="/unload_whisper")
    assert "whisper-tiny.en" in msg and not REGISTRY.is_loaded("whisper-tiny.en")


@pytest.mark.slow
def test_long_stereo_upload_is_transcribed_to_its_end(client, tmp_path):
    """A 4-minute 44.1 kHz stereo MP3 (two ~2-minute Whisper blocks, read from disk): the text
    covers the whole recording and the subtitle times stay within it."""
    clips = [sf.read(str(w), dtype="float32")[0] for w, _ in librivox_clips()]
    one = np.concatenate(clips + [np.zeros(8000, np.float32)])  # ~25 s with "Dashwood" once
    repeats = int(240 * 16000 / len(one))
    from pipelines.core.audio import resample_array

    speech = resample_array(np.tile(one, repeats), 16000, 44100)
    path = tmp_path / "lecture.mp3"
    sf.write(path, np.stack([speech, speech], 1), 44100, format="MP3")
    duration = len(speech) / 44100
    out = outputs(
        client.predict(
            handle_file(str(path)),
            model="whisper-tiny.en",
            language="en",
            word_timestamps=False,
            api_name="/transcribe",
        )
    )
    assert out["text"].lower().count("dashwood") >= repeats - 1
    srt = next(Path(p) for p in out["files"] if p.endswith(".srt"))
    times = parse_srt_times(srt.read_text())
    assert_monotonic(times, duration)
    assert times[-1][1] > duration - 15
