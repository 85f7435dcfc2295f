"""CLAP without a hub: a tiny randomly initialised CLAP, built and saved locally, through /zero_shot.

The model is random: the test proves the wiring (``pipeline("zero-shot-audio-classification")``,
the tokenizer, the feature extractor, the hypothesis template), not any quality.
"""

from __future__ import annotations

import pytest
from gradio_client import handle_file

from conftest import EXAMPLES, build_tiny_ast


def build_tiny_clap(path):
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, RobertaTokenizerFast

    torch.manual_seed(0)
    tok_dir = path / "tokenizer-src"
    tok_dir.mkdir(parents=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        ["This is a sound of a dog.", "This is a sound of vacuum cleaner.", "speech music birds"] * 5,
        vocab_size=300,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    bpe.save_model(str(tok_dir))
    tokenizer = RobertaTokenizerFast(vocab_file=str(tok_dir / "vocab.json"), merges_file=str(tok_dir / "merges.txt"))
    config = ClapConfig(
        text_config=dict(
            vocab_size=tokenizer.vocab_size + 5,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=37,
            max_position_embeddings=80,
            projection_dim=16,
        ),
        # spec_size 256 with 64 mel bins: the 1001-frame mel fits the Swin input (256 * 256 / 64 = 1024 frames)
        audio_config=dict(
            hidden_size=32,
            patch_embeds_hidden_size=16,
            depths=[1, 1],
            num_attention_heads=[2, 2],
            window_size=8,
            spec_size=256,
            num_mel_bins=64,
            projection_dim=16,
        ),
        projection_dim=16,
    )
    ClapModel(config).save_pretrained(path)
    fe = ClapFeatureExtractor(truncation="rand_trunc", padding="repeatpad")
    ClapProcessor(feature_extractor=fe, tokenizer=tokenizer).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_clap(model_root):
    return build_tiny_clap(model_root / "tiny-clap")


def test_tiny_random_clap_runs_through_the_hub_code_path(client, tiny_clap):
    """Wiring only: the typed labels come back as CLAP's softmax over them, engine named, not approximate."""
    labels = ["Sound of a dog", "Sound of vacuum cleaner", "Speech"]
    scores, summary, image, csv_path = client.predict(
        handle_file(str(EXAMPLES / "drum_loop.wav")),
        labels=", ".join(labels),
        engine="clap",
        model_id=str(tiny_clap),
        api_name="/zero_shot",
    )
    got = {c["label"]: c["confidence"] for c in scores["confidences"]}
    assert set(got) == set(labels)
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-4)  # a softmax over the labels
    assert "local model 'tiny-clap'" in summary and "approximate" not in summary
    assert image is None and csv_path is None
    # "auto" with a model given uses it too (no hub needed for a local folder).
    scores, summary, *_ = client.predict(
        handle_file(str(EXAMPLES / "speech_librivox.wav")),
        labels="a, b",
        model_id=str(tiny_clap),
        api_name="/zero_shot",
    )
    assert {c["label"] for c in scores["confidences"]} == {"a", "b"} and "tiny-clap" in summary


def test_an_audio_classifier_is_not_a_clap_model(client, model_root):
    ast = build_tiny_ast(model_root / "tiny-ast-for-zero-shot")
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="is a audio-spectrogram-transformer model, not a model for zero-shot"):
        client.predict(
            handle_file(str(EXAMPLES / "drum_loop.wav")), engine="clap", model_id=str(ast), api_name="/zero_shot"
        )
