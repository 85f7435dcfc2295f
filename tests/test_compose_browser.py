"""Compose in a real browser: type a prompt, press the button, hear and download the result."""

from __future__ import annotations

import mido
import pytest
import soundfile as sf

from browser import play_and_hear, tab, wait_for_audio_value

pytestmark = pytest.mark.browser


def test_type_prompt_compose_hear_and_download(page, artifacts, tmp_path):
    tab(page, "Compose")
    engines = page.locator("#compose-engines")
    engines.get_by_text("MusicGen small", exact=False).wait_for()
    assert (
        "not offered here" in engines.inner_text() and "Model hub:" in engines.inner_text()
    )  # the app runs offline: MusicGen set apart, with the reason (tests/test_hub_choices_browser.py)

    page.locator("#compose-prompt textarea").fill("happy folk guitar in G major")
    page.locator("#compose-run").click()

    link = page.locator("#compose-audio [data-testid=download-link]")
    wait_for_audio_value(page.locator("#compose-audio"), timeout_s=90)
    description = page.locator("#compose-description")
    description.get_by_text("G major").first.wait_for()
    assert "Folk" in description.inner_text() and "rule-based composer" in description.inner_text()
    page.locator("#compose-picture img").wait_for()

    # hear it: once the player has loaded the WAV (its duration shows), press Play; the clock
    # advances while it plays. A press that lands before the waveform is ready is pressed again.
    play_and_hear(page, "compose-audio", "0:15")

    with page.expect_download() as dl:
        link.click()
    wav = tmp_path / "music.wav"
    dl.value.save_as(wav)
    info = sf.info(wav)
    assert info.channels == 2 and info.duration == pytest.approx(15, abs=0.05)

    midi_link = page.locator("#compose-midi a").first
    with page.expect_download() as dl_midi:
        midi_link.click()
    mid = tmp_path / "music.mid"
    dl_midi.value.save_as(mid)
    assert mido.MidiFile(mid).length > 14

    page.screenshot(path=str(artifacts / "compose_tab.png"), full_page=True)
