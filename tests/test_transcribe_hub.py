"""Hub and local-folder Whisper paths, run with a TINY RANDOMLY INITIALISED model.

These tests prove the wiring only (the same registry, loader, download/progress and decoding
code that a real hub size or a user's own model folder goes through), never quality: the
random model's words are noise. The model is a Whisper with 1 layer and width 32, built from a
config by transformers, converted to CTranslate2 int8 by ctranslate2's converter, and given the
real multilingual tokenizer and token ids of the bundled Whisper base.
"""

from __future__ import annotations

import json
import shutil

import pytest
from gradio_client import handle_file

from conftest import SPEECH_WAV
from pipelines.core import hub
from pipelines.core.audio import load_audio
from pipelines.core.registry import REGISTRY
from pipelines.engines import whisper as wm
from pipelines.transcribe import SAMPLE_RATE, TranscribeOptions, transcribe_stream

REVISION = "0" * 40
# A random decoder never ends a sentence: one temperature (no fallback retries), no word alignment.
FAST = dict(temperature=1.0, word_timestamps=False, vad_filter=False)


@pytest.fixture(scope="session")
def tiny_random_whisper(local_model_root):
    """A CTranslate2 Whisper folder with random weights (about 2 MB after int8)."""
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    root = local_model_root / "tiny-whisper"  # inside AUDIO_STUDIO_MODEL_DIRS: the app may read it
    root.mkdir(exist_ok=True)
    torch.manual_seed(0)
    cfg = WhisperConfig(
        vocab_size=51865,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_mel_bins=80,
        max_source_positions=1500,
        max_target_positions=448,
    )
    WhisperForConditionalGeneration(cfg).save_pretrained(root / "hf")
    base = wm.base_model_path()
    shutil.copy(base / "tokenizer.json", root / "hf" / "tokenizer.json")
    TransformersConverter(str(root / "hf"), copy_files=["tokenizer.json"]).convert(
        str(root / "ct2"), quantization="int8"
    )
    # Language and suppression token ids come from the real tokenizer (the converter takes them
    # from a generation config that a bare config lacks); alignment heads must exist in 1 layer.
    config = json.loads((base / "config.json").read_text())
    config["alignment_heads"] = [[0, 0], [0, 1]]
    (root / "ct2" / "config.json").write_text(json.dumps(config))
    return root / "ct2"


@pytest.fixture(scope="module")
def speech():
    return load_audio(SPEECH_WAV, target_sr=SAMPLE_RATE).mono[: SAMPLE_RATE * 3]


def test_local_folder_runs_the_same_pipeline(tiny_random_whisper, speech):
    updates = list(
        transcribe_stream(speech, TranscribeOptions(model=str(tiny_random_whisper), language="fr", beam_size=2, **FAST))
    )
    final = updates[-1]
    assert final.done and final.model_key == wm.LOCAL_PREFIX + str(tiny_random_whisper.resolve())
    assert "local folder" in final.engine and final.options_used["beam_size"] == 2
    assert final.options_used["language"] == "fr"


def test_hub_size_goes_through_download_and_load(tiny_random_whisper, speech, tmp_path, monkeypatch):
    """A hub size (here 'tiny') found in a Hugging Face cache: availability, fetch, progress, load."""
    from huggingface_hub import constants

    repo = tmp_path / ("models--" + wm.hub_repo_id("tiny").replace("/", "--"))
    snapshot = repo / "snapshots" / REVISION
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    (repo / "blobs").mkdir()
    for f in tiny_random_whisper.iterdir():
        shutil.copy(f, repo / "blobs" / f.name)
        (snapshot / f.name).symlink_to(repo / "blobs" / f.name)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # never the network, even if one is there
    monkeypatch.setattr(hub, "_status", hub.HubStatus(True, "huggingface.co reachable (test)"))
    REGISTRY.unload("whisper-hub-tiny")
    try:
        updates = list(transcribe_stream(speech, TranscribeOptions(model="tiny", language="en", **FAST)))
    finally:
        REGISTRY.unload("whisper-hub-tiny")
    final = updates[-1]
    assert final.done and final.model_key == "whisper-hub-tiny" and final.engine.startswith("model hub:")
    assert any(u.stage.startswith("loading Whisper tiny") for u in updates)
    assert wm.hub_download_bytes("tiny") > 0


def test_hub_fetch_failure_says_what_happened(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from pipelines.core.registry import ModelUnavailable

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelUnavailable, match="Could not fetch Whisper small from the model hub"):
        wm.fetch_hub_model("small")


def test_api_accepts_a_local_model_folder(client, tiny_random_whisper):
    out = client.predict(
        handle_file(str(SPEECH_WAV)), model=str(tiny_random_whisper), language="en", api_name="/transcribe", **FAST
    )
    assert "local folder" in out[1]


def test_a_folder_outside_the_allowed_roots_is_refused(tmp_path, local_model_root):
    """The API must not read any server path a visitor names: only AUDIO_STUDIO_MODEL_DIRS."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "model.bin").write_bytes(b"0")
    with pytest.raises(ValueError, match="only from the folders"):
        wm.register_local(outside)
