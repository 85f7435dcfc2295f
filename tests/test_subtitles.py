"""Subtitle cues cut to a line length, karaoke ASS and enhanced LRC, dash-style speaker cues
(pipelines/formats/subtitles.py): each written, then read back and checked."""

from __future__ import annotations

import pytest

from conftest import parse_srt_times
from pipelines.core.errors import UserError
from pipelines.formats import subtitles as st
from pipelines.formats.subtitles import SubtitleOptions, TimedText

SENTENCE = (
    "And mister John Dashwood had then leisure to consider how much there might be prudently in his power "
    "to do for them, and more words here to fill a third line."
)


def whisper_words(text: str, step: float = 0.4, start: float = 0.0, speaker: str = "") -> list[TimedText]:
    """Words as Whisper gives them: a leading space, each 0.3 s long, one every ``step`` s."""
    return [TimedText(start + i * step, start + i * step + 0.3, " " + w, speaker) for i, w in enumerate(text.split())]


def test_cues_keep_to_the_line_and_cue_limits_and_every_word_in_order():
    words = whisper_words(SENTENCE)
    for chars, lines in [(42, 2), (20, 1), (32, 3)]:
        cues = st.cut_cues(words, SubtitleOptions(chars, lines))
        assert len(cues) > 1
        for cue in cues:
            texts = cue.text.split("\n")
            assert 1 <= len(texts) <= lines and all(len(t) <= chars for t in texts), (chars, lines, texts)
            assert cue.start == cue.words[0].start and cue.end == cue.words[-1].end  # timed by its words
        assert " ".join(c.text.replace("\n", " ") for c in cues) == SENTENCE  # broken between words only
        starts = [c.start for c in cues]
        assert starts == sorted(starts) and all(a.end <= b.start for a, b in zip(cues, cues[1:]))


def test_no_limit_is_one_cue_of_one_line():
    cues = st.cut_cues(whisper_words(SENTENCE), SubtitleOptions(0, 0))
    assert len(cues) == 1 and cues[0].text == SENTENCE
    lines_only = st.cut_cues(whisper_words(SENTENCE), SubtitleOptions(42, 0))
    assert len(lines_only) == 1 and len(lines_only[0].lines) == 4


def test_chinese_without_spaces_breaks_between_characters_and_korean_between_words():
    zh = "今天天气很好，我们去公园散步吧。GPU加速的模型跑得很快，大家都很高兴地看着屏幕上的字幕一个一个出现。"
    cues = st.cut_cues(st.estimate_words(0.0, 6.0, zh), SubtitleOptions(20, 2))
    lines = [ln for c in cues for ln in c.text.split("\n")]
    assert "".join(lines) == zh and all(st.text_width(ln) <= 20 for ln in lines)  # 10 wide characters a line
    assert "GPU" in "".join(lines) and not any(ln.startswith(("，", "。")) for ln in lines)
    assert len(lines) == 5  # 104 columns in lines of 20
    ko = "안녕하세요 여러분 오늘은 한국어 자막을 만들어 보겠습니다 줄 바꿈이 단어 경계에서 일어나야 합니다"
    ko_lines = [ln for c in st.cut_cues(st.estimate_words(0.0, 6.0, ko)) for ln in c.text.split("\n")]
    assert " ".join(ko_lines) == ko and all(st.text_width(ln) <= 42 for ln in ko_lines) and len(ko_lines) == 3
    # Whisper's own Japanese words have no leading space: joined without one
    ja = [TimedText(i * 0.2, i * 0.2 + 0.2, c) for i, c in enumerate("今日はいい天気ですね")]
    assert st.cut_cues(ja)[0].text == "今日はいい天気ですね"


def test_a_word_longer_than_a_line_is_split_with_its_time_shared():
    words = [TimedText(0.0, 1.0, " short"), TimedText(1.0, 3.0, " " + "x" * 30)]
    cues = st.cut_cues(words, SubtitleOptions(12, 2))
    lines = [ln for c in cues for ln in c.text.split("\n")]
    assert all(len(ln) <= 12 for ln in lines) and "".join(lines).replace("short", "") == "x" * 30
    assert cues[-1].end == pytest.approx(3.0)


def test_srt_and_vtt_round_trip_through_the_reader():
    cues = [c.segment for c in st.cut_cues(whisper_words(SENTENCE, start=3600.5))]
    for text in (st.to_srt(cues), st.to_vtt(cues)):
        back = st.read_cues(text)
        assert [t for _, _, t in back] == [t for _, _, t in cues]
        assert all(abs(a[0] - b[0]) < 1e-3 and abs(a[1] - b[1]) < 1e-3 for a, b in zip(back, cues))
    assert parse_srt_times(st.to_srt(cues))[0][0] == pytest.approx(3600.5)


def test_player_subtitles_from_a_vtt(tmp_path):
    path = tmp_path / "a.vtt"
    path.write_text(st.to_vtt([(0.5, 1.5, "Hello\nthere"), (2.0, 3.0, "again")]))
    assert st.player_subtitles(path) == [
        {"text": "Hello there", "timestamp": [0.5, 1.5]},
        {"text": "again", "timestamp": [2.0, 3.0]},
    ]


def test_ass_karaoke_reads_back_with_every_word_and_its_time():
    words = whisper_words(SENTENCE, step=0.37, start=61.234)
    cues = st.cut_cues(words)
    ass = st.to_ass_karaoke(cues, "talk {x}.wav")
    assert "[Script Info]" in ass and "[V4+ Styles]" in ass and "Title: talk (x).wav" in ass
    dialogue = [ln for ln in ass.splitlines() if ln.startswith("Dialogue:")]
    assert len(dialogue) == len(cues) and dialogue[0].startswith("Dialogue: 0,0:01:01.23,")
    assert "\\N" in dialogue[0]  # the cue's two lines
    back = [w for line in st.read_ass_karaoke(ass) for w in line]
    assert [w for _, _, w in back] == SENTENCE.split()
    for (start, end, _), w in zip(back, words):
        assert abs(start - w.start) <= 0.011 and abs(end - w.end) <= 0.011  # centiseconds, no drift


def test_enhanced_lrc_reads_back_with_every_word_and_its_time():
    words = whisper_words(SENTENCE, step=0.37, start=125.0)
    cues = st.cut_cues(words)
    lrc = st.to_lrc_enhanced(cues, "talk", duration=200.0)
    assert lrc.startswith("[ti:talk]\n[length:03:20]\n")
    first = next(ln for ln in lrc.splitlines() if ln.startswith("[02:05.00]"))
    assert first.startswith("[02:05.00] <02:05.00> And <02:05.37> mister <02:05.74> John")
    lines = st.read_lrc_enhanced(lrc)
    assert len(lines) == sum(len(c.lines) for c in cues)  # one LRC line per subtitle line
    got = [(t, w) for line in lines for t, w in line if w]
    assert [w for _, w in got] == SENTENCE.split()
    assert all(abs(t - w.start) <= 0.006 for (t, _), w in zip(got, words))
    assert all(line[-1][1] == "" for line in lines)  # each line ends with the end of its last word


def test_karaoke_of_chinese_words_has_no_spaces_between_them():
    words = [TimedText(i * 0.3, i * 0.3 + 0.3, c) for i, c in enumerate("你好世界")]
    cues = st.cut_cues(words)
    lrc = st.to_lrc_enhanced(cues)
    assert "<00:00.00> 你<00:00.30>好<00:00.60>世<00:00.90>界 <00:01.20>" in lrc
    assert [w for _, _, w in st.read_ass_karaoke(st.to_ass_karaoke(cues))[0]] == list("你好世界")


def _speakers(*parts):
    """Words from (speaker, start, text) runs, 0.3 s a word."""
    out = []
    for speaker, start, text in parts:
        out += whisper_words(text, step=0.3, start=start, speaker=speaker)
    return out


def test_dash_style_puts_a_dash_before_each_speakers_line_in_a_shared_cue():
    words = _speakers(("S0", 0.0, "Are you coming?"), ("S1", 1.2, "Yes, in a minute."), ("S0", 5.0, "Good."))
    dash = SubtitleOptions(speaker_style="dash")
    cues = st.speaker_cues(words, {"S0": "Ann"}, dash)
    assert cues[0][2] == "- Are you coming?\n- Yes, in a minute." and cues[0][:2] == (0.0, pytest.approx(2.4))
    assert cues[1][2] == "Good."  # one speaker in a cue: no dash, no name
    named = st.speaker_cues(words, {"S0": "Ann"})
    assert [t for _, _, t in named] == ["Ann: Are you coming?", "S1: Yes, in a minute.", "Ann: Good."]


def test_dash_style_keeps_long_lines_and_far_apart_replies_in_their_own_cues():
    long = "This sentence is much too long to share a subtitle cue with the reply"
    words = _speakers(("S0", 0.0, long), ("S1", 4.5, "No."), ("S1", 9.0, "Really."), ("S0", 9.8, "Yes."))
    cues = st.speaker_cues(words, None, SubtitleOptions(speaker_style="dash"))
    texts = [t for _, _, t in cues]
    assert not any(t.startswith("- ") for t in texts[:-1]) and texts[-1] == "- Really.\n- Yes."
    assert all(len(ln) <= 42 for t in texts for ln in t.split("\n"))
    one_line = st.speaker_cues(words, None, SubtitleOptions(max_lines=1, speaker_style="dash"))
    assert not any("\n" in t for _, _, t in one_line)  # a one-line cue cannot hold two speakers
    # the short tail of a long utterance is not dashed with the reply: it does not start a line of its own
    tail = _speakers(("S0", 0.0, SENTENCE), ("S1", 8.6, "No."))
    cues = st.speaker_cues(tail, None, SubtitleOptions(speaker_style="dash"))
    assert cues[-1][2] == "No." and not any("- " in t for _, _, t in cues)
    assert all(e - s <= st.SPEAKER_MAX_CUE_S for s, e, _ in cues)


def test_named_speaker_cues_wrap_with_the_name_in_the_first_line():
    words = _speakers(("SPEAKER_00", 0.0, SENTENCE))
    cues = st.speaker_cues(words, None, SubtitleOptions(30, 2))
    assert all(t.startswith("SPEAKER_00: ") for _, _, t in cues)
    assert all(len(ln) <= 30 for _, _, t in cues for ln in t.split("\n"))
    assert all(e - s <= st.SPEAKER_MAX_CUE_S for s, e, _ in cues)


@pytest.mark.parametrize(
    "options, message",
    [
        (SubtitleOptions(max_line_chars=5), "Characters per line"),
        (SubtitleOptions(max_line_chars=-1), "Characters per line"),
        (SubtitleOptions(max_lines=11), "Lines per cue"),
        (SubtitleOptions(max_line_chars="many"), "whole numbers"),
        (SubtitleOptions(speaker_style="stars"), "Unknown speaker style"),
    ],
)
def test_bad_subtitle_options_are_refused(options, message):
    with pytest.raises(UserError, match=message):
        options.checked()
