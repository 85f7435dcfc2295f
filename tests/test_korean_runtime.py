"""Issue 30, item 3: a Korean visitor's run-time answers are Korean.

A client that sends ``Accept-Language: ko-KR`` (what a Korean browser sends; the page's cookie
does the same) runs tabs' examples; every text it gets back is checked for Latin-script words
outside a list of names kept as they are (engines, units, file names, what the recording said).
Before: Transcribe's "No speech was kept..." note, a detected language's name ("English (en)",
"Thai"), Speak's advice, and particles chosen without looking at the word ("임베딩로").
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES, ROOT
from tabs.i18n import to_korean, with_particle

# Names, units and codes a Korean page shows as they are
ALLOWED = {
    "Whisper", "base", "tiny", "YAMNet", "int8", "AudioSet", "LUFS", "BPM", "dBFS", "dBTP", "espeak-ng", "espeak",
    "Silero", "VAD", "resemblyzer", "Ward", "all-MiniLM-L6-v2", "MiniLM", "Joe", "en", "ko", "SPEAKER_00", "librosa",
    "whisper-base",
}  # fmt: skip
FILE = re.compile(r"\.(wav|png|srt|vtt|txt|json|tsv|ass|lrc|csv|zip|mid|md)$")


def latin_words(value) -> set[str]:
    """Latin-script words (3 letters or more) in every text of an API answer, file paths left out."""
    if isinstance(value, dict):
        return set().union(*(latin_words(v) for k, v in value.items() if k not in ("headers", "metadata")))
    if isinstance(value, (list, tuple)):
        return set().union(set(), *(latin_words(v) for v in value))
    if not isinstance(value, str) or value.startswith("/") or FILE.search(value):
        return set()
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_'\-.]*[A-Za-z0-9]", value))
    return {w for w in words if len(w) >= 3 and w not in ALLOWED}


@pytest.fixture(scope="module")
def ko(app_url) -> Client:
    return Client(app_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})


def test_transcribe_says_why_there_is_no_transcript_in_korean(ko, tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(32000, np.float32), 16000)
    text, info, *_rest = ko.predict(handle_file(str(path)), api_name="/transcribe")
    assert text == "" and "말소리를 찾지 못했습니다" in info
    assert not latin_words(info), info


def test_transcribe_names_the_language_in_korean(ko):
    out = ko.predict(handle_file(str(EXAMPLES / "speech_librivox.wav")), api_name="/transcribe")
    text, info, languages = out[0], out[1], out[2]
    assert "Dashwood" in text  # what was said stays as said
    assert languages["label"] == "영어 (en)" and all("(" in c["label"] for c in languages["confidences"])
    assert not latin_words(languages), languages
    assert not latin_words(info), info


def test_speak_advice_is_korean(ko):
    with pytest.raises(AppError) as err:
        ko.predict("안녕하세요 여러분", api_name="/speak")  # the default English voice cannot read Hangul
    message = str(err.value)
    assert "한국어(한글)" in message and "목소리를 고르세요" in message
    assert not latin_words(message), message


def test_english_visitors_still_get_english(client, tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(32000, np.float32), 16000)
    _text, info, *_rest = client.predict(handle_file(str(path)), api_name="/transcribe")
    assert "No speech was found in this audio" in info


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("음성 합성", "를", "음성 합성을"),
        ("임베딩", "로", "임베딩으로"),
        ("모델", "으로", "모델로"),  # a final ㄹ takes 로
        ("오디오", "은(는)", "오디오는"),
        ("파일", "이(가)", "파일이"),
        ("Whisper", "을(를)", "Whisper를"),
        ("3", "와(과)", "3과"),
        ("…", "을(를)", "…을(를)"),  # a symbol: both forms stay
    ],
)
def test_particles_follow_the_last_syllable(word, particle, expected):
    assert with_particle(word, particle) == expected


def test_templates_choose_particles_after_their_blanks():
    method = "extractive (no language model): the most central sentences by {m}; decisions, action items, questions and dates found by rules"
    assert "임베딩으로 고른" in to_korean(method.format(m="all-MiniLM-L6-v2 embeddings"))
    assert to_korean("It took the language for Thai (76% sure); robotic voices can mislead it.").startswith(
        "언어를 태국어로 판단했습니다"
    )


def test_live_meter_meeting_owners_and_listening_check_in_korean():
    from pipelines import meeting_notes as mn
    from pipelines import speak as sp
    from pipelines.formats.text_metrics import compare
    from tabs import mic_relay

    # The level meter is drawn by the page's microphone relay (issue 29), from these texts in Korean
    ko = json.loads((ROOT / "tabs" / "locales" / "ko.json").read_text())
    assert ko["Level"] == "레벨" and all(ko.get(text) for text in mic_relay.TEXTS)
    notes = mn.rule_notes(
        [
            mn.Sentence(start=0, end=4, speaker="Ann", text="Can you send the report?"),
            mn.Sentence(start=5, end=8, speaker="Bob", text="Sure."),
        ]
    )
    line = to_korean(mn._item_md(notes["action_items"][0], "action_items"))
    assert line.startswith("- **Bob \\(Ann의 요청\\)**") and "asked by" not in line
    check = sp.ListeningCheck("hello their", "whisper-base", "en", compare("hello there", "hello their"))
    korean = to_korean(sp.listening_markdown(check))
    assert "단어 오류율: 50.0%" in korean and "Whisper가 들은 말:** hello their" in korean
    assert not latin_words(korean.replace("hello their", "")), korean
