"""The Visualize tab in a real browser: upload, microphone, and a bad file."""

from __future__ import annotations

import re

import pytest

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
        arg=key, timeout=timeout_ms,
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
