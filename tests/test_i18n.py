"""Korean interface, phone layout and remembered settings (issue 13, classes 8, 9 and 10).

The first tests need no browser: every English text the built app shows has a Korean entry in
tabs/locales/ko.json (a string another change adds fails here, named), and run-time messages are
translated through templates. The browser tests open the app with Playwright locales ko-KR and
en-US, at 1400x1000 and 390x844.
"""

from __future__ import annotations

import ast
import json
import re
import string
import time
from pathlib import Path

import pytest

from browser import wait_for_audio_value
from tabs import i18n

SHOTS = ("visualize", "transcribe", "speak", "compose", "sound_lab", "meeting_notes")


@pytest.fixture(scope="module")
def built():
    import app
    from pipelines.core.config import Settings

    return app.build_app(Settings(offline=True))


def test_every_interface_text_has_a_korean_translation(built):
    assert len(built.i18n_strings) > 300  # the pass saw the whole app
    assert not built.i18n_missing, (
        "These interface texts have no Korean in tabs/locales/ko.json; add each as "
        '"English": "한국어" (see tabs/i18n.py):\n' + "\n".join(repr(s) for s in built.i18n_missing)
    )


def test_static_texts_become_i18n_keys(built):
    tabs = [b for b in built.blocks.values() if type(b).__name__ == "Tab"]
    assert tabs and all(str(t.label).startswith("__i18n__") for t in tabs)
    ko = built.i18n.translations["ko"]
    assert "시각화" in ko.values() and "전사" in ko.values()
    assert set(ko) == set(built.i18n.translations["en"])


def test_catalogue_is_valid_and_templates_fill_in():
    cat = json.loads(i18n.CATALOGUE.read_text(encoding="utf-8"))
    assert all(isinstance(v, str) and v.strip() for v in cat.values())
    assert i18n.to_korean("The file 'talk.wav' is empty (0 bytes).") == "'talk.wav' 파일이 비어 있습니다 (0바이트)."
    hub = "Whisper small (model hub): unavailable, needs the model hub: offline mode (--offline or HF_HUB_OFFLINE=1)"
    assert (
        i18n.to_korean(hub)
        == "Whisper small (모델 허브): 사용할 수 없음, 모델 허브가 필요합니다: 오프라인 모드 (--offline 또는 HF_HUB_OFFLINE=1)"
    )
    assert i18n.to_korean("a transcript nobody wrote in the catalogue") is None
    assert i18n.translate("Transcribe", "en") == "Transcribe"
    assert i18n.language_of(None, "ko-KR,ko;q=0.9,en;q=0.8") == "ko"
    assert i18n.language_of("en", "ko-KR") == "en"  # the page's own choice wins
    assert i18n.language_of(None, "en-US,ko;q=0.5") == "en"


# --- run-time messages: every error, warning and notice the code raises has a Korean template ---

ROOT = Path(__file__).resolve().parent.parent
MESSAGE_CALLS = {
    "UserError",
    "AudioError",
    "ModelUnavailable",
    "LanguageModelFailed",
    "EngineUnavailable",
    "AtCapacity",
}
TOASTS = {"Info", "Warning", "Error"}  # gr.Info, gr.Warning, gr.Error
NOTE_LISTS = re.compile(r"warn|note", re.I)


def skeleton(text: str) -> str:
    """A template with its blanks unnamed: "{n} speakers" and "{num:d} speakers" are the same message."""
    return re.sub(r"\{\w*(?:![rsa])?(?::[^{}]*)?\}", "{}", text)


def message_template(arg, constants: dict[str, str]) -> str | None:
    """The whole English template of a message argument; None when it is assembled from pieces."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name):
        return constants.get(arg.id, "")  # "" : a value computed elsewhere (checked where it is made)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
        if isinstance(arg.func.value, ast.Constant):
            return "".join(
                lit + ("{}" if field is not None else "")
                for lit, field, *_ in string.Formatter().parse(arg.func.value.value)
            )
    if isinstance(arg, ast.JoinedStr):  # an f-string is one whole template too
        return "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in arg.values)
    if isinstance(arg, ast.BinOp):
        return None
    return ""


def runtime_messages() -> list[tuple[str, str | None]]:
    """(where, template) of every message raised, shown or collected as a warning or note at run time
    by pipelines/, tabs/ and app.py."""
    out = []
    for path in sorted([*ROOT.glob("pipelines/**/*.py"), *ROOT.glob("tabs/*.py"), ROOT / "app.py"]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            t.id: v
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name) and isinstance(v := message_template(node.value, {}), str) and v
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            is_toast = name in TOASTS and isinstance(f, ast.Attribute) and getattr(f.value, "id", None) == "gr"
            # warnings and notes a pipeline collects for the tab to show: warnings.append(f"...")
            is_note = name == "append" and isinstance(f, ast.Attribute) and NOTE_LISTS.search(ast.unparse(f.value))
            if name in MESSAGE_CALLS or is_toast or is_note:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                out.append((where, message_template(node.args[0], constants)))
    return out


def test_every_runtime_message_is_one_template_with_korean():
    messages = runtime_messages()
    assert len(messages) > 200  # the walk saw the whole code
    pieces = [where for where, t in messages if t is None]
    assert not pieces, "Messages assembled from pieces cannot be translated; make each one template: " + ", ".join(
        pieces
    )
    known = {skeleton(k) for k in i18n.catalogue()}
    missing = sorted(
        {f"{where}: {t!r}" for where, t in messages if t and i18n.needs_translation(t) and skeleton(t) not in known}
    )
    assert not missing, (
        "These run-time messages have no Korean template in tabs/locales/ko.json; add each with its "
        'blanks named, e.g. "Only {n} s of speech": "말소리가 {n}초뿐":\n' + "\n".join(missing)
    )


def test_runtime_templates_translate_what_the_code_renders():
    rendered = "Only 1.2 s of speech was found; diarization needs at least 4 s to tell voices apart."
    assert (
        i18n.to_korean(rendered)
        == "말소리가 1.2초밖에 없습니다. 화자 분리로 목소리를 구별하려면 최소 4초가 필요합니다."
    )
    # a blank may be empty, and a literal "{}" stays as it is
    assert i18n.to_korean("Whisper small is not available: offline.") == "Whisper small을 쓸 수 없습니다: offline."
    hyp = "The hypothesis template must contain '{}' exactly once, where each label goes (for example 'This is {}.')."
    assert i18n.to_korean(hyp).startswith("가설 템플릿에는 각 레이블이 들어갈 '{}'가")


# --- browser ------------------------------------------------------------------------------


def open_app(browser, url, locale, width=1400, height=1000):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#engines-footer", timeout=60_000)
    return context, page


@pytest.mark.browser
def test_korean_browser_sees_korean_tabs_labels_and_messages(browser, app_url, artifacts):
    context, page = open_app(browser, app_url, "ko-KR")
    try:
        for name in ("시각화", "전사", "화자 분리", "회의록", "음성 합성", "사운드 랩"):
            page.get_by_role("tab", name=name, exact=True).first.wait_for()
        page.get_by_text("오디오: 녹음하거나 업로드", exact=True).first.wait_for()
        page.get_by_text("모델 허브", exact=False).first.wait_for()  # the footer, written at run time
        footer = page.locator("#engines-footer").inner_text()  # each task and engine name in Korean
        assert "화자 분리" in footer and "화음/타악 분리" in footer and "percussive" not in footer, footer
        page.get_by_role("tab", name="음성 합성", exact=True).first.click()
        page.get_by_text("한국어: espeak-ng ko", exact=True).first.wait_for()  # an example's label
        page.locator("#speak-button").click()  # no text: a run-time error, in Korean
        page.get_by_text("읽을 텍스트가 없습니다", exact=False).first.wait_for(timeout=30_000)
        # Gradio's settings panel switches the page to English, and later messages follow it
        page.get_by_text("설정", exact=True).last.click()
        page.locator(".banner-wrap input[aria-label=Language]").click()
        page.get_by_role("option", name="English", exact=True).first.click()
        page.locator("div[role=dialog] .backdrop").first.click(position={"x": 5, "y": 5}, force=True)
        page.get_by_role("tab", name="Speak", exact=True).first.wait_for(timeout=15_000)
        time.sleep(1.5)  # the page's language cookie is refreshed every second
        page.locator("#speak-button").click()
        page.get_by_text("There is no text to speak", exact=False).first.wait_for(timeout=30_000)
    finally:
        context.close()


@pytest.mark.browser
def test_english_browser_stays_english(browser, app_url):
    context, page = open_app(browser, app_url, "en-US")
    try:
        page.get_by_role("tab", name="Visualize", exact=True).first.wait_for()
        page.get_by_text("Audio: record or upload", exact=True).first.wait_for()
        assert "시각화" not in page.locator("body").inner_text()
    finally:
        context.close()


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.bottom > 0 && r.top < window.innerHeight; }",
        selector,
    )


@pytest.mark.browser
def test_phone_result_comes_into_view_and_selected_tab_stands_out(browser, app_url, artifacts):
    context, page = open_app(browser, app_url, "en-US", 390, 844)
    try:
        selected = page.locator("#main-tabs button[role=tab][aria-selected=true]").first
        colour = selected.evaluate("(b) => getComputedStyle(b).backgroundColor")
        other = page.locator("#main-tabs button[role=tab][aria-selected=false]").first
        assert colour != other.evaluate("(b) => getComputedStyle(b).backgroundColor")
        for tab_name, button, output in (
            ("Compose", "#compose-run", "#compose-audio"),
            ("Sound lab", "#synth-run", "#synth-out"),
        ):
            page.get_by_role("tab", name=tab_name, exact=True).first.click()
            if tab_name == "Sound lab":
                page.get_by_role("tab", name="Synthesize", exact=True).first.click()
            else:
                page.locator("#compose-prompt textarea").fill("calm piano")
            page.locator(button).scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            page.locator(button).click()
            wait_for_audio_value(page.locator(output), timeout_s=90)
            page.wait_for_timeout(800)
            assert in_viewport(page, output), f"{tab_name}: the result is off screen"
            page.screenshot(path=str(artifacts / f"phone-result-{tab_name.replace(' ', '_')}.png"))
        # a tab that runs by itself on an example click brings its result into view as well
        page.get_by_role("tab", name="Visualize", exact=True).first.click()
        page.evaluate("window.scrollTo(0, 0)")
        example = page.locator("[role=tabpanel]:visible .gallery-item").filter(has_text="a440_sine.wav").first
        example.scroll_into_view_if_needed()
        example.click()
        assert not in_viewport(page, "#facts")  # the facts table lies far below the examples
        page.wait_for_function(
            "() => { const r = document.querySelector('#facts').getBoundingClientRect();"
            " return r.bottom > 0 && r.top < window.innerHeight; }",
            timeout=60_000,
        )
        page.screenshot(path=str(artifacts / "phone-result-Visualize-example.png"))
    finally:
        context.close()


@pytest.mark.browser
def test_settings_are_remembered_and_reset(browser, app_url):
    context, page = open_app(browser, app_url, "en-US")
    try:
        page.get_by_text("Settings (figures redraw", exact=False).click()
        cmap = page.get_by_label("Colour map")
        cmap.click()
        page.get_by_role("option", name="viridis", exact=True).click()
        page.wait_for_timeout(1000)
        page.reload(wait_until="domcontentloaded")
        page.wait_for_selector("#engines-footer")
        page.get_by_text("Settings (figures redraw", exact=False).click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('input[aria-label=\"Colour map\"]')].some(i => i.value === 'viridis')",
            timeout=30_000,
        )
        page.locator("#reset-settings").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('input[aria-label=\"Colour map\"]')].some(i => i.value === 'magma')",
            timeout=30_000,
        )
        page.reload(wait_until="domcontentloaded")
        page.wait_for_selector("#engines-footer")
        page.wait_for_timeout(1500)
        page.get_by_text("Settings (figures redraw", exact=False).click()
        assert page.locator("input[aria-label='Colour map']").first.input_value() == "magma"
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["ko-KR", "en-US"])
@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)])
def test_screenshots(browser, app_url, artifacts, locale, size):
    context, page = open_app(browser, app_url, locale, *size)
    try:
        from tabs import TAB_MODULES

        for name in SHOTS:
            page.locator("#main-tabs button[role=tab]").nth(TAB_MODULES.index(name)).click()
            page.wait_for_timeout(700)
            page.screenshot(path=str(artifacts / f"i18n-{locale}-{size[0]}-{name}.png"), full_page=True)
        assert page.locator("#main-tabs button[role=tab]").count() >= 13
    finally:
        context.close()


@pytest.mark.browser
def test_korean_runtime_messages_tables_and_title(browser, app_url, artifacts):
    """A Korean visitor runs three tabs: the summaries, the error, tables and the title are Korean."""
    from browser import upload_audio
    from conftest import EXAMPLES

    context, page = open_app(browser, app_url, "ko-KR")
    try:
        page.wait_for_function("() => document.title.startsWith('오디오 AI 스튜디오')", timeout=15_000)
        # Classify: a success summary written at run time by the tab and the pipeline
        page.get_by_role("tab", name="분류", exact=True).first.click()
        upload_audio(page, page.locator("#classify-audio"), EXAMPLES / "drum_loop.wav")
        summary = page.locator("#classify-summary")
        summary.get_by_text("가장 높은 레이블", exact=False).wait_for(timeout=90_000)
        summary.get_by_text("엔진:", exact=False).wait_for()
        assert "Top label" not in summary.inner_text()
        # Transcribe: the words' colour legend (Gradio shows its categories as they are: the page swaps them)
        page.get_by_role("tab", name="전사", exact=True).first.click()
        page.locator("[role=tabpanel]:visible .gallery-item").first.click()
        wait_for_audio_value(page.locator("#transcribe-audio"))
        page.locator("#transcribe-run").click()
        legend = page.locator('[data-testid="highlighted-text:category-legend"] .legend-item')
        legend.filter(has_text="확실").first.wait_for(timeout=120_000)
        assert "sure" not in " ".join(legend.all_inner_texts())
        # Compose: an error (no description) comes as a Korean notice
        page.get_by_role("tab", name="작곡", exact=True).first.click()
        page.locator("#compose-prompt textarea").fill("")
        page.locator("#compose-run").click()
        page.get_by_text("먼저 음악을 설명하세요", exact=False).first.wait_for(timeout=30_000)
        # Sound lab, Synthesize: its facts table has Korean column headers after a run
        page.get_by_role("tab", name="사운드 랩", exact=True).first.click()
        page.get_by_role("tab", name="합성", exact=True).first.click()
        page.locator("#synth-run").click()
        wait_for_audio_value(page.locator("#synth-out"), timeout_s=90)
        page.locator("th:visible", has_text="항목").first.wait_for(timeout=15_000)
        page.locator("span:visible", has_text=re.compile("^샘플링 레이트$")).first.wait_for(
            timeout=15_000
        )  # a row name
        page.screenshot(path=str(artifacts / "i18n-ko-runtime-1400-synthesize.png"), full_page=True)
        # Diarize: headers of a table no run has filled yet
        page.get_by_role("tab", name="화자 분리", exact=True).first.click()
        page.locator("th:visible", has_text="말한 시간 (초)").first.wait_for(timeout=15_000)
        assert not page.locator("th", has_text="Talk time").count()
        page.get_by_role("tab", name="분류", exact=True).first.click()
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "i18n-ko-runtime-1400-classify.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "i18n-ko-runtime-390-classify.png"), full_page=True)
        page.get_by_role("tab", name="사운드 랩", exact=True).first.click()
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "i18n-ko-runtime-390-synthesize.png"), full_page=True)
    finally:
        context.close()


def test_a_table_translates_short_templated_facts_but_not_long_text():
    """Transcribe's Run table: the engine cell is a templated fact and reads in Korean; a segment's
    text is data and stays as it was said."""
    said = "And Mr. John Dashwood had then leisure to consider how much there might be prudently in his power."
    rows = [
        ["Engine", "offline: bundled Whisper base (English detected, 100%)"],
        ["Text", said],
        ["Language", "English (100%)"],
    ]
    done = i18n._translate_table(rows)
    assert done[0][0] == "엔진" and done[0][1].startswith("오프라인: 내장 Whisper base")
    assert done[1][1] == said
    assert done[2][1] == "영어 (100%)"


def test_a_composed_piece_is_described_in_korean(tmp_path):
    """Compose's description: the sections and the instruments' roles are lists, translated item by item."""
    from pipelines.compose import ComposeOptions, compose

    r = compose("calm lo-fi piano", 8.0, options=ComposeOptions(seed=3), out_dir=tmp_path)
    text = i18n.to_korean(r.description)
    assert text and "끝맺음" in text and "화음:" in text, text
    assert not re.search(r"\b(chords|melody|bass|drums|ending|intro|bars|Instruments|Heard)\b", text), text
