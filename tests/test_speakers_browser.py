"""The Speakers tab in a real browser: Chromium's fake microphone (the LibriVox reader) enrolls a voice
and is then recognised; another visitor's page has no known voices; this browser keeps them."""

from __future__ import annotations

import time

import pytest

from browser import audio_block, record_from_microphone, tab, wait_for_audio_value

pytestmark = pytest.mark.browser


def _wait_text(locator, text: str, timeout_s: float = 120) -> str:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        got = locator.inner_text()
        if text in got:
            return got
        time.sleep(0.5)
    toasts = locator.page.locator(".toast-body").all_inner_texts()
    locator.page.screenshot(path="/tmp/spk_fail.png", full_page=True)
    raise AssertionError(f"{text!r} never appeared; last: {locator.inner_text()!r}; notices: {toasts}")


def _open_known_voices(page):
    tab(page, "Speakers")
    page.get_by_role("tab", name="Known voices", exact=True).first.click()


def test_microphone_enrolls_a_voice_that_is_then_recognised_and_stays_in_this_browser(browser, page, app_url):
    _open_known_voices(page)
    page.locator("#speakers-name textarea, #speakers-name input").first.fill("Reader")
    block = audio_block(page, "A few seconds of their speech (at least 3 s)")
    record_from_microphone(page, block, seconds=6.0)
    wait_for_audio_value(block)
    page.get_by_role("button", name="Enroll this voice").click()
    _wait_text(page.locator("#speakers-message"), "Enrolled")
    _wait_text(page.locator("#speakers-table"), "Reader")

    page.get_by_role("tab", name="Who is this?", exact=True).first.click()
    query = audio_block(page, "Who is speaking? Record or upload")
    record_from_microphone(page, query, seconds=4.0)
    wait_for_audio_value(query)
    page.get_by_role("button", name="Find the voice").click()
    assert "Reader" in _wait_text(page.locator("#speakers-identity"), "Reader")

    # another visitor (a new browser context: its own storage) has no known voices
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page2 = other.new_page()
        page2.goto(app_url, wait_until="domcontentloaded")
        page2.wait_for_selector("#engines-footer", timeout=60_000)
        _open_known_voices(page2)
        time.sleep(2)
        assert "Reader" not in page2.locator("#speakers-table").inner_text()
    finally:
        other.close()

    # this visitor's voices are kept in this browser (encrypted by Gradio: never the plain JSON)
    kept = page.evaluate("localStorage.getItem('audio-studio-known-voices')") or ""
    assert len(kept) > 1000 and "Reader" not in kept, kept[:200]
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#engines-footer", timeout=60_000)
    tab(page, "Speakers")
    page.get_by_role("tab", name="Same person?", exact=True).first.click()
    _open_known_voices(page)
    _wait_text(page.locator("#speakers-table"), "Reader", timeout_s=60)
