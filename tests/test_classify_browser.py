"""Classify and Zero-shot as a user does it: a real Chromium, uploads, clicks, labels and timelines."""

from __future__ import annotations

import pytest

from browser import record_from_microphone, tab, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

pytestmark = pytest.mark.browser


def test_classify_pick_task_upload_see_labels_and_timeline(page, artifacts):
    tab(page, "Classify")
    task = page.locator("#classify-task")
    # A hub task is set apart, not offered, while the hub cannot be reached (the test app is offline) ...
    page.locator("#classify-hub").get_by_text("Keyword spotting", exact=False).wait_for()
    task.locator("input").click()
    page.get_by_role("option", name="Bird species (6,522): BirdNET, bundled", exact=False).click()
    info = page.locator("#classify-task-info")
    info.get_by_text("BirdNET", exact=False).first.wait_for()
    # ... then pick the bundled sound-event task and upload speech: classifying starts on upload.
    task.locator("input").click()
    page.get_by_role("option", name="Sound events (AudioSet, 521 classes): YAMNet, bundled").click()
    info.get_by_text("YAMNet int8", exact=False).wait_for()
    upload_audio(page, page.locator("#classify-audio"), EXAMPLES / "speech_librivox.wav")
    labels = page.locator("#classify-labels")
    labels.get_by_text("Speech", exact=True).first.wait_for(timeout=90_000)
    page.locator("#classify-summary").get_by_text("offline: bundled YAMNet", exact=False).wait_for()
    timeline = page.locator("#classify-timeline img")
    timeline.wait_for(timeout=60_000)
    assert timeline.evaluate("img => img.naturalWidth") >= 800
    page.locator("#classify-csv").get_by_text(".csv", exact=False).first.wait_for()
    page.screenshot(path=str(artifacts / "classify-yamnet.png"), full_page=True)


def test_zero_shot_with_typed_labels(page, artifacts):
    tab(page, "Zero-shot")
    block = page.locator("#zs-audio")
    upload_audio(page, block, EXAMPLES / "drum_loop.wav")
    wait_for_audio_value(block)
    box = page.locator("#zs-labels textarea")
    box.fill("Someone talking\nDrums\nA dog barking")
    page.locator("#zs-run").click()
    summary = page.locator("#zs-summary")
    summary.get_by_text("approximate (offline)", exact=False).wait_for(timeout=90_000)
    assert "Best match:** Drums" in summary.inner_html() or "Best match: Drums" in summary.inner_text()
    assert "Drum machine" in summary.inner_text()  # which AudioSet classes the label drew on
    page.locator("#zs-timeline img").wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts / "zero-shot-offline.png"), full_page=True)


def test_classify_from_the_microphone(page, artifacts):
    """Chromium's fake microphone plays LibriVox speech; stopping the recording classifies it."""
    tab(page, "Classify")
    record_from_microphone(page, page.locator("#classify-audio"), seconds=3.0)
    page.locator("#classify-labels").get_by_text("Speech", exact=True).first.wait_for(timeout=90_000)
    page.locator("#classify-timeline img").wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts / "classify-microphone.png"), full_page=True)
