"""Issue 13, class 4: what a visitor reads is plain language, not the team's shorthand.

Builds the whole app (offline, so every hub option shows its unavailable reason) and fails if any
text a visitor can see (labels, info, placeholders, Markdown, choices, table headers, the footer
and the hub notes) contains an internal reference: seed numbers, issue numbers, exception class
names, library internals."""

from __future__ import annotations

import re

import pytest

# The team's words that a visitor does not understand. Each is a pattern (case-insensitive).
BANNED = [
    r"\bseed \d",  # the seed documents the project was built from
    r"\bissue \d",  # tracker references
    r"\bgaierror\b",
    r"\b\w+(Error|Exception)\b",  # exception class names (ValueError, ConnectError, ...)
    r"\bTimeout\b(?= ?\()",
    r"spectral convergence",
    r"\bavg log-prob\b",
    r"no-speech prob\b",
    r"\bdims\b",
    r"\bsead \d",  # the package the YAMNet export ships in
    r"declares no licen[cs]e",
    r"\bHF_HUB_OFFLINE\b",
    r"\btraceback\b",
    r"\bseparation \d",  # a bare figure without its meaning
]
PATTERN = re.compile("|".join(f"(?:{b})" for b in BANNED), re.IGNORECASE)
TEXT_KEYS = ("label", "info", "placeholder", "value", "choices", "headers", "description", "title")


def visible_strings(config: dict) -> list[tuple[str, str]]:
    """(where, text) for every string a component shows."""
    out: list[tuple[str, str]] = []

    def walk(where: str, value) -> None:
        if isinstance(value, str):
            out.append((where, value))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(where, v)
        elif isinstance(value, dict):
            for k in ("headers", "data", "label"):
                if k in value:
                    walk(where, value[k])

    for comp in config["components"]:
        props = comp.get("props", {})
        if comp.get("type") in {"state", "browserstate"}:
            continue
        for key in TEXT_KEYS:
            if key in props and not (key == "value" and comp.get("type") in {"audio", "file", "image"}):
                walk(f"{comp.get('type')}#{comp.get('id')}.{key}", props[key])
    return out


@pytest.fixture(scope="module")
def app_config():
    import app as app_module
    from pipelines.core.config import Settings

    demo = app_module.build_app(Settings(offline=True))
    return demo.get_config_file()


def test_no_visible_string_uses_internal_terms(app_config):
    import app as app_module
    from pipelines import classify, transcribe
    from pipelines.core.config import Settings

    texts = visible_strings(app_config)
    texts += [("footer", app_module.engines_status_markdown(Settings(offline=True)))]
    texts += [("classify hub note", classify.hub_note()), ("transcribe hub note", transcribe.hub_note())]
    texts += [("transcribe model", label) for label, _ in transcribe.model_choices()]
    assert len(texts) > 300  # the walk found the app's texts
    bad = [(where, m.group(0), text[:160]) for where, text in texts for m in [PATTERN.search(text)] if m]
    assert not bad, "internal terms a visitor sees:\n" + "\n".join(map(str, bad))


def test_hub_reason_is_one_plain_sentence_everywhere(monkeypatch):
    from pipelines import transcribe  # noqa: F401  (registers the hub Whisper sizes)
    from pipelines.core import hub
    from pipelines.core.registry import REGISTRY

    monkeypatch.setattr(hub, "_status", hub.HubStatus(False, "x", "unreachable", "gaierror: [Errno -3]"))
    assert hub.hub_reason() == hub.HUB_UNREACHABLE
    hub_specs = [s for s in REGISTRY.specs() if s.engine == "hub"]
    assert hub_specs
    for spec in hub_specs:
        if spec.missing_modules():  # an uninstalled package is the reason then, not the hub
            continue
        ok, reason = spec.availability()
        assert not ok and reason == hub.HUB_UNREACHABLE
    assert not PATTERN.search(hub.hub_line())
