"""The bundled composer's output is music to the bundled YAMNet (AudioSet's "Music" is its top class)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import SPEECH_WAV
from pipelines.compose import COMPOSER, ComposeOptions, compose
from pipelines.core.audio import load_audio, resample_array
from pipelines.engines import yamnet

PROMPTS = [
    "calm lo-fi piano",
    "upbeat synth pop",
    "sad strings",
    "epic orchestral with drums",
    "smooth jazz with saxophone",
    "happy folk guitar",
]


def _scores(y: np.ndarray, sr: int) -> dict[str, float]:
    return yamnet.frame_scores(resample_array(y, sr, yamnet.SAMPLE_RATE)).top(10)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_yamnet_hears_music_first(prompt, tmp_path):
    r = compose(prompt, 12, COMPOSER, ComposeOptions(seed=1), tmp_path)
    y, sr = sf.read(r.wav_path, dtype="float32")
    scores = _scores(y.mean(axis=1), sr)
    top = max(scores, key=scores.get)
    assert top == "Music", f"{prompt}: YAMNet's top classes {sorted(scores.items(), key=lambda kv: -kv[1])[:3]}"
    assert scores["Music"] > 0.5


def test_yamnet_does_not_call_speech_music():
    """The same check on real speech: 'Music' is not its top class (the test can fail)."""
    a = load_audio(SPEECH_WAV)
    scores = _scores(a.mono, a.sr)
    assert max(scores, key=scores.get) != "Music"
