"""Long recordings: the app gives faster-whisper's own whole-file result, read a block at a time.

The VAD probabilities, its speech ranges and the log-mel features are computed in blocks
(pipelines/engines/silero_vad.py, pipelines/engines/whisper.py); these tests hold them equal to
faster-whisper's on the whole array, with blocks small enough that every cut is exercised.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import librivox_clips
from pipelines.engines import whisper as wm
from pipelines.engines.silero_vad import speech_timestamps

SR = 16000


@pytest.fixture(scope="module")
def talk() -> np.ndarray:
    """~70 s: the LibriVox clips three times with pauses from 0.2 to 4 s (some past the VAD's 2 s)."""
    rng = np.random.default_rng(1)
    clips = [sf.read(str(w), dtype="float32")[0] for w, _ in librivox_clips()]
    parts = [p for _ in range(3) for c in clips for p in (c, np.zeros(int(rng.uniform(0.2, 4.0) * SR), np.float32))]
    return np.concatenate(parts)


@pytest.mark.parametrize("block_frames", [97, 10_000])
@pytest.mark.parametrize("options", [{}, dict(min_silence_duration_ms=300, speech_pad_ms=100)])
def test_vad_in_blocks_gives_faster_whispers_speech_ranges(talk, block_frames, options):
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    ref = get_speech_timestamps(talk, VadOptions(**options))
    assert len(ref) >= 3
    assert speech_timestamps(talk, VadOptions(**options), block_frames=block_frames) == ref


@pytest.mark.parametrize("n", [512 * 300, 512 * 300 + 470, 512 * 300 + 3])
def test_vad_ends_like_faster_whisper(talk, n):
    """Its padding of the last frame (a whole frame when the length is a multiple of 512)."""
    from faster_whisper.vad import get_speech_timestamps

    assert speech_timestamps(talk[:n], block_frames=7) == get_speech_timestamps(talk[:n])


def test_log_mel_in_chunks_is_faster_whispers_exactly(talk):
    fe = wm.get_whisper(wm.TINY_EN.key).feature_extractor
    read, n = wm.concat_reader(talk, [{"start": 0, "end": len(talk)}])
    assert np.array_equal(wm.log_mel(fe, read, n, chunk_frames=777), fe(talk))
    chunks = [{"start": 1000, "end": 300_000}, {"start": 400_000, "end": 900_001}]
    read, n = wm.concat_reader(talk, chunks)
    joined = np.concatenate([talk[c["start"] : c["end"]] for c in chunks])
    assert n == len(joined) and np.array_equal(read(298_000, 299_500), joined[298_000:299_500])
    assert np.array_equal(wm.log_mel(fe, read, n, chunk_frames=1000), fe(joined))


@pytest.mark.parametrize("vad_filter", [True, False])
def test_whole_recording_gives_faster_whispers_segments(talk, vad_filter):
    model = wm.get_whisper(wm.TINY_EN.key)
    kwargs = dict(language="en", beam_size=5, word_timestamps=True, vad_filter=vad_filter)
    ref, ref_info = model.transcribe(talk, **kwargs)
    ref = list(ref)
    got, info = wm.transcribe_whole(model, talk, **kwargs)
    got = list(got)
    assert [(s.start, s.end, s.text) for s in got] == [(s.start, s.end, s.text) for s in ref]
    assert [(w.start, w.word) for s in got for w in s.words] == [(w.start, w.word) for s in ref for w in s.words]
    assert info.duration == ref_info.duration and info.duration_after_vad == ref_info.duration_after_vad
    assert sum(s.text.lower().count("dashwood") for s in got) == 3
