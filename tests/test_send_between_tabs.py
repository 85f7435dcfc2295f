"""Sending a sound from one tab to another (tabs.common.TabContext.send_menu / send_on), and
Analyze's one-click loudness fix, through the API and in a real browser."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from browser import audio_block, tab, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

SPEECH = EXAMPLES / "speech_librivox.wav"


def integrated(path) -> float:
    y, sr = sf.read(path, always_2d=True)
    return pyloudnorm.Meter(sr).integrated_loudness(y)


@pytest.mark.parametrize(("target", "lufs"), [("broadcast", -23.0), ("streaming", -14.0)])
def test_fix_loudness_reaches_the_target(client, target, lufs):
    assert abs(integrated(SPEECH) - lufs) > 1.5  # the fix has work to do
    update, note = client.predict(handle_file(str(SPEECH)), target, api_name="/analyze_fix_loudness")
    path = update["value"] if isinstance(update, dict) else update
    assert integrated(path) == pytest.approx(lufs, abs=0.5)
    assert f"normalize_loudness(lufs={lufs:g}" in note
    y, _ = sf.read(path)
    assert np.max(np.abs(y)) <= 10 ** (-1 / 20) + 1e-3  # the -1 dBTP ceiling holds (sample peak under it)


def test_fix_loudness_bad_input_is_said(client):
    with pytest.raises(AppError, match="'loud'.*not in the list of choices"):
        client.predict(handle_file(str(SPEECH)), "loud", api_name="/analyze_fix_loudness")
    with pytest.raises(AppError, match="Load a recording first"):
        client.predict(None, "podcast", api_name="/analyze_fix_loudness")


def active_panel(page):
    return page.locator("[role=tabpanel]:visible").first


def synthesize_tone(page) -> None:
    tab(page, "Sound lab")
    page.get_by_role("tab", name="Synthesize", exact=True).click()
    page.locator("#synth-run").click()
    wait_for_audio_value(page.locator("#synth-out"), timeout_s=90)


def send_to(page, elem_id: str, title: str) -> None:
    box = page.locator(f"#{elem_id}-to input")
    box.click()
    page.get_by_role("option", name=title, exact=True).click()
    page.locator(f"#{elem_id}").click()


@pytest.mark.browser
def test_synthesized_tone_sent_to_visualize_and_transcribe_lands_in_their_input(page):
    synthesize_tone(page)
    send_to(page, "synth-send-to", "Visualize")
    page.get_by_role("tab", name="Visualize", selected=True).wait_for(timeout=30_000)
    href = wait_for_audio_value(audio_block(page, "Audio: record or upload", within=active_panel(page)))
    assert ".wav" in href

    synthesize_tone(page)
    send_to(page, "synth-send-to", "Transcribe")
    page.get_by_role("tab", name="Transcribe", selected=True).wait_for(timeout=30_000)
    href = wait_for_audio_value(page.locator("#transcribe-audio"))
    assert ".wav" in href


@pytest.mark.browser
def test_analyze_fix_here_and_open_in_sound_lab(page, artifacts):
    tab(page, "Analyze")
    block = audio_block(page, "Audio: record or upload", within=active_panel(page))
    upload_audio(page, block, SPEECH)
    wait_for_audio_value(block)
    page.get_by_role("radio", name="broadcast").click()

    page.locator("#analyze-fix").click()
    wait_for_audio_value(page.locator("#analyze-fixed"), timeout_s=120)
    page.wait_for_function(
        "() => document.querySelector('#analyze-fixed-note').innerText.includes('LUFS now')", timeout=60_000
    )
    note = page.locator("#analyze-fixed-note").inner_text()
    now = float(note.split("LUFS before, ")[1].split(" LUFS now")[0])
    assert now == pytest.approx(-23, abs=0.5), note
    page.screenshot(path=str(artifacts / "analyze-fix.png"), full_page=True)

    page.locator("#analyze-fix-lab").click()
    page.get_by_role("tab", name="Sound lab", selected=True).wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#sound-lab-chain textarea').value.startsWith('normalize_loudness(lufs=-23')",
        timeout=30_000,
    )
    wait_for_audio_value(page.locator("#sound-lab-in"))
    page.locator("#sound-lab-apply").click()
    wait_for_audio_value(page.locator("#sound-lab-after"), timeout_s=120)
