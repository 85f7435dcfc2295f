"""Analyze's hub models (speech emotion, music genre) beside the offline heuristic mood and YAMNet's genre.

The model here is a tiny randomly initialised AST saved into the allowed local-model folder: it proves
the wiring only (loading through pipelines.engines.hf_audio, labels in the table and the JSON), not
that any answer is right. With the hub out of reach the default hub models say so, plainly."""

from __future__ import annotations

import pytest
from gradio_client import handle_file

from conftest import EXAMPLES, TINY_LABELS, build_tiny_ast
from pipelines.analyze import AnalyzeOptions, analyze
from pipelines.core.audio import load_audio
from pipelines.core.hub import set_offline

DRUMS = EXAMPLES / "drum_loop.wav"


@pytest.fixture(scope="module")
def tiny_model(local_model_root):
    root = local_model_root / "analyze"
    root.mkdir(exist_ok=True)
    return build_tiny_ast(root / "tiny-ast")


def rows(result) -> dict[str, str]:
    return {k: v for k, v in result.facts}


def test_local_models_answer_beside_the_offline_ones(tiny_model, tmp_path):
    options = AnalyzeOptions(kind="both", transcribe=False, emotion_model=str(tiny_model), genre_model=str(tiny_model))
    r = analyze(load_audio(DRUMS), tmp_path, options)
    table = rows(r)
    emotion = table[f"Emotion (hub model {tiny_model})"]
    genre = table[f"Genre (hub model {tiny_model})"]
    for value in (emotion, genre):
        named = [x.split()[0] for x in value.split(", ")]
        assert len(named) == 3 and set(named) <= set(TINY_LABELS), value
    assert "Mood (heuristic)" in table and "Genre (YAMNet)" in table  # side by side
    assert r.data["hub"]["genre"]["labels"][0][0] in TINY_LABELS
    assert any("tiny-ast" in e for e in r.engines), r.engines


def test_hub_out_of_reach_is_said_plainly(tmp_path):
    set_offline(True)
    r = analyze(load_audio(DRUMS), tmp_path, AnalyzeOptions(kind="both", transcribe=False))
    table = rows(r)
    for key in (
        f"Emotion (hub model {AnalyzeOptions().emotion_model})",
        f"Genre (hub model {AnalyzeOptions().genre_model})",
    ):
        assert table[key].startswith("unavailable:") and "not available" in table[key], table[key]
    assert "Genre (YAMNet)" in table  # the offline answer stays


def test_api_hub_models_off_and_a_bad_id(client):
    out = client.predict(
        handle_file(str(DRUMS)), "music", "streaming", False, "auto", True, 0.5, False, "", "", api_name="/analyze"
    )
    measures = [r[0] for r in out[2]["data"]]
    assert not any(m.startswith(("Genre (hub", "Emotion (hub")) for m in measures), measures
    out = client.predict(
        handle_file(str(DRUMS)),
        "music",
        "streaming",
        False,
        "auto",
        True,
        0.5,
        True,
        "",
        "not a model!",
        api_name="/analyze",
    )
    table = {r[0]: r[1] for r in out[2]["data"]}
    assert "is not a model id" in table["Genre (hub model not a model!)"], table
