"""Other languages through the app's path, against faster-whisper base called directly (issue 30,
item 2), on recorded speech: Asterisk telephone prompts (tests/data/asterisk, CC-BY-SA-3.0).

The full comparison (39 prompts in 4 languages + English) is benchmarks/eval_languages.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.core.audio import load_audio
from pipelines.engines.whisper import get_whisper
from pipelines.engines.whisper.detect import detect_language
from pipelines.formats.text_metrics import compare
from pipelines.transcribe import SAMPLE_RATE, transcribe

DATA = Path(__file__).parent / "data" / "asterisk"


def prompt(name: str) -> tuple:
    """(16-kHz samples, transcript) of one recorded prompt."""
    with open(DATA / "transcripts.tsv", encoding="utf-8") as fh:
        text = {row["file"]: row["text"] for row in csv.DictReader(fh, delimiter="\t")}[name]
    return load_audio(DATA / name, target_sr=SAMPLE_RATE).mono, text


def engine_alone(audio):
    """faster-whisper base as its users call it: beam 5, its VAD on, its own language detection."""
    segments, info = get_whisper("whisper-base").transcribe(audio, beam_size=5, vad_filter=True)
    return " ".join(s.text.strip() for s in segments), info


def test_detection_hears_what_the_engine_hears_on_a_short_spanish_prompt():
    """3 s of recorded Spanish: the app's detection listens to the same speech as faster-whisper's
    own (its VAD options: 0.4-s pads, pauses under 2 s kept). The old detection cut the speech at
    0.3-s pauses with 0.1-s pads and heard 65 % Spanish where the engine hears 57 %; borderline
    clips changed language that way. Same audio, same model, same machine: only float rounding
    in the features may differ, hence 0.02."""
    audio, _ = prompt("es-dir-last.flac")
    _, info = engine_alone(audio)
    top, heard = detect_language(get_whisper("whisper-base"), audio)
    assert heard and info.language == "es"
    assert top[0][0] == info.language
    assert abs(top[0][1] - info.language_probability) <= 0.02, (top[:3], info.language_probability)


def test_a_recorded_spanish_prompt_transcribes_as_well_as_the_engine_alone():
    """15 s of recorded Spanish with the language left to detect (the app's defaults): the language
    and its probability are the engine's, and the words at least as good (WER within 2 points:
    one word of 28, for CPU-dependent numerics on marginal words)."""
    audio, ref = prompt("es-demo-nogo.flac")
    raw_text, info = engine_alone(audio)
    t = transcribe(audio)
    assert t.language == info.language == "es"
    # A recording under 30 s is detected on its first window as the decoder frames it (one frame
    # shorter than faster-whisper's own detector frames it), so it is encoded once, not twice (issue
    # 30 item 1): the same language, its probability a little apart (0.877 against 0.915 here).
    assert t.language_probability == pytest.approx(info.language_probability, abs=0.06)
    app, raw = compare(ref, t.text), compare(ref, raw_text)
    assert app.wer <= raw.wer + 0.02, (t.text, raw_text)
    # 25 % measured (7 of 28 words; 4 of them accents the published transcript leaves out): the
    # prompt is really transcribed, not just detected
    assert app.wer < 0.4
