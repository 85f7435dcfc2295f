"""The bundled Gemma GGUF run by ``xllamacpp``: llama.cpp prebuilt in a wheel (no compiler at install).

``xllamacpp`` (Apache-2.0, llama.cpp MIT) runs llama.cpp's own server in this process:
``Server.handle_completions(request, callback)`` answers a completion request, calling ``callback``
with each streamed piece. Its CPU wheel is built for any x86-64 with AVX2 (no AVX-512 or AMX code), so
it may be slower than llama.cpp built on the machine (``llama-cpp-python``, the optional
``requirements/llm-native.txt``); ``benchmarks/bench_llm_runtime.py`` measures both (two runs on the
loaded 2-core machine: 0.90x and 1.56x its tokens/s, first token in 0.25x and 0.15x its time). That server
also listens on a loopback port, which only tokenising uses here; it takes a random key, so nothing
else on the machine can use it.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from pipelines.core.errors import UserError
from pipelines.engines.llm import MAX_ANSWER_S, MAX_TOKENS, LanguageModelFailed, LlamaCppModel, Usage


@dataclass
class XLlamaCppModel(LlamaCppModel):
    """:class:`LlamaCppModel`'s prompts and stops, answered by xllamacpp's in-process server."""

    address: str = ""  # the server's loopback address (tokenising)
    api_key: str = ""

    def tokenize(self, text: str, add_bos: bool) -> list[int]:
        request = urllib.request.Request(
            self.address.rstrip("/") + "/tokenize",
            data=json.dumps({"content": text, "add_special": bool(add_bos)}).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())["tokens"]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, add_bos=False))

    def complete(
        self, prompt: str, max_tokens: int = MAX_TOKENS, stop: tuple[str, ...] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        usage = self.last_usage = Usage()
        budget = self.context_tokens - 8
        n = len(self.tokenize(prompt, add_bos=True))
        if n + 1 > budget:
            raise UserError(f"The text is too long for the bundled model ({n} tokens; it reads at most {budget}).")
        usage.prompt_tokens = n
        request = {
            "prompt": prompt,
            "max_tokens": max(1, min(int(max_tokens), budget - n)),
            "temperature": float(temperature),
            "top_p": 0.9,
            "repeat_penalty": 1.15,
            "stop": list(stop),
            "seed": 0,
            "stream": True,
        }
        pieces: queue.Queue = queue.Queue()
        cancel = threading.Event()  # set when the reader stops reading: the callback's True ends the stream

        def on_piece(piece) -> bool:
            pieces.put(piece)
            return cancel.is_set()

        def run() -> None:
            with self.lock:  # one context: one answer at a time
                try:
                    result = self.llama.handle_completions(request, on_piece)
                    pieces.put(result if isinstance(result, dict) and "error" in result else None)
                except Exception as e:  # noqa: BLE001 - handed to the reader, which says what failed
                    pieces.put(e)

        start = time.perf_counter()
        threading.Thread(target=run, daemon=True, name="xllamacpp-answer").start()
        try:
            yield from self._read(pieces, usage, start)
        finally:  # also when the reader closes the generator early: free the model for the next answer
            cancel.set()

    @staticmethod
    def _read(pieces: queue.Queue, usage: Usage, start: float) -> Iterator[str]:
        while True:
            try:
                item = pieces.get(timeout=MAX_ANSWER_S)
            except queue.Empty:
                raise LanguageModelFailed(f"The bundled model gave no answer within {MAX_ANSWER_S:g} s.") from None
            if item is None:
                return
            if isinstance(item, Exception):
                raise LanguageModelFailed(f"The bundled model failed: {item}") from item
            if "error" in item:
                raise LanguageModelFailed(f"The bundled model failed: {item['error'].get('message', item['error'])}")
            choices = item.get("choices") or [{}]
            text = choices[0].get("text") or ""
            if text:
                usage.tick(start)
                yield text


def load(path: str, context: int, threads: int, repack: bool = False, **fields) -> XLlamaCppModel:
    """The model at ``path`` in xllamacpp's server; ``fields`` are the LanguageModel's (key, title...).
    ``repack``: llama.cpp's repacked (AMX) weight buffers, opt-in as with llama-cpp-python."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = path
    params.n_ctx = int(context)
    params.n_parallel = 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = int(threads)
    params.verbosity = -1  # no per-request log lines
    params.no_extra_bufts = not repack
    api_key = secrets.token_hex(16)
    params.api_keys = [api_key]
    server = xlc.Server(params)
    return XLlamaCppModel(**fields, llama=server, address=server.listening_address, api_key=api_key)
