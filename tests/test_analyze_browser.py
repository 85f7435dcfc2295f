"""The Analyze tab in a real browser: upload music, read the summary and the figures; a phone-sized view."""

from __future__ import annotations

import pytest

from browser import audio_block, image_src, tab, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

pytestmark = pytest.mark.browser


def _analyze(page, path):
    tab(page, "Analyze")
    panel = page.locator("[role=tabpanel]").filter(has=page.locator("#analyze-summary")).first
    block = audio_block(page, "Audio: record or upload", within=panel)
    upload_audio(page, block, path)
    wait_for_audio_value(block)
    page.wait_for_function(
        "() => (document.querySelector('#analyze-summary')?.innerText || '').includes('LUFS')", timeout=120_000
    )
    return page.locator("#analyze-summary").inner_text()


def test_upload_music_shows_summary_figures_and_clicks(page, artifacts):
    summary = _analyze(page, EXAMPLES / "drum_loop.wav")
    assert "120 BPM" in summary
    for name in ("loudness", "rhythm", "key", "mood"):
        assert "/gradio_api/file=" in image_src(page, f"analyze-{name}")
    assert page.locator("#analyze-facts").inner_text().count("LUFS") >= 3
    assert not page.locator("#analyze-pitch").is_visible()  # no pitch figure for music
    assert page.locator("#analyze-clicks").is_visible()
    page.wait_for_timeout(800)  # figures settle
    page.screenshot(path=str(artifacts / "analyze-1400x1000.png"), full_page=False)
    page.screenshot(path=str(artifacts / "analyze-full.png"), full_page=True)


def test_phone_view(browser, app_url, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, permissions=["microphone"])
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        pg.goto(app_url, wait_until="domcontentloaded")
        pg.wait_for_selector("#engines-footer", timeout=60_000)
        summary = _analyze(pg, EXAMPLES / "speech_librivox.wav")
        assert "words a minute" in summary or "voice around" in summary
        pg.locator("#analyze-pitch").scroll_into_view_if_needed()  # images load lazily, when on screen
        assert "/gradio_api/file=" in image_src(pg, "analyze-pitch", timeout_s=120)
        assert not pg.locator("#analyze-rhythm").is_visible()  # no beats figure for speech
        assert not pg.locator("#analyze-clicks").is_visible()  # and no click track
        pg.locator("#analyze-summary").scroll_into_view_if_needed()
        pg.screenshot(path=str(artifacts / "analyze-390x844.png"), full_page=False)
        pg.screenshot(path=str(artifacts / "analyze-390-full.png"), full_page=True)
    finally:
        context.close()
