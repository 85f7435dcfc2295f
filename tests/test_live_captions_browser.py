"""The Live captions tab in a real browser, fed by Chromium's simulated microphone (the LibriVox WAV)."""

from __future__ import annotations

import time

import pytest

from browser import tab
from conftest import parse_srt_times

pytestmark = pytest.mark.browser

EXPECTED = ("dashwood", "leisure", "consider", "prudently", "power")


def open_tab(page):
    tab(page, "Live captions")
    block = page.locator("#live-audio")
    block.wait_for(state="visible")
    return block


def start(page):
    block = open_tab(page)
    block.locator("button.record-button").first.click()
    return block


def stop(block):
    block.locator("button.stop-button").first.click()


def caption_text(page) -> str:
    return page.locator("#live-captions .live-box").inner_text()


def wait_for_words(page, words=EXPECTED, timeout_s=40.0) -> str:
    deadline = time.time() + timeout_s
    text = ""
    while time.time() < deadline:
        text = caption_text(page).lower()
        if any(w in text for w in words):
            return text
        time.sleep(0.2)
    raise AssertionError(f"no expected words in the captions: {text!r}")


def test_captions_appear_while_speaking_and_srt_downloads(page, artifacts, tmp_path):
    block = start(page)
    t0 = time.time()
    first = wait_for_words(page)
    first_after = time.time() - t0
    time.sleep(6)
    page.screenshot(path=str(artifacts / "live-captions-streaming.png"), full_page=True)
    live_html = page.locator("#live-captions").inner_html()
    assert "confirmed" in live_html
    level = page.locator("#live-meter").inner_text()
    assert "dBFS" in level and "0:00 heard" not in level, level
    assert "tiny.en" in page.locator("#live-status").inner_text()
    stop(block)
    page.wait_for_function(
        "() => (document.querySelector('#live-transcript textarea')?.value || '').length > 20", timeout=60_000
    )
    lines = page.locator("#live-transcript textarea").input_value()
    assert lines.startswith("[0:0"), lines
    assert sum(w in lines.lower() for w in EXPECTED) >= 2, lines
    link = page.locator("#live-files a[href$='.srt']").first
    link.wait_for(state="attached")
    with page.expect_download() as dl:
        link.click()
    srt = tmp_path / "live.srt"
    dl.value.save_as(srt)
    times = parse_srt_times(srt.read_text())
    assert times and all(a[0] <= b[0] for a, b in zip(times, times[1:]))
    page.screenshot(path=str(artifacts / "live-captions-stopped.png"), full_page=True)
    assert first_after < 20, (first_after, first)
