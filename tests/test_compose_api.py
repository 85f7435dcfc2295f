"""The Compose tab through its API (gradio_client against the whole app, offline)."""

from __future__ import annotations

import mido
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES


def test_compose_with_defaults_gives_audio_midi_picture_description(client):
    wav, midi, picture, description = client.predict("upbeat synth pop", api_name="/compose")
    info = sf.info(wav)
    assert info.samplerate == 44100 and info.channels == 2 and abs(info.duration - 15) < 0.05  # default 15 s
    assert mido.MidiFile(midi).length > 14
    assert picture.endswith(".png")
    assert "offline: bundled rule-based composer" in description and "Seed:" in description


def test_named_duration_engine_and_seed_repeat(client):
    a = client.predict("sad strings", duration=6, engine="composer", seed=5, api_name="/compose")
    b = client.predict("sad strings", duration=6, engine="composer", seed=5, api_name="/compose")
    ya, sra = sf.read(a[0])
    yb, _ = sf.read(b[0])
    assert sra == 44100 and abs(len(ya) / sra - 6) < 0.01
    assert (ya == yb).all()
    assert "**Seed:** 5" in a[3]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(prompt=""), "Describe the music"),
        (dict(prompt="calm " * 120), "keep it under 500"),
        (dict(prompt="calm", duration=500), "maximum value 120|and 120"),
        (dict(prompt="calm", duration=0), "minimum value 1|between 1"),
        (dict(prompt="calm", engine="musicgen-small"), "needs the model hub"),
        (
            dict(prompt="calm", engine="musicgen-melody", melody=handle_file(str(EXAMPLES / "a440_sine.wav"))),
            "needs the model hub",
        ),
        (dict(prompt="calm", engine="no-such-engine"), "Unknown engine"),
        (dict(prompt="calm", melody=handle_file(__file__)), "not an audio file"),
    ],
)
def test_bad_input_gets_a_clear_message_and_server_keeps_serving(client, kwargs, message):
    prompt = kwargs.pop("prompt")
    with pytest.raises(AppError, match=message):
        client.predict(prompt, **kwargs, api_name="/compose")
    wav = client.predict("folk", duration=2, seed=1, api_name="/compose")[0]
    assert sf.info(wav).duration == pytest.approx(2, abs=0.01)
