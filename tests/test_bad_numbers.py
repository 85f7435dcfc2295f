"""Every numeric API parameter answers a value of the wrong type with a plain message naming the
field (not Gradio's generic "the upstream app has raised an exception"), and the server keeps serving."""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES

TONE = str(EXAMPLES / "a440_sine.wav")


@pytest.mark.parametrize(
    ("args", "kwargs", "api", "message"),
    [
        (("calm piano",), {"seed": "abc"}, "/compose", "Seed .* must be a number; got 'abc'"),
        (("calm piano",), {"duration": "ten"}, "/compose", "Duration .* must be a number; got 'ten'"),
        (("calm piano",), {"seed": 1e30}, "/compose", "Seed .* must be between -1 and 1e\\+09"),
        ((TONE,), {"n_mels": "many"}, "/visualize", "must be a number; got 'many'"),
        ((TONE,), {"beam_size": "wide"}, "/transcribe", "must be a number; got 'wide'"),
        ((TONE,), {"num_speakers": "two"}, "/diarize", "must be a number; got 'two'"),
    ],
)
def test_a_wrong_type_gets_a_plain_message(client, args, kwargs, api, message):
    args = tuple(handle_file(a) if a == TONE else a for a in args)
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api, **kwargs)
    facts, *_ = client.predict(handle_file(TONE), api_name="/visualize")  # still serving
    assert facts["data"][0][0] == "Sample rate"
