"""Issue 30, item 6: the offline meeting notes (rules, no language model) on meetings with known
decisions, action items (owners, dates), open questions and next meetings, in English and Korean.

The figures come from benchmarks/bench_meeting_notes_quality.py (its meetings are the data here).
Before: open questions said as statements were missed ("One open question is whether ..."),
"Good morning everyone, today we need to decide ..." was everyone's action item, a sentence was
cut at a pause ("I think we should launch on"), and one speaker read "1 speakers".
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipelines import meeting_notes as mn
from pipelines.formats.subtitles import TimedText

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_meeting_notes_quality as bench  # noqa: E402


@pytest.mark.parametrize("meetings", [bench.MEETINGS, bench.HELD_OUT], ids=["first", "second"])
def test_every_kind_is_found_with_precision_and_recall_of_at_least_0_8(meetings):
    result = bench.score(meetings)
    for kind in bench.KINDS:
        assert result[kind]["precision"] >= 0.8 and result[kind]["recall"] >= 0.8, (kind, result[kind])
    assert result["owners"]["right"] >= 0.8 and result["due dates"]["right"] >= 0.8, result


def _notes(*lines: tuple[str, str]) -> dict:
    return mn.rule_notes(
        [mn.Sentence(start=i * 5.0, end=i * 5.0 + 4, speaker=who, text=text) for i, (who, text) in enumerate(lines)]
    )


def test_what_visitors_saw():
    notes = _notes(
        ("Ann", "Good morning everyone, today we need to decide on the launch date."),
        ("Ann", "One open question is whether we need more servers."),
        ("Bob", "Who is going to update the website?"),
        ("Ann", "I think we should launch on Friday."),
    )
    assert [i.text for i in notes["open_questions"]] == [
        "One open question is whether we need more servers.",
        "Who is going to update the website?",
    ]
    assert notes["action_items"] == []  # a greeting with the agenda, and a proposal: no one's task yet


def test_a_pause_inside_a_sentence_does_not_cut_it():
    def words(*timed):
        return [TimedText(a, b, " " + w, speaker="SPEAKER_00") for a, b, w in timed]

    said = words((0.0, 0.3, "I"), (0.3, 0.6, "think"), (0.6, 0.8, "we"), (0.8, 1.1, "should"), (1.1, 1.4, "launch"))
    said += words((1.4, 1.6, "on"), (3.6, 4.0, "March"), (4.0, 4.4, "fifteenth."))  # a 2-s pause after "on"
    said += words((6.5, 6.8, "Next"), (6.8, 7.2, "topic."))
    sentences = mn.sentences_from_words(said, {"SPEAKER_00": "Ann"})
    assert [s.text for s in sentences] == ["I think we should launch on March fifteenth.", "Next topic."]
    finished = words((0.0, 0.4, "Thanks"), (0.4, 0.8, "everyone"), (3.0, 3.4, "Right."))
    assert len(mn.sentences_from_words(finished, {})) == 2  # a pause after a finished phrase still ends it


def test_one_speaker_is_singular():
    assert mn.speaker_count(1) == "1 speaker" and mn.speaker_count(3) == "3 speakers"
    result = mn.MeetingResult(
        duration=12.0,
        language="en",
        speakers=["Ann"],
        sentences=[mn.Sentence(start=0, end=2, speaker="Ann", text="Hello.")],
        extractive=mn.Notes(method="extractive"),
        model_notes=None,
        model_error="",
        engines="",
        stages=[],
    )
    head = mn.notes_markdown(result).splitlines()[2]
    assert "1 speaker (Ann)" in head and "speakers" not in head
