"""Long recordings: the app gives faster-whisper's own whole-file result, read a block at a time.

The VAD probabilities, its speech ranges and the log-mel features are computed in blocks
(pipelines/engines/silero_vad.py, pipelines/engines/whisper.py); these tests hold them equal to
faster-whisper's on the whole array (the features to float32 rounding, the words to what Whisper hears
reliably), with blocks small enough that every cut is exercised.
"""

from __future__ import annotations

import difflib

import numpy as np
import pytest
import soundfile as sf

from conftest import librivox_clips
from pipelines.engines import whisper as wm
from pipelines.engines.silero_vad import speech_timestamps
from pipelines.formats.text_metrics import compare

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


def assert_same_log_mel(got: np.ndarray, ref: np.ndarray) -> None:
    """Equal but for float32 rounding. The mel filter bank is a matrix product whose summation order
    OpenBLAS picks by the matrix's size and the CPU (Haswell kernels: 1 ulp of the output apart); its
    relative error passes through log10 divided by ln 10 and 4, so the output is off by a few ulps of
    its own scale (values up to ~1.5). 8 ulps of the largest value is the bound."""
    assert got.shape == ref.shape and got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, rtol=0, atol=8 * float(np.spacing(np.abs(ref).max())))


def test_log_mel_in_chunks_is_faster_whispers(talk):
    fe = wm.get_whisper(wm.TINY_EN.key).feature_extractor
    read, n = wm.concat_reader(talk, [{"start": 0, "end": len(talk)}])
    assert_same_log_mel(wm.log_mel(fe, read, n, chunk_frames=777), fe(talk))
    chunks = [{"start": 1000, "end": 300_000}, {"start": 400_000, "end": 900_001}]
    read, n = wm.concat_reader(talk, chunks)
    joined = np.concatenate([talk[c["start"] : c["end"]] for c in chunks])
    assert n == len(joined) and np.array_equal(read(298_000, 299_500), joined[298_000:299_500])  # a copy
    assert_same_log_mel(wm.log_mel(fe, read, n, chunk_frames=1000), fe(joined))


@pytest.mark.parametrize("vad_filter", [True, False])
def test_whole_recording_gives_faster_whispers_segments(talk, vad_filter):
    model = wm.get_whisper(wm.TINY_EN.key)
    kwargs = dict(language="en", beam_size=5, word_timestamps=True, vad_filter=vad_filter)
    ref, ref_info = model.transcribe(talk, **kwargs)
    ref = list(ref)
    got, info = wm.transcribe_whole(model, talk, **kwargs)
    got = list(got)
    assert info.duration == ref_info.duration and info.duration_after_vad == ref_info.duration_after_vad
    assert sum(s.text.lower().count("dashwood") for s in got) == 3
    # The features agree to a few ulps (above), not bit for bit on every CPU, and Whisper's choices on
    # marginal audio follow the ulps: a segment cut a word earlier, and without VAD a whole-file run
    # skips sentences after long silences, faster-whisper's own as ours, and which ones follows the
    # kernels (measured: none to 4 of the 15, on either side, with OpenBLAS Haswell/SkylakeX and
    # CTranslate2 AVX2/AVX-512). So: the same words where both heard them, at times within a 20-ms
    # frame; with VAD (the app's default) the same words; without it, every reading still heard.
    truth = " ".join(t for _ in range(3) for _, t in librivox_clips())
    got_text, ref_text = (" ".join(s.text for s in segs) for segs in (got, ref))
    got_words, ref_words = (
        [(w.start, w.word.strip(" ,.").lower()) for s in segs for w in s.words] for segs in (got, ref)
    )
    matcher = difflib.SequenceMatcher(a=[w for _, w in ref_words], b=[w for _, w in got_words], autojunk=False)
    moved = [
        abs(ref_words[b.a + k][0] - got_words[b.b + k][0]) for b in matcher.get_matching_blocks() for k in range(b.size)
    ]
    assert np.median(moved) <= 0.02
    if vad_filter:  # the same speech is decoded in the same windows
        assert compare(ref_text, got_text).wer <= 0.02 and len(moved) >= 0.98 * len(ref_words), (got_text, ref_text)
        assert np.mean(np.array(moved) <= 0.02 + 1e-9) >= 0.95 and max(moved) < 0.5
    else:  # 4 skipped sentences of 15 is 27% (faster-whisper's own run with SkylakeX kernels)
        assert compare(truth, got_text).wer <= 0.3, got_text
