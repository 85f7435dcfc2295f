"""Meeting notes: the rules and the extractive summary on text, the language-model path through a
stand-in server (in parts when the meeting is long), the escaping of untrusted text, and the whole
pipeline on a three-voice recording built from the repository's speech."""

from __future__ import annotations

import json
import re

import pytest
from llm_server import StandIn
from markdown_it import MarkdownIt

from pipelines import meeting_notes as mn
from pipelines.engines import llm as lm
from pipelines.transcribe import language_name


def S(t, speaker, text):
    return mn.Sentence(start=t, end=t + 2, text=text, speaker=speaker)


MEETING = [
    S(0, "Ann", "Good morning, let's look at the quarterly budget for the new office."),
    S(3, "Ben", "The budget for the new office is higher than we planned in spring."),
    S(6, "Ann", "Rent for the office went up by ten percent this year."),
    S(9, "Ben", "I will send the revised budget to the finance team by Friday."),
    S(12, "Ann", "We agreed to keep the furniture order small."),
    S(15, "Cleo", "Can you book the meeting room for the review?"),
    S(18, "Ben", "Yes, no problem."),
    S(21, "Cleo", "What about the parking spaces?"),
    S(24, "Ann", "Let's meet again next Tuesday at ten."),
]


def test_rules_find_decisions_actions_owners_questions_and_the_next_meeting():
    r = mn.rule_notes(MEETING)
    actions = {i.text: i for i in r["action_items"]}
    mine = actions["I will send the revised budget to the finance team by Friday."]
    assert mine.owner == "Ben" and mine.due == "by Friday"
    asked = actions["Can you book the meeting room for the review?"]
    assert asked.owner == "Ben (asked by Cleo)"  # the next other speaker answers for it
    assert [i.text for i in r["decisions"]] == ["We agreed to keep the furniture order small."]
    assert [i.text for i in r["open_questions"]] == ["What about the parking spaces?"]
    assert [(i.text, i.due) for i in r["next_meeting"]] == [("Let's meet again next Tuesday at ten.", "next Tuesday")]


def test_rules_in_korean():
    ko = [
        S(0, "민수", "다음 분기 예산을 검토해야 합니다."),
        S(3, "지영", "제가 금요일까지 보고서를 보내겠습니다."),
        S(6, "민수", "출시는 3월로 하기로 했습니다."),
        S(9, "지영", "다음 회의는 화요일에 다시 만나요."),
    ]
    r = mn.rule_notes(ko)
    assert [(i.owner, i.due) for i in r["action_items"] if i.speaker == "지영"] == [("지영", "금요일까지")]
    assert [i.text for i in r["decisions"]] == ["출시는 3월로 하기로 했습니다."]
    assert [i.speaker for i in r["next_meeting"]] == ["지영"]
    idx, method = mn.central_sentences(ko, 2)
    assert len(idx) == 2 and method == "character 3-gram TF-IDF"


def test_extractive_summary_picks_central_sentences_with_speakers_and_times():
    notes = mn.extractive_notes(MEETING, mn.MeetingNotesOptions(summary_sentences=2, key_points=2))
    assert "no language model" in notes.method and "MiniLM" in notes.method
    assert len(notes.summary) == 2 and len(notes.key_points) == 2
    texts = [i.text for i in notes.summary]
    assert any("budget" in t for t in texts)  # the meeting is about the budget: its sentences are central
    assert "Yes, no problem." not in texts + [i.text for i in notes.key_points]  # too short to be a point
    assert all(i.speaker in {"Ann", "Ben", "Cleo"} for i in notes.summary)
    starts = [i.start for i in notes.summary]
    assert starts == sorted(starts)


def test_sentences_follow_punctuation_and_speaker_changes():
    words = [
        mn.dz.Word(0.0, 0.4, " Hello", "SPEAKER_00"),
        mn.dz.Word(0.4, 0.8, " there.", "SPEAKER_00"),
        mn.dz.Word(0.9, 1.2, " How", "SPEAKER_00"),
        mn.dz.Word(1.3, 1.6, " are", "SPEAKER_01"),
        mn.dz.Word(1.6, 1.9, " you?", "SPEAKER_01"),
    ]
    out = mn.sentences_from_words(words, {"SPEAKER_00": "Ann", "SPEAKER_01": "Ben"})
    assert [(s.speaker, s.text) for s in out] == [("Ann", "Hello there."), ("Ann", "How"), ("Ben", "are you?")]
    assert mn.transcript_lines(out) == ["[00:00] Ann: Hello there. How", "[00:01] Ben: are you?"]


def test_untrusted_text_is_escaped_in_markdown():
    evil = "<img src=x onerror=alert(1)> **bold** [link](http://x) # head"
    html = MarkdownIt().render("- " + mn.md_escape(evil))
    assert "<img" not in html and "<a " not in html and "<strong>" not in html and "<h1>" not in html
    assert "&lt;img" in html and "**bold**" in html


@pytest.fixture(scope="module")
def server():
    s = StandIn()
    lm.configure_servers(s.url, ("notes", "broken"), None, timeout_s=3.0)
    yield s
    s.close()


def test_instruction_model_notes_are_parsed_into_sections(server):
    model = lm.get(lm.SERVER_PREFIX + "notes")
    notes, parts = mn.instruction_notes(model, mn.transcript_lines(MEETING), "English")
    assert parts == 1
    assert [i.text for i in notes.decisions] == ["Move the launch to March."]
    assert [(i.owner, i.text) for i in notes.action_items] == [("SPEAKER_02", "send the budget report (Friday)")]
    assert notes.open_questions == []  # "None" is not an item
    assert server.requests[-1]["messages"][0]["role"] == "system"
    assert "[00:09] Ben: I will send" in server.requests[-1]["messages"][1]["content"]


def test_a_meeting_longer_than_the_context_is_summarised_in_parts_then_whole(server):
    model = lm.get(lm.SERVER_PREFIX + "notes")
    model.context_tokens = model.count_tokens(mn.NOTES_SYSTEM) + mn.NOTES_MAX_TOKENS + 64 + 300
    lines = mn.transcript_lines(MEETING) * 20  # about 20 x 150 tokens
    before = len(server.requests)
    try:
        notes, parts = mn.instruction_notes(model, lines, "English")
    finally:
        model.context_tokens = lm.SERVER_CONTEXT
    assert parts > 3
    sent = server.requests[before:]
    assert len(sent) > parts  # every part, then the combining pass(es)
    assert "part 1 of" in sent[0]["messages"][1]["content"]
    assert "Merge them into the notes of the whole meeting" in sent[-1]["messages"][1]["content"]
    every_line = "\n".join(m["messages"][1]["content"] for m in sent[:parts])
    assert every_line.count("I will send the revised budget") == 20  # nothing cut off silently
    assert notes.decisions


def test_split_parts_never_exceeds_the_budget():
    lines = ["x" * 50] * 30 + ["y" * 2000]
    parts = mn.split_parts(lines, 100, lambda t: len(t) // 4)
    assert all(sum(len(s) // 4 + 1 for s in p) <= 100 for p in parts)
    assert "".join("".join(p) for p in parts) == "".join(lines)


# --- the whole pipeline on a recording ---------------------------------------------------------


@pytest.fixture(scope="module")
def meeting_wav(tmp_path_factory):
    from meeting_audio import build_meeting

    return build_meeting(tmp_path_factory.mktemp("meeting") / "meeting.wav")


def test_pipeline_on_three_voices_with_a_failing_model(meeting_wav, server, tmp_path):
    """Every speaker appears, the action items name a speaker, the Markdown parses; a language model
    that fails leaves the extractive notes with the reason."""
    import soundfile as sf

    y, sr = sf.read(str(meeting_wav), dtype="float32")
    stages = []
    out = mn.run(
        y,
        sr,
        tmp_path,
        stem="standup",
        options=mn.MeetingNotesOptions(model=lm.SERVER_PREFIX + "broken", names="Diane, Sheila, Joe"),
        progress=lambda f, d: stages.append(d),
    )
    r = out.result
    assert r.language == "en"
    assert set(r.speakers) == {"Diane", "Sheila", "Joe"}
    assert {s.speaker for s in r.sentences} == {"Diane", "Sheila", "Joe"}
    assert r.model_notes is None and "HTTP 500" in r.model_error and "extractive notes" in r.model_error
    joe = [i for i in r.notes.action_items if "budget report" in i.text]
    assert joe and joe[0].owner == "Joe" and joe[0].due == "by Friday"
    assert any("Tuesday" in i.text for i in r.notes.next_meeting)
    assert [s.name for s in r.stages] == ["speakers", "transcript", "extractive notes", "language model"]
    assert any(d.startswith("Speakers") for d in stages) and any(d.startswith("Transcript") for d in stages)
    from tabs import i18n  # the tab shows these two lines; a Korean visitor reads them in Korean

    for line in (r.engines, r.notes.method):
        korean = i18n.to_korean(line)
        assert korean and not re.findall(
            r"\b(speakers|transcript|notes|bundled|offline|chosen|extractive|rules)\b", korean
        ), line

    md = out.files.markdown.read_text()
    tokens = MarkdownIt().parse(md)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert headings == [mn.SECTION_TITLES[k] for k in mn.SECTIONS] + ["Transcript"]
    assert "**Joe**" in md
    data = json.loads(out.files.json.read_text())
    assert data["speakers"] == r.speakers and data["notes"]["action_items"]
    srt = out.files.srt.read_text()
    assert all(f"{name}:" in srt for name in ("Diane", "Sheila", "Joe"))
    assert "ACTION ITEMS" in out.files.txt.read_text()


def test_a_korean_meeting_asks_for_korean_notes_and_keeps_its_words(server):
    """Issue 17: notes in the meeting's language. The detected code 'ko' becomes 'Korean' in the
    model's instructions, and the Korean transcript reaches the model unchanged."""
    ko = [
        S(0, "민수", "다음 분기 예산을 검토해야 합니다."),
        S(3, "지영", "제가 금요일까지 보고서를 보내겠습니다."),
    ]
    assert language_name("ko") == "Korean"
    model = lm.get(lm.SERVER_PREFIX + "notes")
    mn.instruction_notes(model, mn.transcript_lines(ko), language_name("ko"))
    sent = server.requests[-1]["messages"]
    assert "Write the notes in Korean" in sent[0]["content"]
    assert "지영: 제가 금요일까지 보고서를 보내겠습니다." in sent[1]["content"]
