"""Batch through the API (gradio_client): a zip of recordings in, a results zip with a manifest out."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import LIBRIVOX

CLIPS = sorted(LIBRIVOX.glob("*.wav"))


def test_a_zip_and_a_file_are_transcribed_into_one_results_zip(client, tmp_path):
    z = tmp_path / "lectures.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(CLIPS[1], "lecture01.wav")
        zf.writestr("../escape.wav", b"x")
        zf.writestr("slides.pdf", b"%PDF")
    broken = tmp_path / "lecture02.wav"
    broken.write_bytes(b"RIFF but not really a wave file")
    status, table, result = client.predict(
        [handle_file(str(z)), handle_file(str(broken))],
        task="transcribe",
        task_options='{"model": "whisper-tiny.en", "language": "en"}',
        api_name="/batch",
    )
    assert "1 of 4 files done" in status and "1 failed" in status and "2 skipped" in status
    rows = {r[0]: r for r in table["data"]}
    assert rows["lectures.zip/lecture01.wav"][1] == "done" and "lecture01.srt" in rows["lectures.zip/lecture01.wav"][5]
    assert rows["lecture02.wav"][1] == "failed" and rows["lecture02.wav"][6]
    assert "climbs out" in rows["lectures.zip/../escape.wav"][6]
    with zipfile.ZipFile(result) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        listed = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        text = zf.read("lecture01.txt").decode()
    assert {"lecture01.txt", "lecture01.srt", "lecture01.vtt", "manifest.csv", "manifest.json"} <= names
    assert not any(".." in n or n.startswith("/") for n in names)
    assert len(text.split()) >= 3
    assert [f["status"] for f in manifest["files"]] == ["done", "failed", "skipped", "skipped"]
    assert listed[0]["engine"] and float(listed[0]["duration"]) == pytest.approx(95724 / 2 / 16000, abs=0.1)


@pytest.mark.parametrize(
    ("options", "message"),
    [("{language: en}", "not valid JSON"), ('{"colour": 1}', "has no option colour"), ("[1]", "JSON object")],
)
def test_bad_task_options_get_a_clear_message(client, options, message):
    with pytest.raises(AppError, match=message):
        client.predict([handle_file(str(CLIPS[0]))], task="classify", task_options=options, api_name="/batch")


def test_no_files_is_a_clear_message(client):
    with pytest.raises(AppError, match="Choose one or more recordings"):
        client.predict([], task="classify", api_name="/batch")
