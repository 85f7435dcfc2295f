"""Hub engines without a hub: a tiny randomly initialised AST, built and saved locally, through the app's API.

These models are random: the tests prove the wiring (the same ``transformers.pipeline`` code
path the hub models take, the model folder, labels, errors), not any quality.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES, TINY_LABELS, build_tiny_ast


def build_tiny_text_model(path):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    BertForSequenceClassification(
        BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20)
    ).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_ast(model_root):
    return build_tiny_ast(model_root / "tiny-ast")


def test_tiny_random_ast_runs_through_the_hub_code_path(client, tiny_ast):
    """Wiring only: a random AST's labels come back through /classify, with the engine named."""
    labels, summary, image, csv_path = client.predict(
        handle_file(str(EXAMPLES / "speech_librivox.wav")),
        task="custom",
        model_id=str(tiny_ast),
        top_k=3,
        api_name="/classify",
    )
    got = [c["label"] for c in labels["confidences"]]
    assert len(got) == 3 and set(got) <= set(TINY_LABELS)
    assert sum(c["confidence"] for c in labels["confidences"]) <= 1.0 + 1e-6
    assert "local model 'tiny-ast'" in summary and image is None and csv_path is None
    # A seed task given a model id runs that model instead (at 44.1 kHz input: resampled to the model's 16 kHz).
    labels, *_ = client.predict(
        handle_file(str(EXAMPLES / "drum_loop.wav")), task="keywords", model_id=str(tiny_ast), api_name="/classify"
    )
    assert labels["label"] in TINY_LABELS


def test_non_audio_model_is_a_clear_message(client, model_root):
    text_model = build_tiny_text_model(model_root / "tiny-bert")
    with pytest.raises(AppError, match="is a bert model, not a model for audio-classification"):
        client.predict(
            handle_file(str(EXAMPLES / "speech_librivox.wav")),
            task="custom",
            model_id=str(text_model),
            api_name="/classify",
        )
    with pytest.raises(AppError, match="no config.json"):
        client.predict(
            handle_file(str(EXAMPLES / "speech_librivox.wav")),
            task="custom",
            model_id=str(model_root),
            api_name="/classify",
        )
