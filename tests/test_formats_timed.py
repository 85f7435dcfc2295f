"""formats: the one clock format and the one grouping of timed words by speaker and pause."""

from __future__ import annotations

from pipelines.formats.subtitles import TimedText, joined_text, speaker_runs
from pipelines.formats.timecode import clock


def test_clock_formats():
    assert clock(65.7) == "1:05"
    assert clock(65.7, rounded=True) == "1:06"
    assert clock(5, pad=True) == "00:05"
    assert clock(3723) == "1:02:03" and clock(3723, pad=True) == "1:02:03"
    assert clock(65.34, tenths=True) == "1:05.3"
    assert clock(-3) == "0:00"


def _words(*spec):
    return [TimedText(a, b, f" {t}", speaker=s) for a, b, t, s in spec]


def test_speaker_runs_cut_at_a_speaker_change_or_a_long_pause():
    words = _words((0, 0.5, "Hello", "A"), (0.6, 1.0, "there.", "A"), (1.1, 1.5, "Hi.", "B"), (4.0, 4.5, "Again", "B"))
    runs = speaker_runs(words, max_gap_s=2.0)
    assert [joined_text(r) for r in runs] == ["Hello there.", "Hi.", "Again"]
    assert [joined_text(r) for r in speaker_runs(words, max_gap_s=3.0)] == ["Hello there.", "Hi. Again"]


def test_words_without_text_are_left_out():
    words = _words((0, 0.5, "Hello", "A")) + [TimedText(0.6, 0.7, " ", speaker="A")]
    assert [len(r) for r in speaker_runs(words)] == [1]
