"""Defaults are written once, in the pipelines' options dataclasses: for every tab, each API
endpoint's parameter defaults (what gradio_client sends when a caller leaves one out, i.e. the
widget's value) and the handler's keyword defaults equal the options' field values."""

from __future__ import annotations

import inspect
from dataclasses import fields, is_dataclass

import pytest

import app
from pipelines import (
    analyze,
    clean_up,
    compose,
    diarize,
    live_captions,
    meeting_notes,
    sound_lab,
    speak,
    speakers,
    transcribe,
    visualize,
    voice_chat,
    zero_shot,
)
from pipelines.batch import BatchOptions
from pipelines.classify import ClassifyOptions
from pipelines.core.config import Settings
from pipelines.dsp.features import SpectralParams
from pipelines.engines.tts import EdgeOptions, EspeakOptions, PiperOptions

_VIS = ([SpectralParams(), visualize.ViewOptions()], {"hop": "hop_length"})
_CLEAN_FIRST = {"clean_audio": clean_up.CLEAN_DEFAULT}
_TRANSCRIBE = ([transcribe.TranscribeOptions(), transcribe.TranscribeOptions().subtitles, _CLEAN_FIRST], {})

# api_name -> (where the defaults live, {handler parameter: field name}); a source is an options
# dataclass or a dict of a pipeline's named defaults. Parameters in NOT_OPTIONS are the user's input.
ENDPOINTS = {
    "visualize": _VIS,
    "visualize_redraw": _VIS,
    "export_features": _VIS,
    "phase_lesson": _VIS,
    "transcribe": _TRANSCRIBE,
    "transcribe_batch": _TRANSCRIBE,
    "diarize": (
        [
            diarize.DiarizeOptions(),
            {"engine": diarize.DEFAULT_ENGINE, "transcribe": diarize.DEFAULT_TRANSCRIBE},
            diarize.SUBTITLE_DEFAULTS,
            _CLEAN_FIRST,
        ],
        {},
    ),
    "denoise": ([clean_up.DenoiseOptions()], {}),
    "separate": ([clean_up.SeparateOptions()], {}),
    "classify": ([ClassifyOptions()], {}),
    "zero_shot": ([zero_shot.ZeroShotOptions()], {}),
    "speak": (
        [speak.SpeakOptions(), PiperOptions(), EspeakOptions(), {"engine": speak.DEFAULT_ENGINE}],
        {"edge_pitch": ("edge", "pitch"), "rate": ("edge", "rate"), "volume": ("edge", "volume")},
    ),
    "compose": ([compose.ComposeOptions(), {"duration": compose.DEFAULT_SECONDS, "engine": compose.COMPOSER}], {}),
    "effects": ([sound_lab.EffectsOptions()], {}),
    "synthesize": ([sound_lab.SynthOptions()], {}),
    "spec_augment": ([sound_lab.SpecAugmentOptions()], {}),
    "augment": ([sound_lab.AugmentOptions()], {}),
    "meeting_notes": ([meeting_notes.MeetingNotesOptions()], {"speaker_names": "names"}),
    "voice_chat": ([voice_chat.VoiceChatOptions()], {}),
    "analyze": ([analyze.AnalyzeOptions()], {}),
    "live_captions_redo": ([live_captions.LiveOptions()], {}),
    "verify_speakers": ([speakers.SpeakersOptions()], {}),
    "enroll_voice": ([speakers.SpeakersOptions()], {}),
    "identify_speaker": ([speakers.SpeakersOptions()], {}),
    "batch": ([{"task_options": ""}, BatchOptions()], {}),  # '' = the chosen task's own defaults
}
EDGE = EdgeOptions()
NOT_OPTIONS = {
    "source",
    "audio_source",
    "audio",
    "messages",
    "session",
    "live",  # the visitor's live-captions session (a gr.State)
    "file_list",
    "files",
    "text",
    "prompt",
    "reference",
    "melody",
    "hub_token",
    "audio_a",  # Speakers: the two recordings compared
    "audio_b",
    "name",  # the name a visitor enrolls a voice under
    "known_voices",  # the visitor's known-voices file (none by default)
    "stored",  # the same, kept in the visitor's browser (gr.BrowserState)
}
# The user's choice with a default that is not an option of the pipeline, each with the reason.
EXEMPT = {
    ("speak", "voice"): "'' = the engine's default voice; the form shows Piper's",
    ("diarize", "speaker_names"): "names typed by the user, none by default",
}


@pytest.fixture(scope="module")
def demo():
    return app.build_app(Settings(offline=True))


def _handler(demo, api_name):
    for fn in demo.fns.values():
        if fn.api_name == api_name:
            return fn
    raise AssertionError(f"no endpoint /{api_name}")


def _expected(api_name: str, param: str):
    sources, aliases = ENDPOINTS[api_name]
    alias = aliases.get(param, param)
    if isinstance(alias, tuple):  # an engine's own option named differently in the form
        assert alias[0] == "edge"
        return getattr(EDGE, alias[1])
    for src in sources:
        if isinstance(src, dict) and alias in src:
            return src[alias]
        if is_dataclass(src) and alias in {f.name for f in fields(src)}:
            return getattr(src, alias)
    raise LookupError(alias)


def _same(a, b) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    try:
        return float(a) == float(b)  # "2048" (a dropdown's text) is 2048
    except (TypeError, ValueError):
        return a == b


def disagreements(demo) -> list[str]:
    api = demo.get_api_info()["named_endpoints"]
    problems = []
    for api_name in ENDPOINTS:
        fn = _handler(demo, api_name)
        signature = inspect.signature(fn.fn)  # follows user_errors' functools.wraps
        documented = {p["parameter_name"]: p for p in api.get(f"/{api_name}", {}).get("parameters", [])}
        for name, param in signature.parameters.items():
            if name == "progress" or name in NOT_OPTIONS or (api_name, name) in EXEMPT:
                continue
            try:
                expected = _expected(api_name, name)
            except LookupError:
                problems.append(f"/{api_name}: parameter {name} has no options field")
                continue
            if param.default is inspect.Parameter.empty or not _same(param.default, expected):
                problems.append(f"/{api_name}: handler default {name}={param.default!r}, options say {expected!r}")
            if name in documented and not _same(documented[name]["parameter_default"], expected):
                problems.append(
                    f"/{api_name}: API/widget default {name}={documented[name]['parameter_default']!r}, "
                    f"options say {expected!r}"
                )
    return problems


def test_every_tab_has_endpoints_checked(demo):
    """All seven tabs are covered, and every checked endpoint exists with documented parameters."""
    from tabs import TABS

    main_endpoints = [tab.main for tab in TABS]
    assert set(main_endpoints) <= set(ENDPOINTS)  # a new tab: add its endpoints above
    api = demo.get_api_info()["named_endpoints"]
    for api_name in main_endpoints:
        assert api[f"/{api_name}"]["parameters"], api_name


def test_api_and_handler_defaults_equal_the_options(demo):
    assert disagreements(demo) == []


def test_a_disagreeing_default_is_caught(demo, monkeypatch):
    """The check can fail: change one options default and the widget/handler no longer match it."""
    monkeypatch.setitem(ENDPOINTS, "transcribe", ([transcribe.TranscribeOptions(beam_size=3)], {}))
    monkeypatch.setitem(
        ENDPOINTS, "speak", ([speak.SpeakOptions(pause=2.0)] + ENDPOINTS["speak"][0][1:], ENDPOINTS["speak"][1])
    )
    problems = disagreements(demo)
    assert any("/transcribe: handler default beam_size=5" in p for p in problems), problems
    assert any("/transcribe: API/widget default beam_size=5" in p for p in problems), problems
    assert any("/speak: handler default pause=1.0" in p for p in problems), problems
    assert not any(p.startswith("/compose") for p in problems), problems


def test_an_option_without_a_field_is_caught(demo, monkeypatch):
    monkeypatch.setitem(ENDPOINTS, "classify", ([], {}))
    problems = disagreements(demo)
    assert "/classify: parameter top_k has no options field" in problems, problems
