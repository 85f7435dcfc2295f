"""The Sound lab in a real browser: build a three-effect chain, apply it, play and download the result."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from browser import play_and_hear, tab, upload_audio, wait_for_audio_value
from conftest import EXAMPLES

pytestmark = pytest.mark.browser

CHORD = EXAMPLES / "c_major_chord.wav"


def pick_effect(page, name: str) -> None:
    """Choose ``name`` and wait until the server has filled its parameters (a value typed before
    that lands would be overwritten: seen in CI under load)."""
    box = page.locator("#sound-lab-effect input")
    before = page.locator("#sound-lab-params textarea").input_value()
    changes = box.input_value() != name
    box.click()
    page.get_by_role("option", name=name, exact=True).click()
    page.wait_for_function(
        "(n) => document.querySelector('#sound-lab-effect input').value === n", arg=name, timeout=10_000
    )
    if changes:
        page.wait_for_function(
            "(b) => document.querySelector('#sound-lab-params textarea').value !== b", arg=before, timeout=30_000
        )


def chain_value(page) -> str:
    return page.locator("#sound-lab-chain textarea").input_value()


SIDEWAYS_SCROLL_JS = """(sel) => [...document.querySelectorAll(sel + ' *')].filter((e) => {
    const s = getComputedStyle(e);
    return (s.overflowX === 'auto' || s.overflowX === 'scroll') && e.scrollWidth > e.clientWidth + 2;
}).length"""


def test_build_a_three_effect_chain_apply_play_and_download(page, artifacts, tmp_path):
    tab(page, "Sound lab")
    # the default chain's long parameters (compressor, reverb) fit their column: no sideways scroll (class 7)
    page.locator("#sound-lab-steps").get_by_text("compressor").first.wait_for()
    assert page.evaluate(SIDEWAYS_SCROLL_JS, "#sound-lab-steps") == 0
    page.get_by_role("button", name="Clear", exact=True).click()
    page.wait_for_function("() => document.querySelector('#sound-lab-chain textarea').value === ''")

    for name, params in (("highpass", "hz=200"), ("pitch_shift", None), ("gain", "db=-6")):
        pick_effect(page, name)
        box = page.locator("#sound-lab-params textarea, #sound-lab-params input").first
        if params is None:  # keep the parameters the effect filled in
            page.wait_for_function(
                "() => (document.querySelector('#sound-lab-params textarea') || {}).value === 'semitones=3'"
            )
        else:
            box.fill(params)
        before = chain_value(page)
        page.locator("#sound-lab-add").click()
        page.wait_for_function("(old) => document.querySelector('#sound-lab-chain textarea').value !== old", arg=before)
    chain = chain_value(page)
    assert chain == "highpass(hz=200, order=4) | pitch_shift(semitones=3) | gain(db=-6)", chain
    steps = page.locator("#sound-lab-steps")
    steps.get_by_text("db=-6").first.wait_for()  # the list follows the chain
    listed = steps.inner_text()
    assert listed.index("highpass") < listed.index("pitch_shift") < listed.index("gain"), listed

    block = page.locator("#sound-lab-in")
    upload_audio(page, block, CHORD)
    wait_for_audio_value(block)
    page.locator("#sound-lab-apply").click()
    after = page.locator("#sound-lab-after")
    wait_for_audio_value(after, timeout_s=120)
    page.wait_for_function("() => document.querySelector('#sound-lab-facts').innerText.includes('LUFS')")
    for elem in ("before-wave", "after-wave", "before-spec", "after-spec"):
        page.locator(f"#sound-lab-{elem} img").wait_for()
    page.locator("#sound-lab-report").get_by_text("pedalboard", exact=False).first.wait_for()

    # hear it: press Play once the player has loaded, the clock moves
    play_and_hear(page, "sound-lab-after", "0:03")

    with page.expect_download() as dl:
        after.locator("[data-testid=download-link]").first.click()
    wav = tmp_path / "after.wav"
    dl.value.save_as(wav)
    assert dl.value.suggested_filename == "c_major_chord-sound-lab.wav"
    y, sr = sf.read(wav)
    x, _ = sf.read(CHORD)
    assert sr == 44100 and len(y) == len(x)
    assert 20 * np.log10(np.max(np.abs(y)) / np.max(np.abs(x))) < -3  # gain(db=-6) after a pitch shift

    page.screenshot(path=str(artifacts / "sound-lab-1400.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "sound-lab-390.png"), full_page=True)


def test_a_bad_step_is_refused_when_added(page):
    from browser import error_toast_text

    tab(page, "Sound lab")
    pick_effect(page, "gain")
    page.locator("#sound-lab-params textarea").fill("db=500")
    page.locator("#sound-lab-add").click()
    assert "gain: db must be from -60 to 60 dB" in error_toast_text(page)


def test_synthesize_then_send_to_effects(page, artifacts):
    tab(page, "Sound lab")
    tab(page, "Synthesize")
    page.locator("#synth-recipe textarea").fill('chord(notes="A4 C#5 E5") + noise(color=pink, amplitude=0.05)')
    page.locator("#synth-run").click()
    wait_for_audio_value(page.locator("#synth-out"), timeout_s=90)
    page.locator("#synth-spec img").wait_for()
    page.screenshot(path=str(artifacts / "sound-lab-synth-1400.png"), full_page=True)
    page.locator("#synth-send").click()
    href = wait_for_audio_value(page.locator("#sound-lab-in"), timeout_s=30)  # the Effects tab has it now
    assert "chord-A4-Cs5-E5-noise-pink-synth" in href  # named after the recipe (issue 13, class 6)
    page.locator("#sound-lab-apply").is_visible()
    for name in ("SpecAugment", "Augment a set"):
        tab(page, name)
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / f"sound-lab-{name.split()[0].lower()}-1400.png"), full_page=True)
