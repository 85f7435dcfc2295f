"""engines/whisper: the model choice, language detection and segment rules every task shares
(the Transcribe task's own behaviour is tests/test_transcribe*.py)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import librivox_clips
from pipelines.core.audio import load_audio
from pipelines.core.errors import UserError
from pipelines.engines.whisper import choice, detect, languages, segments
from pipelines.engines.whisper.model import BASE, SAMPLE_RATE, TINY_EN, get_whisper


def test_auto_picks_tiny_en_for_english_and_base_for_the_rest():
    assert choice.choose_model("auto", "en", "transcribe") == (TINY_EN.key, "English chosen")
    assert choice.choose_model("auto", "fr", "transcribe") == (BASE.key, "French chosen")
    assert choice.choose_model("auto", "en", "translate") == (BASE.key, "translating to English")
    assert choice.choose_model(None, None, "transcribe") == (BASE.key, "")  # the caller says what it detected


def test_a_named_model_is_resolved_and_checked_before_loading():
    assert choice.choose_model(TINY_EN.key, "en", "transcribe") == (TINY_EN.key, "chosen")
    assert choice.resolve_model_key("small") == "whisper-hub-small"  # a size names the hub model
    assert choice.resolve_model_key(BASE.key) == BASE.key
    with pytest.raises(UserError, match="only knows English, not French"):
        choice.choose_model(TINY_EN.key, "fr", "transcribe")
    with pytest.raises(UserError, match="cannot translate"):
        choice.check_model_fits(TINY_EN.key, None, "translate")
    with pytest.raises(UserError, match="Unknown Whisper model 'nonsense'"):
        choice.resolve_model_key("nonsense")


def test_engine_text_names_where_the_model_comes_from():
    assert choice.engine_text(TINY_EN.key, "English chosen") == "offline: bundled Whisper tiny.en (English chosen)"


def test_language_names_and_codes():
    assert languages.language_name("ko") == "Korean" and languages.language_name(None) == "unknown"
    assert languages.parse_language("Haitian Creole") == "ht"
    assert languages.parse_language("fr (French)") == "fr"
    assert languages.parse_language("detect") is None


def test_input_check_refuses_the_wrong_rate_or_shape():
    with pytest.raises(ValueError, match="16000 Hz"):
        detect.as_whisper_input(np.zeros(100, np.float32), 8000)
    with pytest.raises(ValueError, match="mono"):
        detect.as_whisper_input(np.zeros((2, 100), np.float32), SAMPLE_RATE)


def test_detection_hears_english_speech_and_no_speech_in_silence():
    model = get_whisper(BASE.key)
    wav, _ = librivox_clips()[0]
    x = load_audio(wav, target_sr=SAMPLE_RATE).mono
    top, heard = detect.detect_language(model, x)
    assert heard and top[0][0] == "en" and top[0][1] > 0.5
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    _, heard = detect.detect_language(model, np.zeros(5 * SAMPLE_RATE, np.float32))
    assert not heard


def test_not_speech_sets_aside_unsure_text_and_keeps_confident_speech():
    seg = segments.SegmentInfo
    assert segments.not_speech(seg(0, 1, "You", avg_logprob=-0.94, no_speech_prob=0.89))
    assert not segments.not_speech(seg(0, 1, "Real speech.", avg_logprob=-0.51, no_speech_prob=0.58))
    assert segments.not_speech(seg(0, 1, "", avg_logprob=-0.1, no_speech_prob=0.0))
    assert segments.not_speech(seg(0, 1, "Sure silence", avg_logprob=-0.1, no_speech_prob=0.9))


def test_a_passage_decoded_again_keeps_the_recordings_times():
    model = get_whisper(TINY_EN.key)
    wav, ref = librivox_clips()[0]
    x = load_audio(wav, target_sr=SAMPLE_RATE).mono
    lo = 2.0
    kwargs = dict(language="en", task="transcribe", beam_size=1, word_timestamps=True, vad_filter=True)
    again = segments.decode_again(model, x, lo, len(x) / SAMPLE_RATE, kwargs)
    assert again and again[0].start >= lo - 0.01
    assert all(w.start >= lo - 0.01 for s in again for w in s.words)
