"""The Batch tab in a real browser: a zip of recordings in, progress, the results zip and its manifest out."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import urljoin

import pytest

from browser import tab
from conftest import LIBRIVOX

pytestmark = pytest.mark.browser


def test_a_zip_of_recordings_gives_a_results_zip_with_a_manifest(page, artifacts, tmp_path):
    clips = sorted(LIBRIVOX.glob("*.wav"))[1:3]
    z = tmp_path / "lectures.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i, clip in enumerate(clips, 1):
            zf.write(clip, f"lecture{i:02d}.wav")
        zf.writestr("readme.txt", "not a recording")
    tab(page, "Batch")
    assert "Limits: up to 200 recordings" in page.locator("#batch-limits").inner_text()
    page.locator("#batch-in input[type=file]").set_input_files(str(z))
    page.locator("#batch-options textarea").fill('{"model": "whisper-tiny.en", "language": "en"}')
    page.locator("#batch-run").click()
    link = page.locator("#batch-zip a[href*='/gradio_api/file=']").first
    link.wait_for(state="attached", timeout=240_000)
    status = page.locator("#batch-status").inner_text()
    assert "2 of 3 files done" in status and "1 skipped" in status, status
    table = page.locator("#batch-table").inner_text()
    assert "lecture01.txt" in table and "not an audio file (.txt)" in table
    page.screenshot(path=str(artifacts / "batch-done.png"), full_page=True)
    body = page.request.get(urljoin(page.url, link.get_attribute("href"))).body()
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"lecture01.txt", "lecture02.srt", "manifest.csv", "manifest.json"} <= names
    assert [f["status"] for f in manifest["files"]] == ["done", "done", "skipped"]
