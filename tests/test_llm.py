"""The language-model engine: the operator's OpenAI-compatible server (a real stand-in on 127.0.0.1),
refusing visitor-typed addresses, and the bundled model with its real weights."""

from __future__ import annotations

import time

import pytest
from llm_server import ECHO_ANSWER, StandIn

from pipelines.core.errors import UserError
from pipelines.engines import llm as lm


@pytest.fixture(scope="module")
def server():
    s = StandIn()
    lm.configure_servers(s.url, ("echo", "notes", "plain", "broken", "slow", "cutoff"), "sk-test", timeout_s=2.0)
    yield s
    s.close()


def test_streams_pieces_and_sends_the_key(server):
    model = lm.get(lm.SERVER_PREFIX + "echo")
    pieces = list(model.stream([{"role": "user", "content": "What is two plus two?"}]))
    assert len(pieces) > 5  # streamed, not one block
    text = "".join(pieces)
    assert text.startswith(ECHO_ANSWER) and "two plus two" in text
    assert server.headers[-1]["Authorization"] == "Bearer sk-test"
    assert server.requests[-1]["stream"] is True and server.requests[-1]["model"] == "echo"
    assert model.last_usage.completion_tokens == len(pieces)


def test_a_server_that_ignores_streaming_still_answers(server):
    assert lm.get(lm.SERVER_PREFIX + "plain").answer([{"role": "user", "content": "hi"}]) == ECHO_ANSWER


def test_server_errors_are_clear_messages(server):
    with pytest.raises(lm.LanguageModelFailed, match="HTTP 500.*the model crashed"):
        lm.get(lm.SERVER_PREFIX + "broken").answer([{"role": "user", "content": "hi"}])
    with pytest.raises(lm.LanguageModelFailed, match="not JSON"):
        lm.get(lm.SERVER_PREFIX + "cutoff").answer([{"role": "user", "content": "hi"}])


def test_a_silent_server_times_out_within_seconds(server):
    start = time.perf_counter()
    with pytest.raises(lm.LanguageModelFailed, match="did not answer in time"):
        lm.get(lm.SERVER_PREFIX + "slow").answer([{"role": "user", "content": "hi"}])
    assert time.perf_counter() - start < 6


def test_a_server_that_is_down_fails_fast():
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (key,) = lm.configure_servers(f"http://127.0.0.1:{port}/v1", ("down-model",), None, timeout_s=2.0)
    start = time.perf_counter()
    with pytest.raises(lm.LanguageModelFailed, match="could not be reached"):
        lm.get(key).answer([{"role": "user", "content": "hi"}])
    assert time.perf_counter() - start < 5


def test_a_visitor_cannot_name_an_address(server):
    for typed in (server.url, "http://169.254.169.254/latest", "https://example.com/v1", "127.0.0.1:8080/v1"):
        with pytest.raises(UserError, match="Addresses cannot be given|Unknown or unavailable"):
            lm.get(typed)
    with pytest.raises(UserError, match="Unknown or unavailable"):
        lm.get(lm.SERVER_PREFIX + "not-configured")
    assert lm.get(lm.NONE) is None
    keys = [k for _, k in lm.choices(offline=True)]
    assert keys[0] == lm.NONE and lm.SERVER_PREFIX + "echo" in keys
    assert not any(k.startswith(lm.HUB_PREFIX) for k in keys)  # offline: no hub models offered


def test_messages_are_checked():
    with pytest.raises(UserError, match="nothing to answer"):
        lm.check_messages([{"role": "system", "content": "be nice"}])
    with pytest.raises(UserError, match="role"):
        lm.check_messages([{"role": "tool", "content": "x"}])


def test_operator_flags_and_environment(monkeypatch):
    import app

    s = app.parse_args(["--llm-url", "http://127.0.0.1:11434/v1", "--llm-model", "llama3.2:3b, qwen2.5:7b"])
    assert s.llm_url == "http://127.0.0.1:11434/v1" and s.llm_models == ("llama3.2:3b", "qwen2.5:7b")
    monkeypatch.setenv("AUDIO_STUDIO_LLM_URL", "http://10.0.0.5:8000/v1")
    monkeypatch.setenv("AUDIO_STUDIO_LLM_MODEL", "m1")
    monkeypatch.setenv("AUDIO_STUDIO_LLM_KEY", "secret")
    s = app.parse_args([])
    assert (s.llm_url, s.llm_models, s.llm_key) == ("http://10.0.0.5:8000/v1", ("m1",), "secret")
    with pytest.raises(UserError, match="http"):
        lm.configure_servers("file:///etc/passwd", ("x",), None)


def test_base_chat_prompt_is_a_dialogue_to_continue():
    prompt = lm.base_chat_prompt(
        [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": "How are you?"},
        ]
    )
    assert prompt.endswith("User: How are you?\nAssistant:") and "Answer in French." in prompt
    assert "Assistant: Bonjour" in prompt


def test_the_bundled_model_answers_with_its_real_weights():
    ok, reason = lm.BUNDLED.availability()
    assert ok, f"the bundled language model should be installed (requirements/llm.txt): {reason}"
    model = lm.get(lm.BUNDLED_KEY)
    assert model.kind == "bundled" and not model.instruction_tuned
    text = model.answer([{"role": "user", "content": "What is the capital of Italy?"}], max_tokens=24)
    assert text.strip(), "the bundled model answered nothing"
    assert model.last_usage.completion_tokens > 0
    assert "Rome" in text or "rome" in text.lower()  # a fact even a 270M model knows


def test_tokens_per_s_counts_every_answer_and_not_the_prompt_reading():
    from pipelines.engines.llm import Usage

    # the bundled model under load: 401 prompt tokens read in 40.1 s, then 20 more tokens in 10.2 s
    one = Usage(prompt_tokens=401, completion_tokens=21, first_token_s=40.1, seconds=50.3)
    assert abs(one.tokens_per_s - 20 / 10.2) < 1e-6  # not 21 / 50.3 = 0.4
    both = one + Usage(prompt_tokens=300, completion_tokens=31, first_token_s=10.0, seconds=13.0)
    assert both.answers == 2 and abs(both.tokens_per_s - 50 / 13.2) < 1e-6
    burst = Usage(completion_tokens=20, first_token_s=1.0, seconds=1.001)  # held-back pieces at once
    assert abs(burst.tokens_per_s - 20 / 1.001) < 1e-6


def test_an_answer_read_in_part_frees_the_prebuilt_runtime_at_once():
    """xllamacpp answers in a thread of its own: when the reader stops (a visitor stops the voice
    chat), the stream ends at the next token and the model is free for the next answer, instead of
    writing on to the end (2000 tokens: half a minute even at 60 tokens/s)."""
    from pipelines.engines import llm_xllamacpp

    model = llm_xllamacpp.load(
        str(lm.gguf_path()), 4096, 1, key="k", title="t", kind="bundled", context_tokens=4096, instruction_tuned=False
    )
    pieces = model.complete("Counting to a thousand: 1, 2, 3, 4, 5, 6, 7,", max_tokens=2000)
    assert next(pieces)
    pieces.close()
    assert model.lock.acquire(timeout=10), "the model still answered the closed request"
    model.lock.release()
    assert "".join(model.complete("The capital of France is", max_tokens=4)).strip()
