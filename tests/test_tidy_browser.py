"""Issue 13 in a real browser: results that belong to another input are cleared (class 1)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from browser import audio_block, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

pytestmark = pytest.mark.browser


def test_visualize_new_upload_clears_phase_lesson_and_features_zip(page, artifacts):
    block = audio_block(page, "Audio: record or upload")
    upload_audio(page, block, EXAMPLES / "a440_sine.wav")
    wait_for_audio_value(block)
    page.get_by_role("button", name="Rebuild and play").click()
    page.wait_for_function(
        "() => (document.querySelector('#phase-info')?.innerText || '').includes('Rebuilt')", timeout=90_000
    )
    page.get_by_role("button", name="Download features (.npy + .csv + PNG, zip)").click()
    page.get_by_text("features-a440_sine", exact=False).first.wait_for(timeout=90_000)
    # the whole name shows (class 6): no file name is cut with an ellipsis
    page.set_viewport_size({"width": 390, "height": 844})
    cut = page.evaluate(
        "() => [...document.querySelectorAll('.file-preview .filename .stem')]"
        ".filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).length"
    )
    assert cut == 0
    page.set_viewport_size({"width": 1400, "height": 1000})
    # a new clip: the players and the zip of the previous one must go
    block.get_by_label("Clear").first.click()
    upload_audio(page, block, EXAMPLES / "stereo_sweeps.wav")
    wait_for_audio_value(block)
    page.wait_for_function(
        "() => !(document.querySelector('#phase-info')?.innerText || '').includes('Rebuilt')", timeout=30_000
    )
    assert page.get_by_text("features-a440_sine", exact=False).count() == 0
    page.screenshot(path=str(artifacts / "tidy-visualize-cleared.png"), full_page=True)


def test_classify_error_clears_the_previous_result(page, artifacts, tmp_path):
    import numpy as np
    import soundfile as sf

    from browser import error_toast_text, tab

    # a clip of this test's own (Gradio keeps uploads by content: an example's copy is shared)
    clip = tmp_path / "tone_for_error.wav"
    sf.write(clip, 0.3 * np.sin(2 * np.pi * 523.25 * np.arange(16000) / 16000), 16000)
    tab(page, "Classify")
    upload_audio(page, page.locator("#classify-audio"), clip)
    summary = page.locator("#classify-summary")
    summary.get_by_text("Engine:", exact=False).wait_for(timeout=90_000)
    page.locator("#classify-timeline img").wait_for(timeout=60_000)
    # the server lost the upload (its cache was cleaned; hub tasks, which used to fail here, are no
    # longer offered offline): the error must not sit beside the old result
    href = wait_for_audio_value(page.locator("#classify-audio"))
    Path(unquote(href.split("/gradio_api/file=", 1)[1].split("?")[0])).unlink()
    page.locator("#classify-run").click()
    assert error_toast_text(page)
    page.wait_for_function(
        "() => !(document.querySelector('#classify-summary')?.innerText || '').includes('Engine:')", timeout=30_000
    )
    assert page.locator("#classify-timeline img").count() == 0
    page.screenshot(path=str(artifacts / "tidy-classify-error-cleared.png"), full_page=True)


def test_example_click_runs_a_quick_tab_but_not_a_slow_one(page, artifacts):
    from browser import tab

    # Visualize is quick: clicking an example draws it, with no button press
    page.get_by_text("Starts by itself", exact=False).first.wait_for()
    page.get_by_text("a440_sine.wav", exact=False).first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#facts [role=row]')].some(r => r.innerText.trim().startsWith('RMS'))",
        timeout=90_000,
    )
    # Diarize is slow: clicking an example only fills the input
    tab(page, "Diarize")
    page.get_by_text("Press the button to start", exact=False).first.wait_for()
    page.get_by_text("two_speakers_pyannote.wav", exact=False).first.click()
    page.wait_for_timeout(4000)
    assert page.get_by_text("Speaker 1", exact=False).count() == 0
    page.screenshot(path=str(artifacts / "tidy-diarize-example-filled.png"), full_page=True)


# Issue 13, class 2: which tabs start by themselves (quick) and which wait for their button (slow).
START_RULES = {
    "Visualize": True,
    "Analyze": True,
    "Transcribe": False,
    "Live captions": True,
    "Diarize": False,
    "Clean up": False,
    "Meeting notes": False,
    "Classify": True,
    "Zero-shot": False,
    "Speak": True,
    "Voice chat": True,
    "Compose": False,
    "Sound lab": True,
}


def test_every_tab_says_its_start_rule(page):
    from browser import tab

    for title, quick in START_RULES.items():
        tab(page, title)
        page.wait_for_timeout(200)
        shown = page.evaluate(
            "() => [...document.querySelectorAll('.start-rule')].filter(e => e.offsetParent).map(e => e.innerText)"
        )
        assert len(set(shown)) == 1, (title, shown)  # one rule (Gradio may nest the class twice)
        assert shown[0].startswith("Starts by itself" if quick else "Press the button to start"), (title, shown)


def _has_audio(page, elem_id: str) -> bool:
    return page.locator(f"#{elem_id} [data-testid=download-link]").count() > 0


def test_sound_lab_runs_on_upload_and_an_error_or_a_new_sound_clears_it(page, artifacts):
    from browser import error_toast_text, tab

    tab(page, "Sound lab")
    block = page.locator("#sound-lab-in")
    upload_audio(page, block, EXAMPLES / "drum_loop.wav")
    wait_for_audio_value(block)
    # quick: the upload alone applies the chain
    wait_for_audio_value(page.locator("#sound-lab-after"), timeout_s=90)
    page.locator("#sound-lab-after-spec img").wait_for(timeout=60_000)
    assert "Applied:" in page.locator("#sound-lab-report").inner_text()
    page.screenshot(path=str(artifacts / "tidy-sound-lab-ran.png"), full_page=True)
    # a chain that cannot run: the result of the previous chain must not stay beside the error
    page.locator("#sound-lab-chain textarea").fill("highpass(hz=-5)")
    page.locator("#sound-lab-apply").click()
    assert error_toast_text(page)
    page.wait_for_function("() => !document.querySelector('#sound-lab-after [data-testid=download-link]')")
    assert page.locator("#sound-lab-after-spec img").count() == 0
    assert "Applied:" not in page.locator("#sound-lab-report").inner_text()
    assert "pedalboard" in page.locator("#sound-lab-report").inner_text()  # the engine note comes back


def test_speak_example_speaks_and_new_text_clears_the_old_speech(page, artifacts):
    from browser import tab

    tab(page, "Speak")
    page.get_by_text("English paragraph: Piper, Joe").click()
    # quick: the example is spoken with no button press
    wait_for_audio_value(page.locator("#speak-audio"), timeout_s=90)
    files = (
        "() => (document.querySelector('#speak-files')?.innerText || '').replace(/\\s/g, '').includes('-speech.wav')"
    )
    page.wait_for_function(files)
    page.locator("#speak-text textarea").fill("Another sentence.")
    page.wait_for_function("() => !document.querySelector('#speak-audio [data-testid=download-link]')")
    assert not page.evaluate(files)
    assert page.locator("#speak-info").inner_text().strip() == ""
    page.screenshot(path=str(artifacts / "tidy-speak-cleared.png"), full_page=True)


def test_slow_tabs_only_fill_the_input_from_an_example(page, artifacts):
    from browser import tab

    tab(page, "Compose")
    page.get_by_text("calm lo-fi piano", exact=True).first.click()
    page.wait_for_function("() => document.querySelector('#compose-prompt textarea').value === 'calm lo-fi piano'")
    page.wait_for_timeout(2000)
    assert not _has_audio(page, "compose-audio")
    tab(page, "Meeting notes")
    page.get_by_text("meeting_three_voices.wav", exact=False).first.click()
    page.wait_for_timeout(2000)
    assert "The notes appear here" in page.locator("#meeting-notes").inner_text()


def test_transcribe_waits_for_its_button_and_an_error_clears_the_transcript(page, artifacts):
    from browser import error_toast_text, tab

    tab(page, "Transcribe")
    block = page.locator("#transcribe-audio")
    upload_audio(page, block, EXAMPLES / "speech_librivox.wav")
    wait_for_audio_value(block)
    page.locator("#transcribe-run").click()
    page.wait_for_function(
        "() => /Engine:/.test(document.querySelector('#transcribe-info')?.innerText || '')", timeout=120_000
    )
    assert len(page.locator("#transcript textarea").input_value()) > 10
    # a language Whisper does not know: an error, and the previous transcript goes with it
    page.locator("#transcribe-language input").fill("xx")
    page.locator("#transcribe-language input").press("Enter")
    page.locator("#transcribe-run").click()
    assert "Unknown language" in error_toast_text(page)
    page.wait_for_function("() => document.querySelector('#transcript textarea').value === ''", timeout=30_000)
    assert page.locator("#transcribe-files a").count() == 0
    page.screenshot(path=str(artifacts / "tidy-transcribe-error-cleared.png"), full_page=True)
