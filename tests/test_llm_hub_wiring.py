"""The hub language-model kind (an instruction model through transformers), wired end to end with a
tiny *random* Qwen2 causal LM saved to a local folder the registry's local-model-folder rule accepts.
Random weights: this proves the wiring only (chat template, streaming, usage), not any answer."""

from __future__ import annotations

import pytest

from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.registry import local_model_folder
from pipelines.engines import llm as lm

TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_causal_lm(folder, chat_template: str | None = TEMPLATE):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    words = "hello the sky is blue what colour on a clear day system user assistant you are friendly".split()
    vocab = {w: i for i, w in enumerate(["<unk>", "<|im_start|>", "<|im_end|>", "\n"] + words)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<|im_end|>")
    fast.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    if chat_template:
        fast.chat_template = chat_template
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=256,
        eos_token_id=vocab["<|im_end|>"],
    )
    Qwen2ForCausalLM(cfg).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_a_local_instruction_model_streams_through_the_hub_kind(local_model_root):
    folder = local_model_folder(
        tiny_causal_lm(local_model_root / "tiny-qwen2"), "config.json", "a causal language model"
    )
    model = lm.load_transformers(str(folder), "local:tiny-qwen2", "tiny random Qwen2", kind="local")
    assert model.instruction_tuned and model.context_tokens == 256
    messages = [
        {"role": "system", "content": "you are friendly"},
        {"role": "user", "content": "what colour is the sky"},
    ]
    pieces = list(model.stream(messages, max_tokens=8, temperature=0.0))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert model.last_usage.prompt_tokens >= 6 and model.last_usage.completion_tokens >= 1  # the chat template ran
    again = list(model.stream(messages, max_tokens=8, temperature=0.0))
    assert again == pieces  # greedy: the same answer twice


def test_a_model_without_a_chat_template_is_refused(local_model_root):
    folder = tiny_causal_lm(local_model_root / "tiny-base", chat_template=None)
    with pytest.raises(ModelUnavailable, match="not an instruction model"):
        lm.load_transformers(str(folder), "local:tiny-base", "tiny base")


def test_a_folder_outside_the_allowed_roots_is_refused(tmp_path):
    with pytest.raises(UserError, match="Local model folders"):
        local_model_folder(tmp_path, "config.json", "a causal language model")
