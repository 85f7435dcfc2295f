"""The Meeting notes tab as its users reach it: the /meeting_notes API through gradio_client and a
real browser (upload, stages, notes beside the transcript, downloads), plus refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from markdown_it import MarkdownIt

from browser import audio_block, tab, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

MEETING = EXAMPLES / "meeting_three_voices.wav"  # built by tests/meeting_audio.py


@pytest.fixture(scope="module")
def api_result(client):
    return client.predict(handle_file(str(MEETING)), api_name="/meeting_notes")


def test_api_notes_transcript_and_downloads(api_result):
    info, notes, transcript, md, txt, js, srt, stages = api_result
    assert "3 speakers" in info and "Whisper base" in info and "extractive" in info
    assert "## Action items" in notes and "I will send the budget report" in notes
    lines = transcript.splitlines()
    assert {line.split("] ", 1)[1].split(":")[0] for line in lines} == {"SPEAKER_00", "SPEAKER_01", "SPEAKER_02"}
    html = MarkdownIt().render(Path(md).read_text())
    assert "<h2>Action items</h2>" in html and "<strong>SPEAKER_02</strong>" in html
    data = json.loads(Path(js).read_text())
    owners = [a["owner"] for a in data["notes"]["action_items"]]
    assert "SPEAKER_02" in owners
    assert Path(srt).read_text().startswith("1\n00:00:0")
    assert "TRANSCRIPT" in Path(txt).read_text()
    names = [row[0] for row in stages["data"]]
    assert names[:3] == ["speakers", "transcript", "extractive notes"] and names[-1] == "total"


def test_api_refuses_a_typed_address_and_keeps_serving(client, tmp_path):
    with pytest.raises(AppError):
        client.predict(handle_file(str(MEETING)), model="http://127.0.0.1:9/v1", api_name="/meeting_notes")
    bad = tmp_path / "not-audio.wav"
    bad.write_text("this is not a recording")
    with pytest.raises(AppError, match="(?i)audio|read|decode"):
        client.predict(handle_file(str(bad)), api_name="/meeting_notes")


@pytest.mark.browser
def test_browser_meeting_notes(page, artifacts):
    tab(page, "Meeting notes")
    block = audio_block(page, "Meeting: record or upload")
    upload_audio(page, block, MEETING)
    wait_for_audio_value(block)
    page.locator("#meeting-run").click()
    page.wait_for_function(
        "() => (document.querySelector('#meeting-transcript textarea')||{}).value?.includes('SPEAKER_02')",
        timeout=240_000,
    )
    notes = page.locator("#meeting-notes")
    assert "Action items" in notes.inner_text() and "budget report" in notes.inner_text()
    assert page.locator("#meeting-md a[href*='/gradio_api/file=']").count() == 1
    page.screenshot(path=str(artifacts / "meeting-notes-1400.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "meeting-notes-390.png"), full_page=True)
