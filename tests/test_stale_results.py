"""Issue 30, item 4: no tab leaves old results beside a new input, a cleared input or an error.

Visualize kept the previous recording's facts and seven figures after Clear, and beside the
error of a new bad file. Read from the built app's own event table (what the page runs): every
event that takes an uploaded or recorded input must have its results emptied when that input
changes (a new file, a recording, Clear) and when the event fails.
"""

from __future__ import annotations

import gradio as gr
import pytest

RESULTS = (gr.Image, gr.File, gr.Audio, gr.Dataframe, gr.Label, gr.HighlightedText, gr.JSON, gr.Gallery, gr.Plot)
# Events whose results are kept on purpose, and why.
KEPT_ON_FAILURE = {
    # the handler itself empties its outputs before raising (tabs.common.clears_before_error):
    # a Cancel is reported as a failure too, and must keep what was decoded before it
    "transcribe": "all",
    # a setting changed: the facts (which no setting changes) stay; the figures go
    "visualize_redraw": "facts",
    # the same as Transcribe: a Cancel keeps the files done before it; an error empties (clears_before_error)
    "batch": "all",
}
NOT_RESULTS = {
    "voice_chat",  # a conversation: its turns stay until the Clear button
    "analyze_fix_in_sound_lab",  # sends the recording to the Sound lab's input, not a result
    # the visitor's known voices (a file and its table): what they enrolled, never emptied by a new clip
    "enroll_voice",
    "rename_voice",
    "remove_voice",
    "import_voices",
}


@pytest.fixture(scope="module")
def demo():
    import app as app_module
    from pipelines.core.config import Settings

    return app_module.build_app(Settings(offline=True))


def _input_events(demo):
    for f in demo.fns.values():
        if f.api_visibility == "private" or f.trigger_after is not None or f.api_name in NOT_RESULTS:
            continue
        inputs = [b for b in f.inputs if isinstance(b, (gr.Audio, gr.File)) and b.interactive is not False]
        results = [o for o in f.outputs if isinstance(o, RESULTS) and not getattr(o, "interactive", None)]
        if inputs and results:
            yield f, inputs, results


def test_the_walk_sees_every_tab_with_an_upload(demo):
    names = {f.api_name for f, _, _ in _input_events(demo)}
    assert {"visualize", "analyze", "classify", "zero_shot", "diarize", "denoise", "separate", "spec_augment"} <= names
    assert {"augment", "effects", "meeting_notes", "transcribe", "export_features", "phase_lesson"} <= names


def test_a_new_or_cleared_input_empties_every_result(demo):
    stale = []
    for f, inputs, results in _input_events(demo):
        ids = {b._id for b in inputs}
        cleared = {
            o._id
            for g in demo.fns.values()
            if any(t[0] in ids and t[1] == "change" for t in g.targets)
            for o in g.outputs
        }
        stale += [f"{f.api_name}: {type(o).__name__} #{o.elem_id or o._id}" for o in results if o._id not in cleared]
    assert not stale, stale


def test_an_error_empties_every_result(demo):
    stale = []
    for f, _inputs, results in _input_events(demo):
        if KEPT_ON_FAILURE.get(f.api_name) == "all":
            continue
        emptied = {
            o._id
            for g in demo.fns.values()
            if g.trigger_after == f._id and g.trigger_only_on_failure
            for o in g.outputs
        }
        kept = [o for o in results if o._id not in emptied]
        if KEPT_ON_FAILURE.get(f.api_name) == "facts":
            kept = [o for o in kept if not isinstance(o, gr.Dataframe)]
        stale += [f"{f.api_name}: {type(o).__name__} #{o.elem_id or o._id}" for o in kept]
    assert not stale, stale


def test_the_cleared_values_are_empty(demo):
    """What Visualize's clear sends: nothing for each figure and the facts (not an old path)."""
    clear = next(f for f in demo.fns.values() if f.api_name == "visualize_clear_stale")
    values = clear.fn()
    assert len(values) == len(clear.outputs) >= 12 and all(v is None for v in values)
