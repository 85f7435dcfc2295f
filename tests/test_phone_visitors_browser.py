"""Issue 30, item 5: at 390 px (a phone) Transcribe's "Detected language (top 3)" block is squeezed
to half the width beside the comparison, and its label badge covers the headline."""

from __future__ import annotations

import pytest

from browser import tab, upload_audio, wait_for_audio_value
from conftest import SPEECH_WAV

pytestmark = pytest.mark.browser


def test_detected_language_takes_the_phone_width_and_its_label_clears_the_headline(page, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    tab(page, "Transcribe")
    block = page.locator("#transcribe-audio")
    block.wait_for(state="visible")
    upload_audio(page, block, SPEECH_WAV)
    wait_for_audio_value(block)
    page.locator("#transcribe-run").click()
    headline = page.locator("#transcribe-languages h2").first
    headline.wait_for(state="visible", timeout=120_000)
    page.wait_for_function(
        "() => (document.querySelector('#transcribe-languages h2')?.innerText || '').includes('English')",
        timeout=120_000,
    )
    box = page.locator("#transcribe-languages").bounding_box()
    assert box["width"] >= 0.8 * 390 - 40, box  # the whole row (less the page's padding), not half
    badge = page.locator("#transcribe-languages [data-testid=block-label]").first.bounding_box()
    head = headline.bounding_box()
    overlap = badge["y"] + badge["height"] > head["y"] and badge["x"] + badge["width"] > head["x"]
    assert not overlap or head["x"] >= badge["x"] + badge["width"], (badge, head)
    page.screenshot(path=str(artifacts / "transcribe-phone-languages.png"), full_page=True)
