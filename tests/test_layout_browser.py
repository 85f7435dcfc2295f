"""Issue 13, class 7 (layout and clutter) in a real browser: labels that fit, one licence note per
engine, one progress indicator per action. Each test measures what a visitor sees (bounding boxes,
line breaks, counts), so it fails if the problem it names comes back."""

from __future__ import annotations

import pytest

from browser import audio_block, tab, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

pytestmark = pytest.mark.browser

SIZES = [(1400, 1000), (390, 844)]

# Dropdowns whose text runs under their arrow: [label, pixels of overlap].
DROPDOWN_OVERLAP_JS = """() => [...document.querySelectorAll('[role=tabpanel] input[role=combobox]')]
  .filter((box) => box.offsetParent !== null)
  .map((box) => {
    const arrow = box.parentElement.querySelector('.icon-wrap');
    if (!arrow) return null;
    const textRight = box.getBoundingClientRect().right - parseFloat(getComputedStyle(box).paddingRight);
    return [box.getAttribute('aria-label'), Math.round(textRight - arrow.getBoundingClientRect().left)];
  })
  .filter((x) => x && x[1] > 0)"""

# Table headers broken inside a word ("durat|ion") or cut: each word of a header must lie on one line.
HEADER_BREAKS_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('[role=tabpanel] th .header')) {
    if (el.offsetParent === null) continue;
    const node = el.firstChild;
    if (!node || node.nodeType !== Node.TEXT_NODE) continue;
    let at = 0;
    for (const piece of node.textContent.split(/(\\s+)/)) {
      if (piece.trim()) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + piece.length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) bad.push(`'${piece}' broken in '${node.textContent}'`);
      }
      at += piece.length;
    }
    if (el.scrollWidth > el.clientWidth + 1) bad.push(`'${node.textContent}' cut`);
  }
  return bad;
}"""


def _tab_titles(page) -> list[str]:
    return page.locator("#main-tabs > .tab-wrapper button[role=tab]").all_inner_texts()


def _open_folds(page) -> None:
    """Open every closed fold (accordion) of the open tab, so the controls inside are measured too."""
    for fold in page.locator("[role=tabpanel]:visible button.label-wrap:not(.open)").all():
        if fold.is_visible():
            fold.click()


def test_dropdown_text_and_table_headers_fit_on_every_tab(page, artifacts):
    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for title in _tab_titles(page):
            tab(page, title)
            page.wait_for_timeout(300)
            _open_folds(page)
            page.wait_for_timeout(300)
            for label, px in page.evaluate(DROPDOWN_OVERLAP_JS):
                problems.append(f"{width}px {title}: dropdown '{label}' text runs {px}px under its arrow")
            problems += [f"{width}px {title}: header {b}" for b in page.evaluate(HEADER_BREAKS_JS)]
    page.screenshot(path=str(artifacts / "layout-last-tab-390.png"), full_page=True)
    assert not problems, "\n".join(problems)


def test_a_long_dropdown_choice_is_cut_with_an_ellipsis_and_shown_whole_on_hover(page):
    tab(page, "Classify")
    box = page.locator("#classify-task input")
    assert page.evaluate("(el) => getComputedStyle(el).textOverflow", box.element_handle()) == "ellipsis"
    assert page.evaluate("(el) => el.scrollWidth > el.clientWidth", box.element_handle())  # it is long
    box.hover()
    assert box.get_attribute("title") == box.input_value()


def test_figures_start_below_their_label_badge_and_buttons(page, artifacts):
    page.get_by_text("a440_sine.wav", exact=False).first.click()  # Visualize draws it by itself
    page.locator("#panel-chroma img").wait_for(timeout=90_000)
    covered = page.evaluate(
        """() => [...document.querySelectorAll('[role=tabpanel] .block .image-container img')]
          .filter((img) => img.offsetParent !== null)
          .map((img) => {
            const block = img.closest('.block');
            const top = img.getBoundingClientRect().top;
            const over = [block.querySelector(':scope > label[data-testid=block-label]'),
                          block.querySelector('.icon-button-wrapper')]
              .filter(Boolean).map((el) => el.getBoundingClientRect().bottom - top);
            return [block.id, Math.round(Math.max(...over))];
          })"""
    )
    assert len(covered) >= 7, covered  # waveform, spectrum, spectrogram, phase, mel, MFCC, chroma
    assert all(px <= 0 for _, px in covered), covered
    page.locator("#panel-waveform").screenshot(path=str(artifacts / "layout-figure-below-badge.png"))


# Highest number of progress indicators shown at once since the watch started.
WATCH_PROGRESS_JS = """() => {
  window.__mostProgress = 0;
  const look = () => {
    const shown = [...document.querySelectorAll('[data-testid=status-tracker]')]
      .filter((el) => !el.classList.contains('hide') && el.offsetParent !== null).length;
    window.__mostProgress = Math.max(window.__mostProgress, shown);
    window.__progressWatch = requestAnimationFrame(look);
  };
  look();
}"""


def test_one_progress_indicator_per_action(page, artifacts):
    # Visualize fills nine outputs from one example click
    page.evaluate(WATCH_PROGRESS_JS)
    page.get_by_text("a440_sine.wav", exact=False).first.click()
    page.locator("#panel-chroma img").wait_for(timeout=90_000)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__mostProgress") == 1
    # Diarize fills ten (the timeline, three tables, the transcript, three files...)
    tab(page, "Diarize")
    block = audio_block(page, "Audio: record or upload", within=page.locator("[role=tabpanel]:visible"))
    upload_audio(page, block, EXAMPLES / "two_speakers_pyannote.wav")
    wait_for_audio_value(block)
    page.get_by_role(
        "checkbox", name="Transcript with speakers", exact=False
    ).uncheck()  # the diarization alone: quicker
    page.evaluate("() => { cancelAnimationFrame(window.__progressWatch); }")
    page.evaluate(WATCH_PROGRESS_JS)
    page.get_by_role("button", name="Find speakers").click()
    page.locator("#diarize-timeline img").wait_for(timeout=180_000)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__mostProgress") == 1
    # its three download boxes share a row: each name keeps whole lines (no five-piece name)
    page.locator("#diarize-rttm").get_by_text(".rttm").first.wait_for()
    lines = page.evaluate(
        "() => { const s = document.querySelector('#diarize-rttm .filename .stem');"
        " return Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight)); }"
    )
    assert lines <= 2, lines
    page.screenshot(path=str(artifacts / "layout-diarize-done.png"), full_page=True)


def test_birdnet_licence_is_said_once(page, artifacts):
    tab(page, "Classify")
    page.locator("#classify-task input").click()
    page.get_by_role("option", name="Bird species", exact=False).click()
    page.locator("#classify-task-info").get_by_text("BirdNET", exact=False).first.wait_for()
    upload_audio(page, page.locator("#classify-audio"), EXAMPLES / "speech_librivox.wav")
    page.locator("#classify-summary").get_by_text("BirdNET", exact=False).wait_for(timeout=120_000)
    page.locator("#classify-timeline img").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # any message toast has appeared
    said = page.evaluate(
        """() => [document.querySelector('[role=tabpanel]:not([hidden]) #classify-summary')?.closest('[role=tabpanel]'),
                  ...document.querySelectorAll('.toast-wrap, [data-testid=toast-body]')]
          .filter(Boolean).map((el) => el.innerText).join('\\n').split('CC BY-NC-SA').length - 1"""
    )
    page.screenshot(path=str(artifacts / "layout-classify-birds.png"), full_page=True)
    assert said == 1
    assert "non-commercial" in page.locator("#classify-summary").inner_text()  # the result says whose licence


def test_speak_voice_list_narrows_as_one_types_and_examples_sit_above_the_button(page):
    tab(page, "Speak")
    examples = page.locator("[role=tabpanel]:visible").get_by_text("Examples (click one)", exact=True)
    assert examples.bounding_box()["y"] < page.locator("#speak-button").bounding_box()["y"]
    page.locator("#speak-engine").get_by_text("espeak-ng", exact=False).click()
    box = page.locator("#speak-voice input")
    page.wait_for_function(
        "() => (document.querySelector('#speak-voice input')?.value || '').startsWith('espeak')", timeout=30_000
    )
    box.click()
    every = page.locator("[role=option]").count()
    assert every >= 100  # espeak-ng's voices
    box.press("Control+a")
    box.press_sequentially("korean", delay=40)
    page.wait_for_timeout(300)
    shown = page.locator("[role=option]").all_inner_texts()
    assert 1 <= len(shown) <= 3 and all("Korean" in s for s in shown), shown
