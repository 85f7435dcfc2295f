"""Issue 13, class 3: the one helper that sets hub-only choices apart (tabs/hub_choices.py).

No browser: the split, the note and the API's acceptance, with the hub unreachable, offline and
reachable (a real HubStatus, as the hub check makes it; the reachable case as
tests/test_transcribe_hub.py sets it).
"""

from __future__ import annotations

import gradio as gr
import pytest

from pipelines.core import hub
from tabs.hub_choices import accept_set_apart, split_hub_choices

CHOICES = [("Bundled (offline)", "bundled"), ("Big model (model hub)", "big"), ("Other, model hub", "other")]
UNREACHABLE = hub.HubStatus(False, "x", "unreachable", "gaierror: [Errno -3]")
OFFLINE = hub.HubStatus(False, "x", "offline")
REACHABLE = hub.HubStatus(True, "huggingface.co reachable (test)", "reachable")


def test_unreachable_hub_sets_hub_choices_apart_and_says_why_once():
    c = split_hub_choices(CHOICES, {"big", "other"}, UNREACHABLE)
    assert c.offered == [("Bundled (offline)", "bundled")]
    assert [v for _, v in c.set_apart] == ["big", "other"]
    assert not c.reachable and c.controls_update()["visible"] is False
    note = c.note
    assert note.count("cannot reach") == 1  # the reason, once, in plain words
    assert "Needs the model hub, so not offered here:* Big model; Other." in note
    assert "gaierror" not in note and "unavailable" not in note
    assert c.value("big", "bundled") == "bundled" and c.value("bundled", "x") == "bundled"


def test_offline_mode_says_offline():
    c = split_hub_choices(CHOICES, lambda v: v != "bundled", OFFLINE)
    assert c.values() == ["bundled"] and "offline" in c.note and "Big model" in c.note


def test_reachable_hub_offers_everything_as_before():
    c = split_hub_choices(CHOICES, {"big", "other"}, REACHABLE)
    assert c.offered == CHOICES and c.set_apart == [] and c.reachable
    assert c.controls_update()["visible"] is True
    assert c.note == hub.hub_line(REACHABLE)  # no set-apart line at all


def test_api_still_accepts_a_set_apart_value():
    radio = gr.Radio(["bundled"], value="bundled")
    accept_set_apart(radio, CHOICES)
    assert radio.preprocess("big") == "big"  # the handler answers it with its own clear message
    with pytest.raises(gr.Error):
        radio.preprocess("nonsense")  # anything else is still refused


@pytest.mark.parametrize("reachable", [False, True])
def test_every_tab_uses_the_helper(monkeypatch, reachable):
    from tabs import classify, compose, transcribe, zero_shot

    monkeypatch.setattr(hub, "_status", REACHABLE if reachable else UNREACHABLE)
    models = transcribe.offered_models()
    tasks = classify.offered_tasks()
    engines = zero_shot.offered_engines()
    compose_choices, compose_note, musicgen_ok = compose._engine_dropdown_choices()
    keys = models.values()
    assert ("whisper-hub-small" in keys) is reachable and "whisper-base" in keys
    assert ("keywords" in tasks.values()) is reachable and "sound-events" in tasks.values()
    assert ("clap" in engines.values()) is reachable and engines.reachable is reachable
    assert any(k.startswith("musicgen") for _, k in compose_choices) is reachable and musicgen_ok is reachable
    for note in (models.note, tasks.note, engines.note, compose_note):
        assert ("not offered here" in note) is not reachable


def test_a_remembered_hub_choice_comes_back_only_when_the_hub_answers(monkeypatch):
    from tabs.common import _valid_for

    dropdown = gr.Dropdown(split_hub_choices(CHOICES, {"big"}, UNREACHABLE).offered, value="bundled")
    accept_set_apart(dropdown, CHOICES)
    monkeypatch.setattr(hub, "_status", UNREACHABLE)
    assert _valid_for(dropdown, "bundled") and not _valid_for(dropdown, "big")
    monkeypatch.setattr(hub, "_status", REACHABLE)
    assert _valid_for(dropdown, "big") and not _valid_for(dropdown, "nonsense")


# English words a set-apart name may carry in its description; proper names (Whisper tiny, CTC, ONNX,
# transformers) stay as they are in Korean.
DESCRIPTION_WORDS = r"\b(hub|model|models|stems?|follows|tune|spotting|intent|emotion|genre|events|classes|dataset|English|local|folder|offline|bundled|Any|or)\b"


def test_every_set_apart_note_reads_in_korean(monkeypatch):
    """Each name in a "not offered here" list goes through its own template (issue 13, class 9)."""
    import re

    from tabs import analyze, classify, clean_up, compose, i18n, transcribe, zero_shot
    from tabs.hub_choices import hub_language_models

    monkeypatch.setattr(hub, "_status", UNREACHABLE)
    models = transcribe.offered_models()
    notes = {
        "transcribe": models.note,
        "transcribe evaluation": transcribe.eval_hub_line(models),
        "classify": classify.offered_tasks().note,
        "zero-shot": zero_shot.offered_engines().note,
        "compose": compose._engine_dropdown_choices()[1],
        "clean up": clean_up.offered_separators().note,
        "analyze": analyze.hub_models_state().note,
        "language models": hub_language_models().note,
    }
    for tab, note in notes.items():
        assert "not offered here" in note, tab
        korean = i18n.to_korean(note)
        assert korean is not None, tab
        names = korean.split("제공하지 않음:*", 1)[1]
        assert not re.findall(DESCRIPTION_WORDS, names), (tab, names)
