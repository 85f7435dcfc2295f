"""The Visualize tab in a real browser: upload, microphone, and a bad file."""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf

from browser import audio_block, error_toast_text, image_src, record_from_microphone, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

pytestmark = pytest.mark.browser

PANEL_IDS = ["waveform", "spectrum", "spectrogram", "phase", "mel", "mfcc", "chroma"]


def facts_in_page(page) -> dict[str, str]:
    out = {}
    for row in page.locator("#facts [role=row]").all():
        parts = [p.strip() for p in row.inner_text().split("\n") if p.strip()]
        if len(parts) >= 2:
            out[parts[0]] = parts[1]
    return out


def wait_for_facts(page, key="RMS", timeout_ms=90_000):
    page.wait_for_function(
        "(k) => [...document.querySelectorAll('#facts [role=row]')].some(r => r.innerText.trim().startsWith(k))",
        arg=key,
        timeout=timeout_ms,
    )
    return facts_in_page(page)


def test_upload_shows_facts_and_every_figure(page, artifacts):
    block = audio_block(page, "Audio: record or upload")
    upload_audio(page, block, EXAMPLES / "stereo_sweeps.wav")
    wait_for_audio_value(block)
    facts = wait_for_facts(page)  # the upload itself triggers a render
    assert facts["Channels"].startswith("2")
    for panel in PANEL_IDS:
        assert "/gradio_api/file=" in image_src(page, f"panel-{panel}")
    page.screenshot(path=str(artifacts / "visualize-upload.png"), full_page=True)
    # a setting redraws the figures without pressing the button
    before = image_src(page, "panel-chroma")  # (Gradio names files by content: unchanged figures keep their URL)
    page.get_by_text("Settings (figures redraw", exact=False).click()
    page.get_by_role("radio", name="cqt", exact=True).click()
    page.wait_for_function(
        "(old) => { const i = document.querySelector('#panel-chroma img'); return i && i.getAttribute('src') !== old; }",
        arg=before,
        timeout=90_000,
    )
    assert facts_in_page(page)["Channels"].startswith("2")  # a redraw keeps the facts (it skips recomputing them)


def test_microphone_recording_gives_non_silent_facts(page, artifacts):
    block = audio_block(page, "Audio: record or upload")
    record_from_microphone(page, block, seconds=3.0)
    wait_for_audio_value(block)
    facts = wait_for_facts(page)  # stop_recording triggers a render
    rms = float(re.match(r"(-?[\d.]+|-inf)", facts["RMS"]).group(1))
    duration = float(facts["Duration"].split()[0])
    assert rms > -45, facts  # speech, not silence (Chromium's processing changes the level a little)
    assert 1.5 < duration < 10, facts
    assert float(facts["Silence"].rstrip("%")) < 90
    image_src(page, "panel-spectrogram")
    page.screenshot(path=str(artifacts / "visualize-microphone.png"), full_page=True)


def test_bad_file_shows_readable_error_and_next_request_works(page, artifacts, tmp_path):
    bad = tmp_path / "not-really.wav"
    bad.write_text("hello, I am a text file pretending to be a recording\n" * 30)
    block = audio_block(page, "Audio: record or upload")
    upload_audio(page, block, bad)
    text = error_toast_text(page)
    assert "not an audio file" in text or "Could not read" in text, text
    page.screenshot(path=str(artifacts / "visualize-bad-file.png"), full_page=True)
    # the same page keeps working
    block.get_by_label("Clear").first.click()
    upload_audio(page, block, EXAMPLES / "a440_sine.wav")
    facts = wait_for_facts(page)
    assert facts["Channels"].startswith("1")


def test_ten_minute_recording_renders_without_freezing_the_page(page, artifacts, tmp_path):
    import time

    import numpy as np
    import soundfile as sf

    speech, sr = sf.read(EXAMPLES / "speech_librivox.wav", dtype="float32")
    ten_min = np.tile(speech, int(np.ceil(600 * sr / len(speech))))[: 600 * sr]
    path = tmp_path / "ten-minutes.wav"
    sf.write(path, ten_min, sr, subtype="PCM_16")
    block = audio_block(page, "Audio: record or upload")
    upload_audio(page, block, path)
    slowest = 0.0
    deadline = time.time() + 240
    while time.time() < deadline:
        t0 = time.perf_counter()
        page.evaluate("() => document.querySelectorAll('img').length")  # the page answers while the server works
        slowest = max(slowest, time.perf_counter() - t0)
        if page.locator("#panel-mel img").count() and page.locator("#facts [role=row]").count() > 5:
            break
        time.sleep(0.5)
    facts = facts_in_page(page)
    assert facts["Duration"].startswith("600.0"), facts
    assert slowest < 2.0, f"page froze for {slowest:.1f} s"
    width = page.evaluate("() => document.querySelector('#panel-spectrogram img').naturalWidth")
    assert width <= 1200  # drawn at screen resolution, not one column per STFT frame
    page.screenshot(path=str(artifacts / "visualize-ten-minutes.png"), full_page=True)


def test_clear_or_a_bad_file_leaves_no_old_figures(page, artifacts, tmp_path):
    """Issue 30, item 4: the previous clip's facts and figures go on Clear and beside an error."""
    block = audio_block(page, "Audio: record or upload")
    upload_audio(page, block, EXAMPLES / "a440_sine.wav")
    wait_for_facts(page)
    image_src(page, "panel-spectrogram")
    block.get_by_label("Clear").first.click()
    page.wait_for_function("() => !document.querySelector('#panel-spectrogram img')", timeout=30_000)
    assert page.locator("[id^=panel-] img").count() == 0
    assert "Sample rate" not in facts_in_page(page)  # only the header row is left
    upload_audio(page, block, EXAMPLES / "a440_sine.wav")
    wait_for_facts(page)
    image_src(page, "panel-waveform")
    bad = tmp_path / "huge.wav"
    sf.write(bad, np.full(8000, 1e30, np.float32), 16000, subtype="FLOAT")
    block.get_by_label("Clear").first.click()
    upload_audio(page, block, bad)
    assert "far beyond full scale" in error_toast_text(page)
    page.wait_for_function("() => !document.querySelector('[id^=panel-] img')", timeout=30_000)
    assert "Sample rate" not in facts_in_page(page)  # only the header row is left
    page.screenshot(path=str(artifacts / "visualize-cleared-after-error.png"), full_page=True)
