"""The Clean up tab through its API (gradio_client against the whole app, offline)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES, LIBRIVOX

SPEECH = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"


@pytest.fixture(scope="module")
def noisy_wav(tmp_path_factory):
    y, sr = sf.read(SPEECH, dtype="float32")
    noise = np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    noise *= np.sqrt(np.sum(y**2) / np.sum(noise**2) / 10 ** (5 / 10))
    path = tmp_path_factory.mktemp("noisy") / "noisy speech.wav"
    sf.write(path, y + noise, sr)
    return path


def test_denoise_with_defaults(client, noisy_wav):
    info, before, after, before_png, after_png = client.predict(handle_file(str(noisy_wav)), api_name="/denoise")
    assert "DeepFilterNet3" in info and "Noise removed" in info
    out = sf.info(after)
    assert out.samplerate == 48000 and abs(out.duration - sf.info(noisy_wav).duration) < 0.01
    assert "noisy_speech" in after  # named after the input
    assert before and before_png.endswith(".png") and after_png.endswith(".png")
    cleaned = sf.read(after, dtype="float32")[0]
    noisy = sf.read(noisy_wav, dtype="float32")[0]
    assert np.sqrt(np.mean(cleaned**2)) < np.sqrt(np.mean(noisy**2))


def test_denoise_named_engine_and_strength(client, noisy_wav):
    info = client.predict(handle_file(str(noisy_wav)), engine="rnnoise", strength_db=10, api_name="/denoise")[0]
    assert "RNNoise" in info and "strength 10 dB" in info


def test_separate_defaults_and_named(client):
    drums = str(EXAMPLES / "drum_loop.wav")
    info, a, b, *more, files, zip_path, figure = client.predict(handle_file(drums), api_name="/separate")
    assert "Spleeter" in info and a and b and len(files) == 2 and zip_path.endswith(".zip")
    assert more == [None] * 4  # the Demucs-only players stay empty
    info, a, b, *more, files, zip_path, figure = client.predict(
        handle_file(drums), engine="hpss", stems="percussive", api_name="/separate"
    )
    assert "HPSS" in info and "no model" in info and a and b is None and len(files) == 1


@pytest.mark.parametrize(
    "api, kwargs, message",
    [
        ("/denoise", dict(engine="nope"), "nope is not in the list of choices"),
        ("/denoise", dict(strength_db=0), "minimum value 1|Strength must be"),
        ("/separate", dict(engine="hpss", stems="vocals"), "makes the stems"),
        ("/separate", dict(engine="htdemucs_6s"), "needs the model hub"),
    ],
)
def test_bad_requests_are_clear(client, noisy_wav, api, kwargs, message):
    with pytest.raises(AppError, match=message):
        client.predict(handle_file(str(noisy_wav)), api_name=api, **kwargs)


def test_not_audio_is_clear_and_server_keeps_serving(client, tmp_path, noisy_wav):
    bad = tmp_path / "notes.wav"
    bad.write_text("not a sound")
    with pytest.raises(AppError, match="(?i)audio"):
        client.predict(handle_file(str(bad)), api_name="/denoise")
    assert "Noise removed" in client.predict(handle_file(str(noisy_wav)), engine="rnnoise", api_name="/denoise")[0]


def test_transcribe_can_clean_first(client, noisy_wav):
    reference = (SPEECH.with_suffix(".txt")).read_text().lower()
    text = client.predict(handle_file(str(noisy_wav)), clean_audio="denoise", api_name="/transcribe")[0]
    words = set(text.lower().replace(",", " ").replace(".", " ").split())
    assert len(words & set(reference.split())) >= 0.6 * len(set(reference.split())), (text, reference)


def test_diarize_can_clean_first(client):
    out = client.predict(
        handle_file(str(EXAMPLES / "two_speakers_pyannote.wav")),
        transcribe=False,
        clean_audio="voice only",
        api_name="/diarize",
    )
    assert "speakers**" in out[0] and "2 speakers" in out[0], out[0]


def test_clean_first_rejects_unknown_mode(client, noisy_wav):
    with pytest.raises(AppError, match="not in the list of choices|Unknown cleaning"):
        client.predict(handle_file(str(noisy_wav)), clean_audio="sparkle", api_name="/transcribe")


def test_all_noise_warns_instead_of_silently_returning_silence(client, tmp_path):
    path = tmp_path / "hiss.wav"
    sf.write(path, 0.1 * np.random.default_rng(5).standard_normal(4 * 16000).astype(np.float32), 16000)
    info = client.predict(handle_file(str(path)), api_name="/denoise")[0]
    assert "all noise" in info


def test_too_long_for_separation_is_refused_before_work(client, tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(8000 * 605, np.int16), 8000, subtype="PCM_16")
    with pytest.raises(AppError, match="separates up to 10:00|separates up to"):
        client.predict(handle_file(str(path)), api_name="/separate")
