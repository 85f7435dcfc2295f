"""Invented text: the options against it reach the model, and a repetition loop is decoded again."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import librivox_clips
from pipelines.core.errors import UserError
from pipelines.transcribe import SAMPLE_RATE, TranscribeOptions, find_loops, loop_words, transcribe

TINY = "whisper-tiny.en"


def clips() -> list[np.ndarray]:
    return [sf.read(str(w), dtype="float32")[0] for w, _ in librivox_clips()]


def test_find_loops_finds_repeats_not_speech():
    assert find_loops("I said the the the the the the the the the end".split())[0].repeats == 9
    (lp,) = find_loops("ok He was not ill. He was not ill. He was not ill. so".split())
    assert (lp.first, lp.stop, lp.phrase, lp.repeats) == (1, 13, "He was not ill.", 3)
    assert not find_loops("and mister John Dashwood had then leisure, leisure to consider it".split())
    assert not find_loops("he was he was he was".split())  # 6 words: a stutter, not a loop


def test_recording_built_to_loop_is_decoded_again():
    """'He was' said 30 times (0.5 s each) before the sentences: tiny.en loops on it (over 100 times,
    losing the sentence after it); the loop is found and that passage decoded again."""
    c = clips()
    x = np.concatenate([c[1][: SAMPLE_RATE // 2]] * 30 + c)
    t = transcribe(x, TranscribeOptions(model=TINY, language="en", word_timestamps=False))
    # How long the first decoding's loop runs depends on Whisper's sampling at its fallback
    # temperatures (10 to 111 repeats seen): a loop must be found and every one decoded again.
    assert t.loops_fixed and all("decoded again" in msg and msg in t.warnings() for msg in t.loops_fixed)
    assert int(t.loops_fixed[0].split(" times")[0].split()[-1]) >= 5
    assert t.text.lower().count("he was") <= 35 and loop_words(t.segments) < 60
    assert "dashwood" in t.text.lower() and "amiable himself" in t.text.lower()


def test_silence_skip_and_repetition_options_reach_the_model():
    """Long silences with the voice filter off: the silence skip keeps words out of them."""
    c = clips()
    gap = np.zeros(SAMPLE_RATE * 12, np.float32)
    x = np.concatenate([c[0], gap, c[1], gap, c[2]])
    opts = TranscribeOptions(
        model=TINY,
        language="en",
        vad_filter=False,
        hallucination_silence_threshold=2.0,
        no_repeat_ngram_size=5,
        repetition_penalty=1.1,
        compression_ratio_threshold=2.2,
        log_prob_threshold=-0.8,
        no_speech_threshold=0.5,
    )
    t = transcribe(x, opts)
    used = t.options_used
    assert used["hallucination_silence_threshold"] == 2.0 and used["no_repeat_ngram_size"] == 5
    assert used["repetition_penalty"] == 1.1 and used["compression_ratio_threshold"] == 2.2
    assert used["log_prob_threshold"] == -0.8 and used["no_speech_threshold"] == 0.5
    silences = [(len(c[0]) / SAMPLE_RATE + 0.5, (len(c[0]) + len(gap)) / SAMPLE_RATE - 0.5)]
    start = (len(c[0]) + len(gap) + len(c[1])) / SAMPLE_RATE
    silences.append((start + 0.5, start + 11.5))
    assert not [w for w in t.words for a, b in silences if a < (w.start + w.end) / 2 < b]
    assert "dashwood" in t.text.lower() and "ill disposed" in t.text.lower().replace("-", " ")


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("hallucination_silence_threshold", 99, "silence skip"),
        ("no_repeat_ngram_size", -1, "n-gram"),
        ("repetition_penalty", 0.5, "Repetition penalty"),
        ("compression_ratio_threshold", 0.2, "Compression-ratio"),
        ("no_speech_threshold", 2, "No-speech"),
    ],
)
def test_bad_advanced_values_are_refused(field, value, message):
    with pytest.raises(UserError, match=message):
        TranscribeOptions(**{field: value}).decode_kwargs("en")


def test_advanced_options_through_the_api(client):
    wav, _ = librivox_clips()[0]
    out = client.predict(
        handle_file(str(wav)),
        model=TINY,
        language="en",
        no_repeat_ngram_size=4,
        hallucination_silence_threshold=1.5,
        api_name="/transcribe",
    )
    assert "dashwood" in out[0].lower()
    files = {p.rsplit(".", 1)[-1]: p for p in out[5]}
    import json
    from pathlib import Path

    used = json.loads(Path(files["json"]).read_text())["options"]
    assert used["no_repeat_ngram_size"] == 4 and used["hallucination_silence_threshold"] == 1.5
    with pytest.raises(AppError, match="less than minimum value 1"):  # the slider refuses it
        client.predict(handle_file(str(wav)), repetition_penalty=0.5, api_name="/transcribe")
