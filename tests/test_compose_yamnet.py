"""The bundled composer's output is music to the bundled YAMNet (AudioSet's "Music" is its top class).

``pipelines.yamnet`` comes with the Classify tab (another branch). This test expects
``classify_clip(y, sr) -> dict[label, score]``; until the branches meet it also accepts that
branch's ``frame_scores(y16k).top(k)``. On a branch without ``pipelines.yamnet`` it is skipped
by ``importorskip`` (the only skip in the Compose tests), and runs once merged.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from pipelines.audio import load_audio
from pipelines.compose import COMPOSER, ComposeOptions, compose
from tests.conftest import SPEECH_WAV

yamnet = pytest.importorskip("pipelines.yamnet", reason="YAMNet arrives with the Classify tab's branch")

PROMPTS = ["calm lo-fi piano", "upbeat synth pop", "sad strings", "epic orchestral with drums",
           "smooth jazz with saxophone", "happy folk guitar"]


def _scores(y: np.ndarray, sr: int) -> dict[str, float]:
    if hasattr(yamnet, "classify_clip"):
        return dict(yamnet.classify_clip(y, sr))
    import soxr

    return yamnet.frame_scores(soxr.resample(y, sr, 16000).astype(np.float32)).top(10)


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
