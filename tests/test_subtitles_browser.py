"""Subtitles in a real browser: the Transcribe tab's player shows the cues in sync as it plays,
and the Diarize tab offers the dash style for speakers."""

from __future__ import annotations

import re

import pytest

from browser import tab, upload_audio, wait_for_audio_value
from conftest import SPEECH_WAV

pytestmark = pytest.mark.browser

CAPTION = "#transcribe-player [data-testid=subtitle-display]"


def _caption(page) -> str:
    return page.evaluate(f"() => document.querySelector('{CAPTION}')?.innerText || ''").strip()


def test_player_shows_the_subtitles_while_it_plays(page, artifacts):
    tab(page, "Transcribe")
    block = page.locator("#transcribe-audio")
    upload_audio(page, block, SPEECH_WAV)
    wait_for_audio_value(block)
    page.locator("#transcribe-model input").fill("whisper-tiny.en")
    page.keyboard.press("Enter")
    page.locator("#transcribe-run").click()
    player = page.locator("#transcribe-player")
    player.wait_for(state="visible", timeout=120_000)
    page.locator("#transcribe-player time#duration").get_by_text("0:07").wait_for()
    transcript = page.locator("#transcript textarea").input_value()
    assert _caption(page) == ""  # nothing shown before it plays
    page.locator("#transcribe-player button.play-pause-button").click()
    page.wait_for_function(f"() => (document.querySelector('{CAPTION}')?.innerText || '').trim().length > 3")
    seen = [_caption(page)]
    player.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "transcribe-player-subtitles.png"), full_page=False)
    for _ in range(40):  # the captions change as the audio plays on
        page.wait_for_timeout(150)
        text = _caption(page)
        if text and text != seen[-1]:
            seen.append(text)
        if len(seen) >= 2:
            break
    assert len(seen) >= 2, seen
    words = set(re.findall(r"\w+", transcript.lower()))
    for text in seen:  # each caption is a piece of the transcript
        assert set(re.findall(r"\w+", text.lower())) <= words, (text, transcript)
    page.locator("#transcribe-player button[aria-label=Pause]").click()


def test_diarize_offers_the_dash_style(page):
    tab(page, "Diarize")
    style = page.locator("#diarize-speaker-style")
    style.wait_for(state="visible")
    assert style.get_by_role("radio", name="Name: text").is_checked()
    style.get_by_text("- dash at a change of speaker").click()
    assert style.get_by_role("radio", name="- dash at a change of speaker").is_checked()
