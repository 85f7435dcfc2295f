"""Classify and Zero-shot through the app's API (gradio_client against the whole app, offline)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES, LIBRIVOX

SPEECH = str(EXAMPLES / "speech_librivox.wav")


def test_classify_defaults_to_bundled_yamnet(client):
    labels, summary, image, csv_path = client.predict(handle_file(SPEECH), api_name="/classify")
    assert labels["label"] == "Speech"
    assert labels["confidences"][0]["confidence"] > 0.8 and len(labels["confidences"]) == 5
    assert "offline: bundled YAMNet" in summary
    assert image.endswith(".png")
    rows = list(csv.reader(open(csv_path)))
    assert rows[0][:3] == ["start_s", "end_s", "Speech"] and len(rows) == 1 + 14  # 7.1 s: 14 frames


def test_classify_birds_and_language(client):
    labels, summary, image, csv_path = client.predict(handle_file(SPEECH), task="birds", top_k=3, api_name="/classify")
    assert len(labels["confidences"]) == 3 and "BirdNET" in summary and "non-commercial" in summary
    assert len(list(csv.reader(open(csv_path)))) == 1 + 3  # three 3 s chunks
    wav = str(sorted(LIBRIVOX.glob("*.wav"))[0])
    labels, summary, image, csv_path = client.predict(handle_file(wav), task="language", api_name="/classify")
    assert labels["label"] == "Spoken language: English (en)"
    assert "Whisper base" in summary and image is None and csv_path is None


def test_zero_shot_defaults_to_the_seed_labels_offline(client):
    scores, summary, image, csv_path = client.predict(handle_file(SPEECH), api_name="/zero_shot")
    assert {c["label"] for c in scores["confidences"]} == {"Sound of a dog", "Sound of vacuum cleaner"}
    assert "approximate (offline)" in summary and "| Sound of a dog | Dog" in summary
    scores, summary, image, csv_path = client.predict(
        handle_file(SPEECH), labels="Music\nSomeone speaking\nA dog barking", api_name="/zero_shot"
    )
    assert scores["label"] == "Someone speaking"
    assert (
        image.endswith(".png")
        and open(csv_path).readline().strip() == "start_s,end_s,Music,Someone speaking,A dog barking"
    )


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.wav").write_text("this is not audio")
    (d / "empty.wav").write_bytes(b"")
    sf.write(d / "tiny.wav", np.zeros(10, np.float32), 16000)
    return d


@pytest.mark.parametrize(
    "name, message",
    [
        ("notes.wav", "not an audio file"),
        ("empty.wav", "empty"),
        ("tiny.wav", "at least"),
    ],
)
@pytest.mark.parametrize("api", ["/classify", "/zero_shot"])
def test_bad_audio_is_a_clear_message(client, bad_files, name, message, api):
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(str(bad_files / name)), api_name=api)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(task="keywords"), "needs the model hub"),
        (dict(task="custom", model_id="someone/some-model"), "needs the model hub"),
        (dict(task="custom", model_id="no spaces allowed"), "is not a model id"),
        (dict(task="custom", model_id="/etc"), "only from the folders"),
        (dict(task="no-such-task"), "not in the list of choices"),
    ],
)
def test_classify_bad_options(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(SPEECH), api_name="/classify", **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(labels=""), "at least two"),
        (dict(labels="dog"), "Only one label"),
        (dict(labels="dog, cat, DOG"), "repeated"),
        (dict(labels="dog, " + "very long " * 20), "at most 100 characters"),
        (dict(labels=",".join(str(i) for i in range(30))), "too many"),
        (dict(engine="clap"), "needs the model hub"),
        (dict(template="no placeholder"), "exactly once"),
    ],
)
def test_zero_shot_bad_options(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(SPEECH), api_name="/zero_shot", **kwargs)


def test_server_keeps_serving_after_errors(client):
    with pytest.raises(AppError):
        client.predict(None, api_name="/classify")
    labels, *_ = client.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), api_name="/classify")
    assert labels["label"] == "Music"
