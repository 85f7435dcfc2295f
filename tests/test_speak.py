"""Speak pipeline on real engines: Piper and espeak-ng synthesis, subtitles, files, checks, round trip.

Every synthesis here is real (the bundled Piper voice, the Debian espeak-ng binary); the
online engine is exercised only through its unreachable path (this machine has no internet).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf

from pipelines import speak as sp
from pipelines.core.audio import load_audio
from pipelines.engines.tts import ENGINES, EngineUnavailable

SHORT = "The cat sat on the mat. It was a sunny day!"


_TIME = r"(\d\d):(\d\d):(\d\d)[,.](\d{3})"


def _seconds(h, m, s, ms) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _parse_cues(text: str, numbered: bool) -> list[tuple[float, float, str]]:
    """SRT (numbered cues, comma decimals) or WebVTT (header, dot decimals) -> (start, end, text)."""
    if not numbered:
        assert text.startswith("WEBVTT\n\n")
        text = text[len("WEBVTT\n\n") :]
    cues = []
    for block in text.strip().split("\n\n"):
        lines = block.strip().splitlines()
        if numbered:
            assert lines.pop(0).strip().isdigit(), block
        m = re.fullmatch(f"{_TIME} --> {_TIME}", lines[0])
        assert m and ("," if numbered else ".") in lines[0], lines[0]
        v = m.groups()
        cues.append((_seconds(*v[:4]), _seconds(*v[4:]), " ".join(lines[1:])))
    return cues


def _parse_srt(text):
    return _parse_cues(text, numbered=True)


def _parse_vtt(text):
    return _parse_cues(text, numbered=False)


def _check_subtitles_cover(cues, duration, n_sentences):
    assert len(cues) == n_sentences
    starts = [c[0] for c in cues]
    assert starts == sorted(starts) and cues[0][0] < 0.2
    assert all(e > s for s, e, _ in cues)
    assert all(cues[i][1] <= cues[i + 1][0] + 1e-3 for i in range(len(cues) - 1))  # no overlap
    assert abs(cues[-1][1] - duration) < 0.1  # the last cue ends with the audio


# --- text checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no text"),
        ("   \n\t ", "no text"),
        (None, "no text"),
        ("🙂🎉 !!! ??? ---", "no letters or digits"),
        ("a" * (sp.MAX_TEXT_CHARS + 1), "limit is"),
    ],
)
def test_unusable_text_is_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        sp.clean_text(text)


def test_text_at_the_limit_is_accepted():
    assert len(sp.clean_text("a" * sp.MAX_TEXT_CHARS)) == sp.MAX_TEXT_CHARS


def test_sentences_paragraphs_and_cjk_are_split():
    parts = sp.split_sentences("Hello there. How are you?\n\nNew paragraph! 🙂\n안녕하세요. 반갑습니다。好")
    assert [p.text for p in parts] == [
        "Hello there.",
        "How are you?",
        "New paragraph!",
        "안녕하세요.",
        "반갑습니다。",
        "好",
    ]
    assert [p.paragraph_end for p in parts] == [False, True, False, False, False, False]


def test_abbreviations_and_initials_do_not_end_sentences():
    parts = sp.split_sentences("Mr. Smith met Dr. Jones and J. Austen, e.g. at noon. Then they left.")
    assert [p.text for p in parts] == ["Mr. Smith met Dr. Jones and J. Austen, e.g. at noon.", "Then they left."]
    assert len(sp.split_sentences("So do I. Then we left.")) == 2


def test_long_sentences_are_cut_at_commas_then_words():
    long = ", ".join(["word " * 30] * 6) + "."
    parts = sp.split_sentences(long, max_chars=200)
    assert len(parts) > 1 and all(len(p.text) <= 200 for p in parts)
    assert " ".join(p.text for p in parts).split() == long.split()


def test_text_in_a_script_the_voice_cannot_read_is_refused():
    piper = sp.resolve_voice("piper", "")
    with pytest.raises(ValueError, match="Korean.*espeak:ko"):
        sp.check_language("안녕하세요. 오늘은 날씨가 좋습니다.", piper)
    with pytest.raises(ValueError, match="Cyrillic"):
        sp.check_language("Привет, как дела?", piper)
    sp.check_language("Hello, 안녕 is hello in Korean and it is a nice word.", piper)  # mostly Latin: fine
    sp.check_language("Hello world", sp.resolve_voice("espeak", "ko"))  # Latin is read by every voice


def test_unknown_voice_and_engine_are_refused():
    with pytest.raises(ValueError, match="Unknown voice 'piper:nobody'"):
        sp.resolve_voice("piper", "nobody")
    with pytest.raises(ValueError, match="Unknown voice 'espeak:xx-nope'"):
        sp.resolve_voice("espeak", "xx-nope")
    with pytest.raises(ValueError, match="Unknown engine"):
        sp.resolve_voice("coqui", "")
    with pytest.raises(ValueError, match="another engine"):
        sp.resolve_voice("piper", "espeak:ko")
    with pytest.raises(ValueError, match="Unknown voice"):
        sp.resolve_voice("edge", "not a voice", offline=True)


def test_voice_search_by_language_and_gender():
    ko = sp.find_voices("espeak", language="ko")
    assert {v.id for v in ko} == {"espeak:ko", "espeak:ko+f3"}
    female = sp.find_voices("espeak", language="Korean", gender="female")
    assert [v.id for v in female] == ["espeak:ko+f3"]
    assert len(sp.find_voices("espeak")) > 200  # ~130 languages x 2 variants
    assert [v.id for v in sp.find_voices("edge", language="ko", gender="male", offline=True)] == [
        "edge:ko-KR-InJoonNeural"
    ]


def test_missing_espeak_binary_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no espeak-ng on PATH
    with pytest.raises(EngineUnavailable, match="apt-get install espeak-ng"):
        sp.speak("Hello.", "espeak", "en-us")


def test_espeak_registry_entry_is_unavailable_without_the_binary(monkeypatch, tmp_path):
    """The registry (app status, model lists) and the engine agree: both check the program itself."""
    from pipelines.engines.tts import ESPEAK_SPEC

    assert ESPEAK_SPEC.availability() == (True, "ready")  # installed on this machine
    monkeypatch.setenv("PATH", str(tmp_path))
    ok, reason = ESPEAK_SPEC.availability(check_hub=False)
    assert not ok and "espeak-ng is not installed" in reason and "apt-get install espeak-ng" in reason
    assert ENGINES["espeak"].availability() == (ok, reason)


# --- real synthesis -------------------------------------------------------------------------


def _words(text):
    return len(text.split())


@pytest.fixture(scope="module")
def piper_result():
    return sp.speak(SHORT)


def test_piper_speaks_non_silent_audio_of_plausible_length(piper_result):
    r = piper_result
    assert r.voice.id == "piper:en_US-joe-medium" and "Piper" in r.engine_note
    assert r.sr == 22050 and r.audio.dtype == np.float32
    assert 0.5 < float(np.max(np.abs(r.audio))) <= 0.9
    rms = float(np.sqrt(np.mean(r.audio**2)))
    assert rms > 0.03
    # 10 words at 1.5-4 words per second, plus one pause
    assert _words(SHORT) / 4 < r.duration < _words(SHORT) / 1.5 + 1
    assert [c.text for c in r.sentences] == ["The cat sat on the mat.", "It was a sunny day!"]
    gap = r.sentences[1].start - r.sentences[0].end
    assert abs(gap - sp.SENTENCE_PAUSE_S) < 0.01
    assert r.words is None


def test_speed_and_pause_controls_change_the_audio():
    normal = sp.speak(SHORT)
    fast = sp.speak(SHORT, options=sp.SpeakOptions(speed=1.5, pause=0))
    assert fast.duration < 0.8 * normal.duration
    assert fast.sentences[1].start - fast.sentences[0].end < 0.01


def test_outputs_wav_mp3_srt_vtt_are_valid(piper_result, tmp_path):
    files = sp.write_outputs(piper_result, tmp_path)
    data, sr = sf.read(files.wav)
    assert sr == 22050 and len(data) == len(piper_result.audio)
    mp3 = load_audio(str(files.mp3))
    assert abs(mp3.duration - piper_result.duration) < 0.1
    srt = _parse_srt(files.srt.read_text())
    vtt = _parse_vtt(files.vtt.read_text())
    _check_subtitles_cover(srt, piper_result.duration, 2)
    assert [c[2] for c in srt] == [c[2] for c in vtt] == ["The cat sat on the mat.", "It was a sunny day!"]
    assert all(abs(a[0] - b[0]) < 1e-3 and abs(a[1] - b[1]) < 1e-3 for a, b in zip(srt, vtt))
    assert files.words_srt is None


def test_espeak_speaks_korean_with_subtitles(tmp_path):
    r = sp.speak(sp.SAMPLE_TEXT_KO, "espeak", "ko")
    assert r.voice.id == "espeak:ko" and "espeak-ng" in r.engine_note
    assert float(np.sqrt(np.mean(r.audio**2))) > 0.03
    assert 2.0 < r.duration < 15.0
    files = sp.write_outputs(r, tmp_path)
    _check_subtitles_cover(_parse_srt(files.srt.read_text()), r.duration, 3)
    female = sp.speak("안녕하세요.", "espeak", "ko+f3")
    assert female.voice.gender == "female" and female.duration > 0.5


def test_round_trip_wer_of_the_bundled_voice_is_at_most_10_percent():
    r = sp.speak(sp.SAMPLE_TEXT)
    check = sp.listening_check(r.audio, r.sr, r.text, r.voice.language)
    assert check.model == "whisper-tiny.en"
    assert check.wer <= 0.10, (check.wer, check.transcript)


def test_listening_check_catches_a_mismatch():
    r = sp.speak("Good morning, everyone.")
    check = sp.listening_check(r.audio, r.sr, "Completely different words are written here.", "en")
    assert check.wer > 0.8


# --- the online engine without a network ----------------------------------------------------


def test_online_engine_offline_falls_back_to_a_bundled_voice():
    opts = sp.SpeakOptions(offline=True)
    r = sp.speak("Hello there.", "edge", "en-US-AriaNeural", opts)
    assert r.voice.engine == "piper"
    assert "not reachable" in r.engine_note and "instead of edge:en-US-AriaNeural" in r.engine_note
    ko = sp.speak("안녕하세요.", "edge", "ko-KR-SunHiNeural", opts)
    assert ko.voice.id == "espeak:ko"


def test_online_engine_offline_without_fallback_is_a_clear_error():
    with pytest.raises(EngineUnavailable, match="not reachable.*bundled engine"):
        sp.speak("Hello there.", "edge", "", sp.SpeakOptions(offline=True, fallback=False))


def test_online_engine_unreachable_answers_quickly_without_offline_flag():
    """No --offline here: the real reachability probe runs (this machine has no internet)."""
    import time

    edge = ENGINES["edge"]
    edge._probe = None
    start = time.perf_counter()
    ok, reason = edge.reachability()
    assert time.perf_counter() - start < 5  # a probe, never a hang
    if not ok:
        assert "speech.platform.bing.com" in reason
        r = sp.speak("Hello.", "edge", "")
        assert r.voice.engine == "piper"
