"""Engines that had no test module of their own: the live Whisper decoder, DeepFilterNet3's stream,
and the no-model separation methods registered as engines. Real models on real speech."""

from __future__ import annotations

import numpy as np

from conftest import librivox_clips
from pipelines.core.audio import load_audio
from pipelines.core.registry import REGISTRY
from pipelines.engines import deepfilter, librosa_separation, whisper_live
from pipelines.engines.whisper.model import TINY_EN, get_whisper
from pipelines.formats.text_metrics import compare


def _speech(sr: int, seconds: float | None = None) -> tuple[np.ndarray, str]:
    wav, ref = librivox_clips()[0]
    x = load_audio(wav, target_sr=sr).mono
    return (x if seconds is None else x[: int(seconds * sr)]), ref


def test_live_decode_of_a_short_buffer_hears_the_words_with_times_inside_it():
    x, ref = _speech(whisper_live.SAMPLE_RATE)
    x = x[: 8 * whisper_live.SAMPLE_RATE]
    out = whisper_live.decode_buffer(get_whisper(TINY_EN.key), x, lead_s=0.3)
    assert out.looks_like_speech and len(out.words) >= 10
    assert all(0.0 <= w.start <= w.end <= 8.0 for w in out.words)
    assert [w.start for w in out.words] == sorted(w.start for w in out.words)
    # its words are the start of the reference (the buffer holds its first 8 s)
    first = " ".join(ref.split()[: len(out.text.split())])
    assert compare(first, out.text).wer < 0.35, (first, out.text)


def test_live_decode_of_silence_writes_nothing_that_looks_like_speech():
    out = whisper_live.decode_buffer(get_whisper(TINY_EN.key), np.zeros(3 * whisper_live.SAMPLE_RATE, np.float32))
    assert not out.words or not out.looks_like_speech


def test_deepfilter_stream_gives_back_as_many_samples_and_hears_speech():
    x, _ = _speech(deepfilter.SAMPLE_RATE, seconds=4.0)
    n = len(x) // deepfilter.FRAME * deepfilter.FRAME
    noisy = x[:n] + 0.01 * np.random.default_rng(0).standard_normal(n).astype(np.float32)
    stream = deepfilter.DeepFilterStream()
    try:
        out = stream.process(noisy)
    finally:
        stream.close()
    assert out.shape == noisy.shape and np.isfinite(out).all()
    assert stream.frames == n // deepfilter.FRAME and stream.speech_frames > stream.frames // 4
    # the noise floor of the first, silent-ish frames drops
    assert np.sqrt(np.mean(out**2)) < np.sqrt(np.mean(noisy**2))


def test_no_model_separations_are_registered_and_load_their_functions():
    for key in (librosa_separation.HPSS_KEY, librosa_separation.REPET_KEY):
        spec = REGISTRY.spec(key)
        assert spec.engine == "bundled" and "no model" in spec.title
        assert callable(REGISTRY.get(key))
