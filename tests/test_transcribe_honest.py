"""Issue 13, class 5: Transcribe's messages agree with each other on robotic Korean speech
(espeak-ng): the explanation says what was found and what was left out, and the top-3 box is
filled whenever a language was detected."""

from __future__ import annotations

import shutil

import pytest

from pipelines import speak as sp
from pipelines.core.audio import load_audio
from pipelines.transcribe import TranscribeOptions, language_scores, transcribe


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian espeak-ng (installed by .ci/run)")
def test_robotic_korean_explanation_matches_the_figures(tmp_path):
    r = sp.speak("안녕하세요. 오늘 날씨가 정말 좋네요. 회의는 세 시에 시작합니다.", "espeak", "espeak:ko")
    path = tmp_path / "korean.wav"
    import soundfile as sf

    sf.write(path, r.audio, r.sr)
    t = transcribe(load_audio(str(path), target_sr=16000).mono, TranscribeOptions(word_timestamps=False))
    detected = "detected" in t.engine
    if detected:  # a language named as detected is shown in the top-3 box
        assert language_scores(t), (t.engine, t.top_languages)
    text = " ".join(t.warnings())
    if t.no_speech:
        assert t.duration_after_vad and t.duration_after_vad > 1.0
        assert "found none" not in text  # the voice filter did keep speech
        assert "left out" in text or "wrote no words" in text
