"""The API a gradio_client script was written against stays callable: every endpoint recorded in
tests/data/api_contract.json (the app's named endpoints at 50fe1f3, before issue 26's restructuring)
keeps its name and its parameters in their order; a parameter added later comes after them and has
a default, so an old call (positional or by keyword) still means the same thing."""

from __future__ import annotations

import json

import pytest

import app
from conftest import DATA
from pipelines.core.config import Settings

CONTRACT = json.loads((DATA / "api_contract.json").read_text())
# Endpoints retired on purpose, each with the reason; nothing else may go.
RETIRED = {
    # Issue 29 replaced Gradio's streaming microphone (which dropped pieces on a busy server) with the
    # page's own relay. These three served only that stream: the chunk event was a .stream() event,
    # which gradio_client cannot call, and start/stop did nothing without it.
    "live_captions_chunk": "Gradio's streaming microphone, replaced by the microphone relay",
    "live_captions_start": "the start of that stream",
    "live_captions_stop": "the end of that stream",
}


@pytest.fixture(scope="module")
def api():
    return app.build_app(Settings(offline=True)).get_api_info()["named_endpoints"]


@pytest.mark.parametrize("name", sorted(set(CONTRACT) - set(RETIRED)))
def test_an_endpoint_keeps_its_name_and_parameters(api, name):
    assert f"/{name}" in api, f"/{name} is gone"
    now = [(p["parameter_name"], p.get("parameter_has_default", False)) for p in api[f"/{name}"]["parameters"]]
    recorded = [tuple(p) for p in CONTRACT[name]]
    assert [n for n, _ in now[: len(recorded)]] == [n for n, _ in recorded], f"/{name}: parameters changed"
    for (pname, had_default), (_, has_default) in zip(recorded, now):
        assert has_default or not had_default, f"/{name}: {pname} lost its default"
    added = now[len(recorded) :]
    assert all(has_default for _, has_default in added), f"/{name}: a new parameter without a default: {added}"


def test_only_the_streaming_microphones_endpoints_were_retired(api):
    """The retired ones are gone (a script gets a clear 'no such endpoint', not a half-working stream)
    and were in the contract; Python users of live captions have ``pipelines.live_captions.LiveCaptioner``."""
    assert set(RETIRED) <= set(CONTRACT)
    assert not {f"/{name}" for name in RETIRED} & set(api)
