"""Issue 13, class 5 in a browser: Transcribe on robotic Korean, Compose's check and Diarize
forced to 3 speakers on two voices, each result's words checked and screenshotted at laptop
and phone size."""

from __future__ import annotations

import pytest

from browser import tab, upload_audio, wait_for_audio_value
from conftest import DATA

pytestmark = pytest.mark.browser
SIZES = {"laptop": (1400, 1000), "phone": (390, 844)}


def shoot(page, artifacts, name):
    for size, (w, h) in SIZES.items():
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=str(artifacts / f"honest-{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_transcribe_robotic_korean_says_what_was_left_out(page, artifacts, tmp_path):
    import soundfile as sf

    from pipelines import speak as sp

    r = sp.speak("안녕하세요. 오늘 날씨가 정말 좋네요. 회의는 세 시에 시작합니다.", "espeak", "espeak:ko")
    korean = tmp_path / "korean.wav"  # synthesised at test time by Debian espeak-ng, nothing committed
    sf.write(korean, r.audio, r.sr)
    tab(page, "Transcribe")
    block = page.locator("#transcribe-audio")
    upload_audio(page, block, korean)
    wait_for_audio_value(block)
    page.locator("#transcribe-run").click()
    page.wait_for_function(
        "() => /Engine:/.test(document.querySelector('#transcribe-info')?.innerText || '')", timeout=180_000
    )
    page.wait_for_timeout(1500)
    body = page.locator("body").inner_text()
    assert "found none" not in body
    shoot(page, artifacts, "transcribe")


def test_compose_check_explains_itself(page, artifacts):
    tab(page, "Compose")
    page.locator("#compose-prompt textarea").fill("jazz in E major 70 bpm")
    duration = page.get_by_role("spinbutton", name="Duration (seconds)")  # the slider's number box
    duration.fill("30")
    duration.press("Enter")
    page.locator("#compose-run").click()
    page.wait_for_function(
        "() => /Heard in the result/.test(document.querySelector('#compose-description')?.innerText || '')",
        timeout=180_000,
    )
    text = page.locator("#compose-description").inner_text()
    # 30 s at 70 BPM is 8.75 bars: 9 bars of music, the last a final chord, not 8 bars and a long fade
    assert "9 bars" in text and "Length: 30 s" in text, text
    assert "differs from the key written" not in text and "does not match" not in text, text
    shoot(page, artifacts, "compose")


def test_diarize_forced_three_says_doubtful(page, artifacts):
    tab(page, "Diarize")
    block = page.locator(".block", has=page.locator("[aria-label='Upload file']")).filter(visible=True).first
    upload_audio(page, block, DATA / "pyannote" / "sample.wav")
    wait_for_audio_value(block)
    page.locator("#num-speakers input").first.fill("3")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Find speakers").click()
    page.wait_for_function(
        "() => /speakers \\(as asked\\)/.test(document.querySelector('#diarize-info')?.innerText || '')",
        timeout=240_000,
    )
    assert "doubtful" in page.locator("#diarize-info").inner_text()
    shoot(page, artifacts, "diarize")


def test_diarize_at_least_three_says_doubtful(page, artifacts):
    """The minimum-speakers mode ("Auto: at least 3") on two voices says the count came from the
    minimum and that a split is doubtful."""
    tab(page, "Diarize")
    block = page.locator(".block", has=page.locator("[aria-label='Upload file']")).filter(visible=True).first
    upload_audio(page, block, DATA / "pyannote" / "sample.wav")
    wait_for_audio_value(block)
    page.locator("#num-speakers input").first.fill("0")
    at_least = page.get_by_role("spinbutton", name="Auto: at least")
    at_least.fill("3")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Find speakers").click()
    page.wait_for_function(
        "() => /the minimum you set/.test(document.querySelector('#diarize-info')?.innerText || '')",
        timeout=240_000,
    )
    info = page.locator("#diarize-info").inner_text()
    assert "doubtful" in info and "fewer voices than the minimum you set" in info, info
    shoot(page, artifacts, "diarize-at-least")
