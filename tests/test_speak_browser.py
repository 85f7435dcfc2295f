"""The Speak tab in a real browser (Debian Chromium through Playwright), as a user uses it."""

from __future__ import annotations

import io

import pytest
import soundfile as sf

pytestmark = pytest.mark.browser


def _open_speak(page):
    page.get_by_role("tab", name="Speak", exact=True).click()  # not "Speakers"
    page.wait_for_selector("#speak-text textarea")


def _audio_href(page) -> str:
    link = page.locator("#speak-audio [data-testid=download-link]")
    link.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => (document.querySelector('#speak-audio [data-testid=download-link]')?.href || '')"
        ".includes('/gradio_api/file=')",
        timeout=60_000,
    )
    return link.get_attribute("href")


def test_type_text_press_speak_and_download_a_valid_wav(page, artifacts):
    _open_speak(page)
    text = "Hello from the browser. This sentence was typed by a test."
    page.locator("#speak-text textarea").fill(text)
    page.wait_for_function(f"() => document.querySelector('#speak-counter').innerText.includes('{len(text)} /')")
    page.locator("#speak-button").click()
    href = _audio_href(page)
    page.wait_for_selector("#speak-info:has-text('Answered by')")
    response = page.request.get(href)
    assert response.ok
    data, sr = sf.read(io.BytesIO(response.body()))
    assert sr == 22050 and len(data) / sr > 2.0
    assert "Piper" in page.locator("#speak-info").inner_text()
    # the downloads list offers all four files
    files_text = page.locator("#speak-files").inner_text().replace("\n", "")
    for name in (
        "hello-from-the-browser-speech.wav",
        "hello-from-the-browser-speech.mp3",
        "hello-from-the-browser-speech.srt",
        "hello-from-the-browser-speech.vtt",
    ):
        assert name in files_text
    page.locator("#speak-check").click()
    page.wait_for_selector("#speak-check-info:has-text('Word error rate')", timeout=90_000)
    page.screenshot(path=str(artifacts / "speak_piper.png"), full_page=True)


def test_korean_example_and_a_clear_error_for_empty_text(page, artifacts):
    _open_speak(page)
    page.locator("#speak-button").click()  # nothing typed yet
    page.wait_for_selector("text=There is no text to speak", timeout=30_000)
    page.get_by_text("Korean: espeak-ng ko").click()  # the Korean example
    page.wait_for_function("() => document.querySelector('#speak-text textarea').value.startsWith('안녕')")
    _audio_href(page)  # Speak is quick: the example is spoken with no button press (issue 13, class 2)
    page.wait_for_selector("#speak-info:has-text('espeak')")
    assert "Korean" in page.locator("#speak-info").inner_text()
    page.screenshot(path=str(artifacts / "speak_korean.png"), full_page=True)


def test_online_voices_offline_say_so_and_fall_back(page, artifacts):
    _open_speak(page)
    # filled in when the page loads (the reachability check runs then, not at start-up)
    page.wait_for_selector("#speak-online-status:has-text('not available here')", timeout=30_000)
    page.get_by_label("Edge online voices").check()
    page.wait_for_selector("text=Online voices are not reachable", timeout=30_000)  # the warning toast
    page.locator("#speak-text textarea").fill("Hello from an online voice.")
    page.locator("#speak-button").click()
    _audio_href(page)
    page.wait_for_selector("#speak-info:has-text('answered by the bundled')")
    assert "Piper" in page.locator("#speak-info").inner_text()
    page.screenshot(path=str(artifacts / "speak_online_fallback.png"), full_page=True)
