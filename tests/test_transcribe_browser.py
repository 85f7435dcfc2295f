"""The Transcribe tab in a real browser: microphone recording, live transcript, SRT download."""

from __future__ import annotations

import pytest

from browser import error_toast_text, record_from_microphone, tab, upload_audio, wait_for_audio_value
from conftest import SPEECH_WAV, librivox_clips, parse_srt_times

pytestmark = pytest.mark.browser


def transcribe_block(page):
    tab(page, "Transcribe")
    block = page.locator("#transcribe-audio")
    block.wait_for(state="visible")
    return block


def pick_dropdown(page, elem_id: str, value: str) -> None:
    """Type a value into a Gradio dropdown (these accept custom values, as the API does)."""
    transcribe_block(page)
    page.locator(f"#{elem_id} input").fill(value)
    page.keyboard.press("Enter")


def upload(page, path) -> None:
    block = transcribe_block(page)
    upload_audio(page, block, path)
    wait_for_audio_value(block)


def transcript_text(page, timeout_ms=120_000) -> str:
    page.wait_for_function(
        "() => (document.querySelector('#transcript textarea')?.value || '').length > 10", timeout=timeout_ms
    )
    return page.locator("#transcript textarea").input_value()


def test_microphone_recording_is_transcribed_and_srt_downloads(page, artifacts, tmp_path):
    block = transcribe_block(page)
    record_from_microphone(page, block, seconds=8.0)  # the fake microphone plays the LibriVox sentence
    wait_for_audio_value(block)
    # Transcribe is slow: a recording only fills the input, the button starts it (issue 13, class 2)
    page.wait_for_timeout(1500)
    assert page.locator("#transcript textarea").input_value() == ""
    page.locator("#transcribe-run").click()
    page.wait_for_function(
        "() => /Engine:/.test(document.querySelector('#transcribe-info')?.innerText || '')", timeout=120_000
    )
    text = transcript_text(page).lower()
    assert "dashwood" in text or "leisure" in text or "prudently" in text, text
    info = page.locator("#transcribe-info").inner_text()
    assert "bundled Whisper" in info and "real-time factor" in info
    page.locator("#transcribe-words").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "transcribe-microphone.png"), full_page=True)
    # a long recording's words scroll inside their panel instead of stretching the page
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('#transcribe-words'));"
        " return [s.overflowY, s.maxHeight]; }"
    )
    assert style[0] == "auto" and style[1].endswith("px"), style
    link = page.locator("#transcribe-files a[href$='.srt']").first
    with page.expect_download() as dl:
        link.click()
    srt = tmp_path / "out.srt"
    dl.value.save_as(srt)
    times = parse_srt_times(srt.read_text())
    assert times and all(a[0] <= b[0] for a, b in zip(times, times[1:]))


def test_english_only_model_disables_translate_and_unknown_language_gives_message(page, artifacts):
    pick_dropdown(page, "transcribe-model", "whisper-tiny.en")
    upload(page, SPEECH_WAV)
    assert page.get_by_role("radio", name="translate").is_disabled()  # tiny.en cannot translate
    pick_dropdown(page, "transcribe-language", "xx")
    page.locator("#transcribe-run").click()
    text = error_toast_text(page)
    assert "Unknown language 'xx'" in text, text
    page.screenshot(path=str(artifacts / "transcribe-bad-language.png"), full_page=True)
    pick_dropdown(page, "transcribe-language", "auto")  # the same page keeps working
    page.locator("#transcribe-run").click()
    assert "dashwood" in transcript_text(page).lower()


def test_long_audio_streams_segments_and_cancel_stops_it(page, artifacts, tmp_path):
    """A minute of speech: text appears while the info still says 'Working', and Cancel ends the run."""
    import time

    import numpy as np
    import soundfile as sf

    clips = [sf.read(str(w), dtype="float32")[0] for w, _ in librivox_clips()]
    long_wav = tmp_path / "minute.wav"
    sf.write(long_wav, np.concatenate(clips * 3), 16000)
    pick_dropdown(page, "transcribe-model", "whisper-tiny.en")
    upload(page, long_wav)
    page.locator("#transcribe-run").click()
    partial = transcript_text(page)  # some text while decoding goes on
    assert "Working" in page.locator("#transcribe-info").inner_text()
    page.screenshot(path=str(artifacts / "transcribe-streaming.png"), full_page=True)
    page.locator("#transcribe-cancel").click()
    page.wait_for_function("() => /Cancelled/.test(document.querySelector('#transcribe-info')?.innerText || '')")
    time.sleep(3)  # a wait for something that must NOT happen (the run finishing after Cancel) has no event to wait on
    assert "Engine:" not in page.locator("#transcribe-info").inner_text()  # never finished
    final = page.locator("#transcript textarea").input_value()
    assert len(final) < 600  # a minute of speech is ~900 chars
    assert partial and final.startswith(partial)  # segments are only appended: what streamed early stays
