"""The live-captions pipeline without a browser: real Whisper tiny.en, real LibriVox speech, real time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import soundfile as sf
import soxr

from conftest import EXAMPLES, librivox_clips
from pipelines.core.errors import UserError
from pipelines.formats.text_metrics import compare
from pipelines.live_captions import (
    AtCapacity,
    CaptionWord,
    LiveCaptioner,
    LiveOptions,
    LiveSession,
    Slots,
    replay_realtime,
    stream_captions,
    write_transcript,
)
from pipelines.transcribe import TranscribeOptions, transcribe


@pytest.fixture(scope="module")
def speech():
    """Three LibriVox sentences (about 20 s, 50 words) at 16 kHz and their reference text."""
    clips = librivox_clips()[:3]
    x = np.concatenate([sf.read(str(w), dtype="float32")[0] for w, _ in clips])
    return x, " ".join(t for _, t in clips)


@pytest.fixture(scope="module")
def replay(speech):
    """The clips fed at 48 kHz in 100-ms chunks at real-time pace (as the browser sends them)."""
    x, _ = speech
    return replay_realtime(soxr.resample(x, 16000, 48000), 48000, LiveOptions(), chunk_s=0.1)


def test_final_wer_is_within_two_words_of_offline_tiny_en(speech, replay):
    """Live decodes short, real-time windows: on marginal audio a word may differ from offline with
    the CPU's kernels and the machine's load ('rather a selfish' with OpenBLAS's SkylakeX kernels, the
    last 'disposed' cut on an AMD machine). Two words of the 43 (4.7 points) is the margin; the
    benchmark (bench_live_captions.py) measures the mean over more speech."""
    x, ref = speech
    offline = transcribe(x, TranscribeOptions(model="whisper-tiny.en", language="en"))
    offline_wer = compare(ref, offline.text).wer
    live_wer = compare(ref, replay.final.confirmed_text).wer
    words = len(compare(ref, ref).alignment)
    print(f"live WER {live_wer:.3f} vs offline {offline_wer:.3f}: {replay.final.confirmed_text!r}")
    assert live_wer <= offline_wer + 2 / words + 1e-9, (live_wer, offline_wer, replay.final.confirmed_text)
    assert "tiny.en" in replay.final.engine and replay.final.done and not replay.final.tentative


def test_confirmed_words_never_change_and_lags_are_recorded(replay):
    assert len(replay.history) > 5  # the captions changed many times while the audio played
    assert replay.confirmed_never_changed()
    assert any(cap.tentative for _, cap in replay.history)  # a tentative tail was shown
    lags = replay.lags()
    print(f"lags: median {np.median(lags):.2f} s, p90 {np.percentile(lags, 90):.2f} s over {len(lags)} words")
    assert len(lags) >= 0.9 * len(replay.final.confirmed)
    # words appeared while the audio played, not only at the end (the bars are in the benchmark)
    assert np.median(lags) < 3.0
    assert replay.history[len(replay.history) // 2][0] < replay.final.audio_seconds
    # times count from the start of the stream and grow
    starts = [w.start for w in replay.final.confirmed]
    assert starts == sorted(starts) and 0 <= starts[0] < 1.5 and starts[-1] < replay.final.audio_seconds


def test_transcript_files_have_times_from_the_start(replay, tmp_path):
    from conftest import assert_monotonic, parse_srt_times

    paths = write_transcript(replay.final, tmp_path, "live")
    assert set(paths) == {"txt", "srt", "vtt"}
    assert_monotonic(parse_srt_times(paths["srt"].read_text()), replay.final.audio_seconds)
    assert paths["vtt"].read_text().startswith("WEBVTT")
    assert "dashwood" in paths["txt"].read_text().lower()


def synth_music(seconds: float = 6.0, sr: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    notes = 220 * 2 ** (np.array([0, 4, 7, 12, 7, 4]) / 12)
    idx = (t * 2).astype(int) % len(notes)
    return (0.3 * np.sin(2 * np.pi * notes[idx] * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))).astype(np.float32)


@pytest.mark.parametrize("kind", ["silence", "noise", "chord", "drums", "melody"])
def test_silence_and_music_give_no_words(kind):
    rng = np.random.default_rng(0)
    if kind == "silence":
        y, sr = np.zeros(5 * 48000, np.float32), 48000
    elif kind == "noise":
        y, sr = (0.01 * rng.standard_normal(5 * 48000)).astype(np.float32), 48000
    elif kind == "melody":
        y, sr = synth_music(), 44100
    else:
        y, sr = sf.read(str(EXAMPLES / ("c_major_chord.wav" if kind == "chord" else "drum_loop.wav")), dtype="float32")
        y = np.tile(y if y.ndim == 1 else y.mean(axis=1), 2)
    final = list(stream_captions([y[i : i + sr // 10] for i in range(0, len(y), sr // 10)], sr))[-1]
    assert final.text == "", final.text
    if kind == "silence":
        assert "microphone is sending silence" in final.message


def test_any_rate_and_chunk_size_int16_stereo(speech):
    """44.1 kHz stereo int16 in uneven chunks (37 ms to 290 ms) gives the same words."""
    x, _ = speech
    y = soxr.resample(x[: 7 * 16000], 16000, 44100)
    stereo = (np.stack([y, 0.8 * y], axis=1) * 30000).astype(np.int16)
    rng = np.random.default_rng(1)
    cap = LiveCaptioner(LiveOptions())
    i = 0
    while i < len(stereo):
        n = int(rng.integers(1600, 12800))
        cap.feed(stereo[i : i + n], 44100)
        cap.decode_if_due()
        i += n
    final = cap.finish()
    assert abs(final.audio_seconds - 7.0) < 0.05
    assert abs(len(cap.recording()) / 16000 - 7.0) < 0.05
    text = final.confirmed_text.lower()
    assert "dashwood" in text and "leisure" in text, text


def test_a_word_whose_start_moves_into_the_last_confirmed_word_is_kept():
    """Seen in CI: "rather" confirmed up to 11.54 s, the next decode put "cold" at 11.38-11.98 s;
    a filter on start times alone dropped it, and "rather cold-hearted" became "rather-hearted"."""
    cap = LiveCaptioner(LiveOptions())
    W = CaptionWord
    cap._update([W(11.08, 11.54, " rather")], confirm_all=True)
    decoded = [W(11.08, 11.38, " rather"), W(11.38, 11.98, " cold"), W(11.98, 12.34, "-hearted")]
    cap._update(decoded, confirm_all=False)
    cap._update(decoded, confirm_all=False)  # the same words twice: agreed
    assert cap.captions().confirmed_text == "rather cold-hearted"


def test_stream_over_the_limit_stops_and_keeps_its_transcript(speech):
    x, _ = speech
    chunks = [x[i : i + 1600] for i in range(0, len(x), 1600)]
    updates = list(stream_captions(chunks, 16000, LiveOptions(max_seconds=5.0)))
    final = updates[-1]
    assert final.done and 4.9 <= final.audio_seconds <= 5.2
    assert "limit" in final.message and "kept" in final.message
    assert "dashwood" in final.confirmed_text.lower()


def test_bad_options_are_user_errors():
    with pytest.raises(UserError, match="cannot translate"):
        LiveCaptioner(LiveOptions(model="whisper-tiny.en", task="translate"))
    with pytest.raises(UserError, match="Unknown language"):
        LiveCaptioner(LiveOptions(language="xx"))
    with pytest.raises(UserError, match="decoding step"):
        LiveCaptioner(LiveOptions(step_s=0))


def test_other_languages_and_translation_use_base():
    from pipelines.live_captions import choose_model

    assert choose_model("auto", "en", "transcribe")[0] == "whisper-tiny.en"
    assert choose_model("auto", "fr", "transcribe")[0] == "whisper-base"
    assert choose_model("auto", "de", "translate")[0] == "whisper-base"
    assert choose_model("auto", None, "transcribe")[0] == "whisper-base"


def test_sessions_decode_in_the_background_and_free_their_slot(speech):
    x, _ = speech
    slots = Slots(1)
    session = LiveSession(LiveOptions(), slots=slots)
    assert slots.in_use == 1
    with pytest.raises(AtCapacity, match="at capacity"):
        LiveSession(LiveOptions(), slots=slots)
    t0 = time.perf_counter()
    for i in range(0, 5 * 16000, 1600):
        session.feed(x[i : i + 1600], 16000)  # returns at once: decoding is in the thread
    assert time.perf_counter() - t0 < 0.5
    deadline = time.time() + 20
    while not session.captions().text and time.time() < deadline:
        time.sleep(0.1)
    assert session.captions().text
    final = session.stop()
    assert final.done and not session.alive and slots.in_use == 0
    # a client that goes away: no audio for idle_s ends the thread and frees the slot
    quiet = LiveSession(LiveOptions(), slots=slots, idle_s=1.0)
    quiet.feed(x[:1600], 16000)
    deadline = time.time() + 10
    while quiet.alive and time.time() < deadline:
        time.sleep(0.1)
    assert not quiet.alive and slots.in_use == 0
    assert "No audio arrived" in quiet.captions().message
    assert threading.active_count() < 50


def test_a_piece_that_arrives_after_stop_is_dropped_not_an_error(speech):
    """The browser's last 0.1-s pieces can reach the server after Stop flushed the resampler: they
    raised soxr's "Input after last input" in the chunk handler (a fresh-clone run lost a page's
    transcript to it)."""
    x, _ = speech
    y = soxr.resample(x[: 2 * 16000], 16000, 48000)
    cap = LiveCaptioner(LiveOptions())
    cap.feed(y[:48000], 48000)
    final = cap.finish()
    cap.feed(y[48000:], 48000)  # late: dropped
    assert cap.captions().audio_seconds == final.audio_seconds


def test_a_session_far_behind_decodes_bigger_cheaper_steps_and_catches_up_without_losing_words(speech):
    """20 s arrive at once (a server that was stalled): the session says how far behind it is, decodes
    up to catch_up_s at a time (far fewer decodes than 0.4-s steps), catches up, and keeps every word."""
    x, ref = speech
    session = LiveSession(LiveOptions())
    for i in range(0, len(x), 1600):
        session.feed(x[i : i + 1600], 16000)
    assert session.behind_seconds() > 10
    assert "behind the microphone" in session.behind_text()
    deadline = time.time() + 90
    while session.inbox.pending_seconds > 0 and time.time() < deadline:
        time.sleep(0.2)
    final = session.stop()
    assert final.done and session.inbox.gaps == []
    assert final.audio_seconds == pytest.approx(len(x) / 16000, abs=0.01)  # every sample decoded
    assert final.decodes <= len(x) / 16000 / 0.4 / 2, final.decodes  # at least twice fewer than in real time
    offline = compare(ref, transcribe(x, TranscribeOptions(model="whisper-tiny.en", language="en")).text).wer
    assert compare(ref, final.confirmed_text).wer <= offline + 0.05, final.confirmed_text


def test_missing_seconds_are_named_in_the_downloads(replay, tmp_path):
    from pipelines.live_captions import MISSING_CUE

    paths = write_transcript(replay.final, tmp_path, "live", gaps=[(3.0, 4.5)])
    srt = paths["srt"].read_text()
    assert MISSING_CUE in srt and "00:00:03,000 --> 00:00:04,500" in srt
    assert MISSING_CUE in paths["txt"].read_text()
