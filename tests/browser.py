"""Small Playwright helpers for driving Gradio components as a user does."""

from __future__ import annotations

import time
from pathlib import Path


def tab(page, title: str):
    """Open a top-level tab by its title."""
    page.get_by_role("tab", name=title, exact=True).first.click()


def audio_block(page, label: str, within=None):
    """The gr.Audio block whose label is `label` (the first one, or the first inside the locator `within`)."""
    return (
        (within or page)
        .locator(".block", has=page.get_by_text(label, exact=True))
        .filter(has=page.locator("[aria-label='Upload file'], audio, .upload-container"))
        .first
    )


def upload_audio(page, block, path: str | Path) -> None:
    """Upload a file into a gr.Audio block. This does not wait: follow it with wait_for_audio_value(block)."""
    block.get_by_label("Upload file").click()
    block.locator("input[type=file]").set_input_files(str(path))


def wait_for_audio_value(block, timeout_s: float = 60) -> str:
    """The reliable sign an audio value reached the server: its download link points at /gradio_api/file=."""
    link = block.locator("[data-testid=download-link]").first
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if link.count() and "/gradio_api/file=" in (link.get_attribute("href") or ""):
            return link.get_attribute("href")
        time.sleep(0.25)
    raise AssertionError("audio value never reached the server")


def record_from_microphone(page, block, seconds: float = 3.0) -> None:
    """Record from Chromium's fake microphone (a WAV file played in a loop)."""
    block.get_by_label("Record audio").click()
    block.locator("button.record-button").click()
    time.sleep(seconds)
    block.locator("button.stop-button").first.click()


def image_src(page, elem_id: str, timeout_s: float = 90) -> str:
    img = page.locator(f"#{elem_id} img").first
    img.wait_for(state="visible", timeout=timeout_s * 1000)
    return img.get_attribute("src") or ""


def error_toast_text(page, timeout_s: float = 30) -> str:
    toast = page.locator(".toast-body.error, [data-testid=toast-body]").first
    toast.wait_for(state="visible", timeout=timeout_s * 1000)
    return toast.inner_text()


def play_and_hear(page, player_id: str, duration: str | None = None) -> None:
    """Press Play on the gr.Audio `#player_id` once it has loaded (its duration shows `duration`,
    or any duration when None), check its clock advances, then pause. A press that lands before
    the waveform is ready is pressed again (up to three times)."""
    shown = page.locator(f"#{player_id} time#duration")
    (shown.get_by_text(duration) if duration else shown.filter(has_text=":").first).wait_for()
    clock_moved = (
        f"() => {{ const t = document.querySelector('#{player_id} time#time');"
        " return t && t.textContent.trim() !== '0:00'; }"
    )
    for attempt in range(3):
        page.locator(f"#{player_id} button.play-pause-button").click()
        try:
            page.wait_for_function(clock_moved, timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                raise
    page.locator(f"#{player_id} button[aria-label=Pause]").click()
