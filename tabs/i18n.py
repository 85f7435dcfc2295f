"""English and Korean interface, keyed by the English text (gettext style).

``tabs/locales/ko.json`` maps each English interface string to Korean. A string with ``{name}``
placeholders is a template: ``"Model {name} is loading"`` also translates
``"Model Whisper base is loading"`` (the captured parts are translated when they are
themselves catalogue strings).

Two passes, both in this module, so tabs keep writing plain English literals:

- ``translate_interface(demo)`` runs once after the tabs are built. It replaces every static
  text (tab names, labels, info, placeholders, Markdown/HTML, buttons, accordion titles,
  choice labels) by a Gradio ``I18n`` key, so the browser's language picks English or Korean
  and Gradio's settings panel switches it. ``demo.i18n`` is then passed to ``launch``.
- ``translate_events(demo)`` wraps every event handler: for a Korean visitor, the messages it
  produces at run time (errors, warnings, Markdown/HTML results, updated labels and choices)
  and the texts drawn in the app's figures (``plots.save_png``) are translated through the same
  catalogue. The visitor's language is the one the page
  shows (a cookie the page keeps up to date, see ``LANGUAGE_JS``), else Accept-Language.

Matching a run-time message: the exact text, else a template (a blank may be empty; the
blanks' own text is translated when it is a catalogue string), else line by line, else fact by
fact on a summary line joined with ``" · "``; a bold sentence, a final full stop or a capital
first letter around a known text also match. Table cells are translated only when they are
exact catalogue strings (row names); column headers and the page title are swapped by the page.

Adding a string: write it in English in the tab as usual (a run-time message as one whole
f-string or ``.format()`` template, never pieces joined), then add ``"English text": "한국어"``
(or ``"Only {n} s of speech": "말소리가 {n}초뿐"``) to tabs/locales/ko.json; tests/test_i18n.py
names any interface text, column header, error, notice, warning or note without one.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
from functools import lru_cache
from pathlib import Path

import gradio as gr
from gradio.i18n import I18nData

CATALOGUE = Path(__file__).resolve().parent / "locales" / "ko.json"  # package data: pip install . carries it
LANGUAGES = ("en", "ko")
COOKIE = "studio_lang"
TEXT_PROPS = ("label", "info", "placeholder")
SEPARATOR = " · "  # joins whole facts on one summary line; each fact is translated on its own
TEMPLATE_CELL_CHARS = 300  # a table cell up to this long may be a templated fact; longer is data
# A template's blank that holds a list, and what joins its items: each item is translated on its own
# (the set-apart names, Compose's instruments "chords: ...; melody: ..." and sections "A (3), ending (1)",
# the footer's engines "*task*: name, name · ...").
SHARE_CELL = re.compile(r"(.+?) \((\d+(?:\.\d+)?%)\)")  # a table cell "English (100%)"
LIST_BLANKS = {"names": "; ", "instruments": "; ", "sections": ", ", "engines": " · ", "engine_names": ", "}
PLACEHOLDER = re.compile(r"\{(\w+)\}")  # a named blank of a template; a literal "{}" stays as it is
VALUE_TEXT = (gr.Markdown, gr.HTML, gr.Button, gr.DownloadButton, gr.UploadButton)

# Keeps a cookie naming the language the page shows (Gradio's settings panel can switch it
# without telling the server), so run-time messages come in the same language. Gradio's I18n
# reaches a component's own texts only, not the column headers of tables (Dataframe, the
# examples' table) nor the page title: the page swaps those, both ways, from TABLE_WORDS.
LANGUAGE_JS = """
() => {
  const KO = __TABLE_WORDS__;
  const EN = Object.fromEntries(Object.entries(KO).map(([en, ko]) => [ko, en]));
  const lang = () => /[\\uac00-\\ud7a3]/.test(document.querySelector('#intro')?.innerText || '') ? 'ko' : 'en';
  const swap = () => {
    const words = lang() === 'ko' ? KO : EN;
    if (words[document.title]) document.title = words[document.title];
    // table headers, examples shown by their labels and the colour legends of highlighted text
    // (Gradio does not translate those)
    const where = 'th, [role=tabpanel] .gallery-item, [data-testid="highlighted-text:category-legend"] .legend-item';
    for (const th of document.querySelectorAll(where)) {
      const tip = th.getAttribute('title');
      if (tip && words[tip]) th.setAttribute('title', words[tip]);
      const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const t = n.data.trim();
        if (t && words[t]) n.data = n.data.replace(t, words[t]);
      }
    }
  };
  let pending = false;
  const later = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; swap(); }); } };
  new MutationObserver(later).observe(document.body, { childList: true, subtree: true, characterData: true });
  const keep = () => { document.cookie = 'studio_lang=' + lang() + '; path=/; SameSite=Lax'; later(); };
  keep();
  for (const ev of ['pointerdown', 'keydown', 'change']) document.addEventListener(ev, keep, true);
  setInterval(keep, 1000);
}
"""


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern, str, list[str]]]:
    out = []
    for english, korean in catalogue().items():
        names = re.findall(r"\{(\w+)\}", english)
        if not names:
            continue
        pattern = ""
        for i, piece in enumerate(re.split(r"\{\w+\}", english)):
            pattern += re.escape(piece)
            if i < len(names):
                pattern += f"(?P<{names[i]}>.*?)" if names[i] not in names[:i] else f"(?P={names[i]})"
        # a blank spans lines only in a template of several lines: "**Engine:** {engine}." is one line
        out.append((re.compile(pattern + r"\Z", re.S if "\n" in english else 0), korean, names))
    out.sort(key=lambda t: -len(t[0].pattern))  # the most specific template first
    return out


def table_words() -> dict[str, str]:
    """English -> Korean of the short texts a table header, an example label or the page title can show."""
    return {k: v for k, v in catalogue().items() if len(k) <= 70 and "{" not in k and "\n" not in k}


def page_js() -> str:
    """LANGUAGE_JS with its words filled in (the page's ``js``)."""
    return LANGUAGE_JS.replace("__TABLE_WORDS__", json.dumps(table_words(), ensure_ascii=False))


def needs_translation(text: str) -> bool:
    """Interface text a Korean reader needs in Korean: words, not identifiers like 'hann' or '1024'."""
    t = text.strip()
    if not re.search(r"[A-Za-z]{2}", t):
        return False
    if t.startswith("<style") or re.fullmatch(r"[a-z0-9_.\-]+", t):  # CSS; a value shown as is: cqt, tiny.en
        return False
    return True


def to_korean(text: str) -> str | None:
    """The Korean of an English interface string, or None when the catalogue has none."""
    if not isinstance(text, str) or not text.strip():
        return None
    cat = catalogue()
    if text in cat:
        return cat[text]
    stripped = text.strip()
    if stripped in cat:
        return text.replace(stripped, cat[stripped])
    if stripped.startswith("**") and stripped.endswith("**") and stripped.count("**") == 2 and len(stripped) > 4:
        inner = to_korean(stripped[2:-2])  # a whole sentence in bold
        if inner is not None:
            return text.replace(stripped, "**" + inner + "**")
    if SEPARATOR in text and "\n" not in text:  # a summary line of whole facts: "**2 speakers** · 30 s of speech"
        pieces = text.split(SEPARATOR)
        done = [to_korean(piece) for piece in pieces]
        if any(d is not None for d in done):
            return SEPARATOR.join(d if d is not None else piece for d, piece in zip(done, pieces))
    for pattern, korean, _names in _templates():
        m = pattern.match(stripped)  # Markdown's line-break spaces around a message are kept as they are
        if m:
            parts = {k: _blank_to_korean(k, v) for k, v in m.groupdict().items()}
            return text.replace(stripped, fill_template(korean, parts))
    if "\n" in text:  # Markdown assembled from whole lines: translate line by line
        lines = text.split("\n")
        done = [to_korean(line) if line.strip() else line for line in lines]
        if any(d is not None for d, line in zip(done, lines) if line.strip()):
            return "\n".join(d if d is not None else line for d, line in zip(done, lines))
        return None
    if stripped.endswith(".") and not stripped.endswith("..") and len(stripped) > 2:  # a fact that ends a sentence
        bare = to_korean(stripped[:-1])
        if bare is not None:
            return text.replace(stripped, bare if bare.endswith(".") else bare + ".")
    if len(stripped) > 1 and stripped[0].isupper() and stripped[1].islower():  # a fact that starts a sentence
        lower = stripped[0].lower() + stripped[1:]
        if lower in catalogue() or any(p.match(lower) for p, _k, _n in _templates()):
            return text.replace(stripped, to_korean(lower) or lower)
    return None


# A particle written after a blank, in either form or both ("{name}은(는)", "{method}로"): the form is
# chosen by the blank's last sound (issue 30: "임베딩로", "음성 합성를").
_PARTICLE = re.compile(
    r"\{(\w+)\}(은\(는\)|는\(은\)|을\(를\)|를\(을\)|이\(가\)|가\(이\)|과\(와\)|와\(과\)|\(으\)로|으로|로|은|는|을|를|이|가|과|와)"
    r"(?![\uac00-\ud7a3])"
)
_PAIRS = {
    "은": "은는",
    "는": "은는",
    "을": "을를",
    "를": "을를",
    "이": "이가",
    "가": "이가",
    "과": "과와",
    "와": "과와",
}
_DIGIT_CODA = {"0": 1, "1": 2, "2": 0, "3": 1, "4": 0, "5": 0, "6": 1, "7": 2, "8": 2, "9": 0}  # 영 일 이 삼 ...


def final_sound(word: str) -> int | None:
    """The last sound of ``word`` as Korean reads it: 0 a vowel, 1 a final consonant, 2 a final ㄹ;
    None when it cannot be told (a symbol)."""
    t = word.rstrip(" )]'\"”’*.,")
    if not t:
        return None
    c = t[-1]
    if "\uac00" <= c <= "\ud7a3":
        coda = (ord(c) - 0xAC00) % 28
        return 0 if coda == 0 else 2 if coda == 8 else 1
    if c in _DIGIT_CODA:
        return _DIGIT_CODA[c]
    if c.isascii() and c.isalpha():  # as loanwords are read: "model" 모델 (ㄹ), "Whisper" 위스퍼, "Thai" 타이
        low = t.lower()
        if low.endswith("l") or (t.isupper() and c in "LR"):
            return 2
        if low.endswith(("m", "n", "ng")) or (t.isupper() and c in "MN"):
            return 1
        return 0
    return None


def with_particle(word: str, particle: str) -> str:
    """``word`` and the form of ``particle`` that follows its last sound: 음성 합성을, 임베딩으로, 모델로."""
    sound = final_sound(word)
    if sound is None:
        return word + particle
    if particle.endswith("로"):
        return word + ("으로" if sound == 1 else "로")
    pair = _PAIRS[particle[0]]
    return word + (pair[0] if sound else pair[1])


def fill_template(korean: str, parts: dict[str, str]) -> str:
    """A Korean template with its blanks filled, each particle after a blank in its right form."""

    def particle(m: re.Match) -> str:
        name = m.group(1)
        return with_particle(parts[name], m.group(2)) if name in parts else m.group(0)

    filled = _PARTICLE.sub(particle, korean)
    return PLACEHOLDER.sub(lambda p: parts.get(p.group(1), p.group(0)), filled)


def _blank_to_korean(name: str, value: str) -> str:
    """A template's blank in Korean: a list (LIST_BLANKS) item by item, anything else whole."""
    if not value:
        return value
    joiner = LIST_BLANKS.get(name)
    if joiner and joiner in value:
        return joiner.join(to_korean(v) or v for v in value.split(joiner))
    return to_korean(value) or value


def translate(text, lang: str | None = None):
    """``text`` in ``lang`` (the current visitor's language by default); unknown text unchanged."""
    lang = lang or current_language()
    if lang != "ko" or not isinstance(text, str):
        return text
    return to_korean(text) or text


def language_of(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    first = (accept_language or "").split(",")[0].strip().lower()
    return "ko" if first.startswith("ko") else "en"


def current_language() -> str:
    """The language of the visitor whose event is running ('en' outside an event)."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    if request is None:
        return "en"
    try:
        cookies = request.cookies or {}
        headers = request.headers or {}
    except Exception:
        return "en"
    return language_of(cookies.get(COOKIE), headers.get("accept-language"))


# --- the static pass ------------------------------------------------------------------


def _key(english: str) -> str:
    return "s" + hashlib.sha1(english.encode("utf-8")).hexdigest()[:12]


class _Keys:
    def __init__(self) -> None:
        self.en: dict[str, str] = {}
        self.ko: dict[str, str] = {}
        self.seen: list[str] = []
        self.missing: list[str] = []

    def marker(self, english):
        """The I18n marker for ``english``, or ``english`` itself when it stays as is."""
        if not isinstance(english, str):
            return english
        if not needs_translation(english) and english not in catalogue():  # a word the catalogue names
            return english  # is translated even when it looks like a value ("music", "streaming")
        self.seen.append(english)
        korean = to_korean(english)
        if korean is None:
            self.missing.append(english)
            return english
        key = _key(english)
        self.en[key], self.ko[key] = english, korean
        return str(I18nData(key))


def interface_texts(block) -> list[tuple[str, str]]:
    """(where, English text) of every translatable static text of one block."""
    out = [(p, getattr(block, p)) for p in TEXT_PROPS if isinstance(getattr(block, p, None), str)]
    if isinstance(block, VALUE_TEXT) and isinstance(block.value, str):
        out.append(("value", block.value))
    for i, choice in enumerate(_choices(block)):
        out.append((f"choice{i}", choice[0]))
    return out


def _choices(block) -> list:
    if isinstance(block, gr.Dataset):
        return []
    choices = getattr(block, "choices", None)
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, (tuple, list)) and len(c) == 2 and isinstance(c[0], str)]


def translate_interface(demo: gr.Blocks) -> gr.I18n:
    """Replace every static text by an I18n key; returns the ``gr.I18n`` for ``launch``.

    ``demo.i18n_missing`` lists the English texts with no Korean (tests/test_i18n.py).
    """
    keys = _Keys()
    for block in demo.blocks.values():
        for where, text in interface_texts(block):
            new = keys.marker(text)
            if new is text:
                continue
            if where.startswith("choice"):
                i = int(where[6:])
                block.choices = [((new, c[1]) if j == i else c) for j, c in enumerate(block.choices)]
            else:
                setattr(block, where, new)
    words = table_words()
    for block in demo.blocks.values():  # column headers: the page swaps them (LANGUAGE_JS)
        for header in getattr(block, "headers", None) or []:
            if isinstance(block, (gr.Dataframe, gr.Dataset)) and isinstance(header, str) and needs_translation(header):
                keys.seen.append(header)
                if header not in words:
                    keys.missing.append(header)
    i18n = gr.I18n(en=keys.en, ko=keys.ko)
    demo.i18n = i18n  # type: ignore[attr-defined]
    demo.i18n_strings = sorted(set(keys.seen))  # type: ignore[attr-defined]
    demo.i18n_missing = sorted(set(keys.missing))  # type: ignore[attr-defined]
    return i18n


# --- the run-time pass ----------------------------------------------------------------

UPDATE_TEXT = ("label", "info", "placeholder")


def _translate_output(component, value, lang: str):
    if isinstance(value, dict) and value.get("__type__") == "update":
        value = dict(value)
        for p in UPDATE_TEXT:
            if isinstance(value.get(p), str):
                value[p] = translate(value[p], lang)
        if isinstance(value.get("choices"), list):
            value["choices"] = [_translate_choice(c, lang) for c in value["choices"]]
        if "value" in value and isinstance(component, VALUE_TEXT):
            value["value"] = translate(value["value"], lang)
        if "value" in value and isinstance(component, gr.Dataframe):
            value["value"] = _translate_table(value["value"])
        return value
    if isinstance(component, gr.Dataframe):
        return _translate_table(value)
    if isinstance(component, gr.Label):
        return _translate_label(value)
    if isinstance(value, str) and isinstance(component, (*VALUE_TEXT, gr.Textbox)):
        if isinstance(component, gr.Textbox):  # a transcript is never translated: exact UI strings only
            return catalogue().get(value, value)
        return translate(value, lang)
    return value


_CODED = re.compile(r"(.+) \((\w[\w-]*)\)")  # "English (en)": a name with its code


def _label_text(text):
    """A label's class name in Korean where the catalogue has it ("Music", "English (en)")."""
    if not isinstance(text, str):
        return text
    if text in catalogue():
        return catalogue()[text]
    m = _CODED.fullmatch(text)
    if m and m.group(1) in catalogue():
        return f"{catalogue()[m.group(1)]} ({m.group(2)})"
    return text


def _translate_label(value):
    """A gr.Label's value: {label: score} or {"label": ..., "confidences": [...]}; names translated."""
    if isinstance(value, dict) and "confidences" in value:
        value = dict(value, label=_label_text(value.get("label")))
        value["confidences"] = [dict(c, label=_label_text(c.get("label"))) for c in value["confidences"] or []]
        return value
    if isinstance(value, dict):
        return {_label_text(k): v for k, v in value.items()}
    return value


def _translate_table(value):
    """A table's cells that are interface strings: exact ("Sample rate") or a short fact made from a
    template ("offline: bundled Whisper base (English detected, 100%)"); long text (a transcript's
    segments) stays as it is.

    Its column headers are swapped by the page (LANGUAGE_JS), in both languages."""
    cat = catalogue()
    seen: dict[str, str] = {}  # a long table repeats its cells (words, speaker names): match each once

    def cell(c):
        if not isinstance(c, str):
            return c
        if c in cat:
            return cat[c]
        if len(c) > TEMPLATE_CELL_CHARS or not re.search(r"[A-Za-z]{2}", c):
            return c
        if c not in seen:
            seen[c] = _templated_cell(c)
        return seen[c]

    def _templated_cell(c):
        share = SHARE_CELL.fullmatch(c)  # "English (100%)": a known name with its share
        if share and share.group(1) in cat:
            return f"{cat[share.group(1)]} ({share.group(2)})"
        if ", " in c:  # a list of facts ("F# minor (0.28), E minor (0.19)"), item by item when all are known
            items = [to_korean(x) for x in c.split(", ")]
            if all(items):
                return ", ".join(items)
        return to_korean(c) or c

    if isinstance(value, list):
        return [[cell(c) for c in row] if isinstance(row, (list, tuple)) else row for row in value]
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return {**value, "data": _translate_table(value["data"])}
    if hasattr(value, "map") and hasattr(value, "columns"):  # a pandas DataFrame
        return value.map(cell)
    return value


def _translate_choice(choice, lang: str):
    if isinstance(choice, (tuple, list)) and len(choice) == 2 and isinstance(choice[0], str):
        return (translate(choice[0], lang), choice[1])
    if isinstance(choice, str) and needs_translation(choice):
        return (translate(choice, lang), choice)
    return choice


def _translate_outputs(outputs, result, lang: str):
    if lang != "ko":
        return result
    if len(outputs) == 1:
        return _translate_output(outputs[0], result, lang)
    if isinstance(result, (tuple, list)) and len(result) == len(outputs):
        return type(result)(_translate_output(c, v, lang) for c, v in zip(outputs, result))
    if isinstance(result, dict) and not result.get("__type__"):
        return {c: _translate_output(c, v, lang) for c, v in result.items()}
    return result


def _translated_error(exc: gr.Error, lang: str) -> gr.Error:
    if lang != "ko":
        return exc
    exc.message = translate(str(exc.message), lang)
    if getattr(exc, "title", None):
        exc.title = translate(exc.title, lang)
    return exc


def _wrap(fn, outputs):
    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def agen(*args, **kwargs):
            lang = current_language()
            try:
                async for item in fn(*args, **kwargs):
                    yield _translate_outputs(outputs, item, lang)
            except gr.Error as exc:
                raise _translated_error(exc, lang) from exc.__cause__

        return agen
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def coro(*args, **kwargs):
            lang = current_language()
            try:
                return _translate_outputs(outputs, await fn(*args, **kwargs), lang)
            except gr.Error as exc:
                raise _translated_error(exc, lang) from exc.__cause__

        return coro
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args, **kwargs):
            lang = current_language()
            try:
                for item in fn(*args, **kwargs):
                    yield _translate_outputs(outputs, item, lang)
            except gr.Error as exc:
                raise _translated_error(exc, lang) from exc.__cause__

        return gen

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        lang = current_language()
        try:
            return _translate_outputs(outputs, fn(*args, **kwargs), lang)
        except gr.Error as exc:
            raise _translated_error(exc, lang) from exc.__cause__

    return plain


def translate_events(demo: gr.Blocks) -> None:
    """Every handler's run-time messages in the visitor's language (see the module doc)."""
    for block_fn in demo.fns.values():
        if block_fn.fn is not None and not getattr(block_fn.fn, "_i18n_wrapped", False):
            block_fn.fn = _wrap(block_fn.fn, list(block_fn.outputs))
            block_fn.fn._i18n_wrapped = True
    _translate_toasts()
    _translate_figures()


def _translate_figures() -> None:
    """The app's own figures (titles, axes, legends...) in the visitor's language: every figure is
    saved through ``plots.save_png``, which passes its texts through this hook; it reads the
    visitor's language from the running event (the handler's thread), so scripts stay English."""
    from pipelines.formats import plots

    plots.set_translator(translate)


def _translate_toasts() -> None:
    """gr.Warning / gr.Info messages and progress descriptions in the visitor's language."""
    import gradio.helpers as helpers

    if getattr(helpers.log_message, "_i18n_wrapped", False):
        return
    original = helpers.log_message

    @functools.wraps(original)
    def log_message(message, title, *args, **kwargs):
        return original(translate(message), translate(title), *args, **kwargs)

    log_message._i18n_wrapped = True
    helpers.log_message = log_message

    original_progress = helpers.Progress.__call__

    @functools.wraps(original_progress)
    def progress_call(self, progress, desc=None, *args, **kwargs):  # the progress bar's words
        return original_progress(self, progress, translate(desc) if isinstance(desc, str) else desc, *args, **kwargs)

    helpers.Progress.__call__ = progress_call
