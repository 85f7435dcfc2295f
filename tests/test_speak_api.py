"""The Speak tab through its API (gradio_client against the whole app, launched offline)."""

from __future__ import annotations

import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from pipelines.speak import MAX_TEXT_CHARS

TEXT = "Good morning. The library opens at nine o'clock."


@pytest.fixture(scope="module")
def spoken(client):
    return client.predict(TEXT, api_name="/speak")


def test_speak_with_defaults_returns_audio_files_and_engine(spoken):
    audio, files, info, vtt, text, language = spoken
    data, sr = sf.read(audio)
    assert sr == 22050 and len(data) / sr > 1.5
    names = sorted(f.rsplit("/", 1)[-1] for f in files)
    stem = "good-morning-the-library-speech"  # named after the text (issue 13, class 6)
    assert names == [f"{stem}.mp3", f"{stem}.srt", f"{stem}.vtt", f"{stem}.wav"]
    assert "Piper" in info and "real-time factor" in info
    assert vtt.startswith("WEBVTT") and "The library opens at nine o'clock." in vtt
    assert text == TEXT and language == "en-US"


def test_speak_with_named_engine_and_voice(client):
    audio, files, info, vtt, _, language = client.predict(
        "안녕하세요. 반갑습니다.", engine="espeak", voice="espeak:ko", api_name="/speak"
    )
    assert "espeak-ng" in info and language == "ko"
    assert sf.info(audio).duration > 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(text=""), "no text"),
        (dict(text="   "), "no text"),
        (dict(text="🙂🙂🙂 ?!"), "no letters or digits"),
        (dict(text="x" * (MAX_TEXT_CHARS + 1)), f"limit is {MAX_TEXT_CHARS:,}"),
        (dict(text="안녕하세요. 오늘은 날씨가 좋습니다."), "cannot read text written in Korean"),
        (dict(text="Hello.", engine="espeak", voice="klingon"), "Unknown voice 'espeak:klingon'"),
        (dict(text="Hello.", engine="edge", fallback=False), "not reachable"),
    ],
)
def test_bad_input_gets_a_clear_message_and_the_server_keeps_serving(client, kwargs, message):
    text = kwargs.pop("text")
    with pytest.raises(AppError, match=message):
        client.predict(text, api_name="/speak", **kwargs)
    audio, *_ = client.predict("Still here.", api_name="/speak")
    assert sf.info(audio).frames > 0


def test_online_voice_offline_falls_back_to_bundled_and_says_so(client):
    audio, files, info, *_ = client.predict(
        "Hello there.", engine="edge", voice="edge:en-US-GuyNeural", api_name="/speak"
    )
    assert "not reachable" in info and "Piper" in info and "edge:en-US-GuyNeural" in info
    assert sf.info(audio).frames > 0


def test_listening_check_scores_the_speech(client, spoken):
    audio, _, _, _, text, language = spoken
    md, spans = client.predict(handle_file(audio), text, language, api_name="/listening_check")
    assert "Word error rate" in md and "whisper-tiny.en" in md
    wer = float(md.split("Word error rate: ")[1].split("%")[0])
    assert wer <= 20.0, md


def test_voice_list_is_searchable(client):
    voice, table = client.predict("espeak", "ko", "female", "", "", api_name="/voices")
    assert voice["value"] == "espeak:ko+f3"  # a dropdown update: the chosen voice and its choices
    assert [c[1] for c in voice["choices"]] == ["espeak:ko+f3"]
    assert [row[0] for row in table["data"]] == ["espeak:ko+f3"]


def test_english_text_for_the_korean_voice_warns_in_the_result(client):
    _, _, info, *_ = client.predict(
        "Good morning, this is English text.", engine="espeak", voice="espeak:ko", api_name="/speak"
    )
    assert "**Warning:** Most of this text is in Latin letters" in info and "Korean" in info
    _, _, korean, *_ = client.predict("안녕하세요. 반갑습니다.", engine="espeak", voice="espeak:ko", api_name="/speak")
    assert "Warning" not in korean  # Korean text for the Korean voice: no warning


def test_listening_check_with_an_unknown_language_code_warns(client, spoken):
    audio, *_ = spoken
    info, _ = client.predict(handle_file(audio), TEXT, "xx-YY", api_name="/listening_check")
    assert "**Warning:** The language code 'xx-YY' is not one Whisper knows" in info
    assert "Word error rate" in info  # the check still answers
