"""MusicGen through the app's own code path, on TINY RANDOMLY INITIALISED models.

These models are built here from configs (a T5 text encoder with a Unigram T5 tokenizer, a
tiny EnCodec, a one-layer decoder) and saved to a folder, which the app accepts as an
engine exactly where it would take ``facebook/musicgen-small``. They prove the WIRING only
(tokenise -> generate with sampling settings and seed -> decode -> loudness -> files ->
API), never the musical quality: their output is noise-like by construction.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES

WORDS = "music piano calm lofi upbeat synth pop sad strings epic orchestral drums with a and the".split()


def build_tiny_musicgen(out_dir, melody: bool = False) -> str:
    """Save a tiny random MusicGen (or MusicGen melody) with its tokenizer to ``out_dir``."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenMelodyConfig,
        MusicgenMelodyDecoderConfig,
        MusicgenMelodyForConditionalGeneration,
        T5Config,
        T5Tokenizer,
    )

    torch.manual_seed(0)
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [("▁" + w, -3.0) for w in WORDS] + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz"]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    text = T5Config(vocab_size=len(vocab), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2)
    audio = EncodecConfig(
        sampling_rate=32000,
        audio_channels=1,
        num_filters=4,
        hidden_size=16,
        codebook_size=32,
        upsampling_ratios=[8, 5, 4, 4],
        target_bandwidths=[2.2],
        num_lstm_layers=1,
        codebook_dim=16,
    )
    decoder_cls = MusicgenMelodyDecoderConfig if melody else MusicgenDecoderConfig
    decoder = decoder_cls(
        vocab_size=32,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        num_codebooks=audio.num_quantizers,
        max_position_embeddings=2048,
        pad_token_id=32,
        bos_token_id=32,
        decoder_start_token_id=32,
    )
    parts = dict(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(), decoder=decoder.to_dict())
    if melody:
        model = MusicgenMelodyForConditionalGeneration(MusicgenMelodyConfig(**parts, num_chroma=12, chroma_length=235))
    else:
        model = MusicgenForConditionalGeneration(MusicgenConfig(**parts))
    gen = model.generation_config
    gen.decoder_start_token_id = gen.pad_token_id = 32
    gen.do_sample, gen.guidance_scale, gen.max_length = True, 3.0, 1600
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    if melody:  # what the hub's melody model ships; read as JSON (its class needs torchaudio)
        (out_dir / "preprocessor_config.json").write_text(
            json.dumps(
                {
                    "feature_extractor_type": "MusicgenMelodyFeatureExtractor",
                    "n_fft": 16384,
                    "hop_length": 4096,
                    "chunk_length": 30,
                    "sampling_rate": 32000,
                    "feature_size": 12,
                }
            )
        )
    return str(out_dir)


@pytest.fixture(scope="module")
def tiny_models(local_model_root):
    root = local_model_root / "tiny-musicgen"  # inside AUDIO_STUDIO_MODEL_DIRS: the app may read it
    return {"plain": build_tiny_musicgen(root / "plain"), "melody": build_tiny_musicgen(root / "melody", melody=True)}


def test_tiny_musicgen_runs_end_to_end_through_the_api(client, tiny_models):
    """Wiring only: the local folder is used as the engine, like a hub model would be."""
    wav, midi, picture, description = client.predict(
        "calm lofi piano",
        duration=1.5,
        engine=tiny_models["plain"],
        seed=3,
        temperature=0.9,
        top_k=20,
        top_p=0.9,
        guidance_scale=2.0,
        api_name="/compose",
    )
    y, sr = sf.read(wav)
    assert sr == 32000 and abs(len(y) / sr - 1.5) < 0.01 and np.isfinite(y).all() and np.abs(y).max() > 0
    assert midi is None  # MusicGen makes audio, not notes
    assert picture.endswith(".png")
    assert "local folder: MusicGen from local folder plain" in description and "top-k 20" in description
    again = client.predict(
        "calm lofi piano",
        duration=1.5,
        engine=tiny_models["plain"],
        seed=3,
        temperature=0.9,
        top_k=20,
        top_p=0.9,
        guidance_scale=2.0,
        api_name="/compose",
    )
    assert np.array_equal(y, sf.read(again[0])[0])  # same seed, same audio


def test_tiny_musicgen_melody_follows_an_uploaded_melody(client, tiny_models):
    """Wiring only: the melody's chroma reaches the melody model's generate()."""
    out = client.predict(
        "epic strings",
        duration=1.0,
        engine=tiny_models["melody"],
        seed=1,
        melody=handle_file(str(EXAMPLES / "c_major_chord.wav")),
        api_name="/compose",
    )
    assert sf.info(out[0]).duration == pytest.approx(1.0, abs=0.01)
    assert "following the given melody" in out[3]
    with pytest.raises(AppError, match="not an audio file"):
        client.predict(
            "epic", duration=1.0, engine=tiny_models["melody"], melody=handle_file(__file__), api_name="/compose"
        )
    with pytest.raises(AppError, match="Only the MusicGen melody model follows a melody"):
        client.predict(
            "epic",
            duration=1.0,
            engine=tiny_models["plain"],
            melody=handle_file(str(EXAMPLES / "c_major_chord.wav")),
            api_name="/compose",
        )


def test_melody_chroma_matches_the_played_pitch(tiny_models):
    """The chroma conditioning (our torch.stft version of the extractor) marks A for an A440 sine."""
    from pipelines.core.registry import REGISTRY
    from pipelines.engines import musicgen

    m = REGISTRY.get(musicgen.model_key(tiny_models["melody"]))
    sr = 32000
    y = 0.5 * np.sin(2 * np.pi * 440 * np.arange(3 * sr) / sr).astype(np.float32)
    chroma = musicgen.melody_chroma(m, y, sr)[0].numpy()
    assert chroma.shape == (235, 12) and np.all(chroma.sum(1) == 1)
    # transformers' chroma bank puts A at index 0 (librosa's base_c=False ordering)
    first_frames = chroma[2:20].argmax(1)
    assert (first_frames == first_frames[0]).all()
    expected = int(np.argmax(m.chroma_filters[:, int(round(440 * m.n_fft / sr))]))
    assert first_frames[0] == expected


def test_progress_follows_generated_seconds(tiny_models):
    from pipelines.engines import musicgen

    seen = []
    musicgen.generate(
        musicgen.model_key(tiny_models["plain"]),
        "calm",
        1.0,
        musicgen.SamplingOptions(seed=0),
        progress=lambda share, desc: seen.append((share, desc)),
    )
    shares = [s for s, _ in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0 and len(shares) >= 5
    assert seen[-1][1] == "MusicGen: 1.0 s of 1.0 s generated"


def test_a_musicgen_folder_outside_the_allowed_roots_is_refused(tmp_path, local_model_root):
    """The API must not read any server path a visitor names: only AUDIO_STUDIO_MODEL_DIRS."""
    from pipelines.engines import musicgen

    (tmp_path / "config.json").write_text('{"model_type": "musicgen"}')
    with pytest.raises(ValueError, match="only from the folders"):
        musicgen.model_key(str(tmp_path))
