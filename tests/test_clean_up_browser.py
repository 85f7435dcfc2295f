"""Clean up in a real browser: upload noisy speech, remove the noise, play both versions; screenshots."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from browser import play_and_hear, tab, upload_audio, wait_for_audio_value
from conftest import LIBRIVOX

pytestmark = pytest.mark.browser


def test_upload_clean_and_play_both(page, artifacts, tmp_path):
    y, sr = sf.read(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0890.wav", dtype="float32")
    noise = np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    noisy = tmp_path / "noisy.wav"
    sf.write(noisy, y + noise * np.sqrt(np.sum(y**2) / np.sum(noise**2) / 10**0.5), sr)

    tab(page, "Clean up")
    block = page.locator("#clean-audio")
    upload_audio(page, block, noisy)
    wait_for_audio_value(block)
    page.locator("#denoise-run").click()
    wait_for_audio_value(page.locator("#denoise-after"), timeout_s=120)
    info = page.locator("#denoise-info")
    info.get_by_text("Noise removed").wait_for()
    assert "DeepFilterNet3" in info.inner_text()
    page.locator("#denoise-before-spec img").wait_for()
    page.locator("#denoise-after-spec img").wait_for()
    wait_for_audio_value(page.locator("#denoise-before"))
    play_and_hear(page, "denoise-before")
    play_and_hear(page, "denoise-after")
    page.screenshot(path=str(artifacts / "clean_up_1400x1000.png"), full_page=True)

    with page.expect_download() as dl:
        page.locator("#denoise-after [data-testid=download-link]").click()
    out = tmp_path / "clean.wav"
    dl.value.save_as(out)
    assert sf.info(out).samplerate == 48000

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "clean_up_390x844.png"), full_page=True)

    # the Separate view: each stem gets a player; the no-model HPSS split is quick
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_role("tab", name="Separate", exact=True).click()
    engine = page.locator("#separate-engine input")
    engine.click()
    page.get_by_role("option", name="Harmonic / percussive split (librosa HPSS, no model)").click()
    page.locator("#separate-run").click()
    wait_for_audio_value(page.locator("#separate-stem-1"), timeout_s=120)
    wait_for_audio_value(page.locator("#separate-stem-2"))
    assert "Stem 1: harmonic" in page.locator("#separate-info").inner_text()
    page.locator("#separate-zip a").first.wait_for()
    page.screenshot(path=str(artifacts / "clean_up_separate_1400x1000.png"), full_page=True)
