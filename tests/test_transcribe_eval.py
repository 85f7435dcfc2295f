"""Evaluate on a set (/evaluate_transcription) and the wav2vec2 CTC engine, through the app's API.

Real clips with known texts: the LibriVox sentences of tests/data/librivox (each with its .txt)
and the example clip of assets/examples. A correct reference must give a low WER, a wrong one a
high WER, and the wrong one is listed first. The dataset path is tested with a local dataset
folder read by ``datasets`` in streaming mode exactly as a hub dataset is: that proves the
wiring (streaming, columns, decoding, evaluation), not that any hub dataset reads. The wav2vec2
test uses a TINY RANDOM model: it proves the wiring, never quality.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES, LIBRIVOX, librivox_clips
from pipelines.core.errors import UserError
from pipelines.transcribe.evaluate import EvalOptions, Pair, evaluate_pairs, pairs_from_files

WRONG = "the quick brown fox jumps over the lazy dog while seven zebras sing loudly"


def run(client, files, **kw):
    kw.setdefault("language", "en")  # tiny.en: the fastest bundled model
    return client.predict([handle_file(str(f)) for f in files], api_name="/evaluate_transcription", **kw)


def table(result) -> list[list]:
    return result[1]["data"]


@pytest.fixture(scope="module")
def clips():
    return librivox_clips()[:3]


def test_zip_with_txt_beside_each_clip_gives_rates_worst_first_and_a_csv(client, clips, tmp_path):
    z = tmp_path / "my set.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for wav, text in clips:
            zf.write(wav, f"clips/{wav.name}")
            zf.writestr(f"clips/{wav.stem}.txt", text)
        zf.write(EXAMPLES / "speech_librivox.wav", "clips/example.wav")
        zf.writestr("clips/example.txt", WRONG)  # a wrong reference
        zf.writestr("clips/no_reference.wav", (LIBRIVOX / clips[0][0].name).read_bytes())
    result = run(client, [z])
    rows = table(result)
    assert len(rows) == 4
    by_name = {r[0]: r for r in rows}
    assert rows[0][0] == "clips/example.wav" and float(rows[0][1]) > 0.8, rows[0]  # the wrong one, first
    for wav, _ in clips:
        assert float(by_name[f"clips/{wav.name}"][1]) < 0.3, by_name[f"clips/{wav.name}"]
    assert [float(r[1]) for r in rows] == sorted((float(r[1]) for r in rows), reverse=True)
    assert "Overall WER" in result[0] and "Whisper tiny.en" in result[0]
    csv_path = result[2]
    assert csv_path.endswith("my_set-wer.csv")
    with open(csv_path, newline="") as fh:
        got = list(csv.reader(fh))
    assert got[0][:3] == ["clip", "WER", "CER"] and got[-1][0] == "OVERALL" and len(got) == 6


def test_csv_with_the_audio_uploaded_together(client, clips, tmp_path):
    sheet = tmp_path / "refs.csv"
    with open(sheet, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "text"])
        w.writerow([clips[0][0].name, clips[0][1]])
        w.writerow([clips[1][0].name, WRONG])
    rows = table(run(client, [sheet, clips[0][0], clips[1][0]]))
    assert [r[0] for r in rows] == [clips[1][0].name, clips[0][0].name]
    assert float(rows[0][1]) > 0.8 and float(rows[1][1]) < 0.3
    # A CSV naming a file that was not uploaded says which.
    with open(sheet, "a", newline="") as fh:
        csv.writer(fh).writerow(["missing_clip.wav", "some words"])
    with pytest.raises(AppError, match="not uploaded: 'missing_clip.wav'"):
        run(client, [sheet, clips[0][0], clips[1][0]])


def test_bad_sets_are_clear_messages(client, clips, tmp_path):
    z = tmp_path / "nopairs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(clips[0][0], "a.wav")
        zf.writestr("b.txt", "words for a clip that is not there")
    with pytest.raises(AppError, match="No clip has a reference text"):
        run(client, [z])
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(b"%PDF-1.4 not audio")
    # the upload widget's own file-type check, or the pipeline's (API callers bypass neither)
    with pytest.raises(AppError, match="'notes.pdf' is not an audio file|Invalid file type"):
        run(client, [pdf, clips[0][0]])
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"this is not audio at all" * 100)
    (tmp_path / "fake.txt").write_text("some words")
    with pytest.raises(AppError, match="'fake.wav'"):
        run(client, [fake, tmp_path / "fake.txt"])
    with pytest.raises(AppError, match="Upload the clips"):
        client.predict([], api_name="/evaluate_transcription")
    # the server keeps serving
    assert len(table(run(client, [clips[0][0], _txt(tmp_path, clips[0])]))) == 1


def _txt(folder, clip):
    path = folder / f"{clip[0].stem}.txt"
    path.write_text(clip[1])
    return path


def test_too_many_or_too_long_clips_are_refused(clips, tmp_path):
    from pipelines.core.audio_stream import open_mono

    pairs, _ = pairs_from_files([c[0] for c in clips] + [_txt(tmp_path, c) for c in clips], tmp_path, 1e9)
    assert len(pairs) == 3
    with pytest.raises(UserError, match="at most 2 are evaluated"):
        evaluate_pairs(pairs, lambda p, left: ("", 1.0, ""), options=EvalOptions(max_clips=2))

    def length_only(pair, left):
        clip = open_mono(pair.audio, 16000, max_seconds=left)  # as the tab does: the seconds left
        return "words", clip.duration, "test"

    with pytest.raises(UserError, match="'sense_and_sensibility.*long"):
        evaluate_pairs(pairs, length_only, max_total_seconds=9.0)
    with pytest.raises(UserError, match="reference text of 'x' is empty"):
        evaluate_pairs([Pair("x", clips[0][0], " . ")], length_only)


def test_zip_bombs_are_bounded(clips, tmp_path):
    z = tmp_path / "big.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "a" * 2_000_000)
        zf.write(clips[0][0], "a.wav")
    with pytest.raises(UserError, match="unpacks to more than 1 MB"):
        pairs_from_files([z], tmp_path, 1e6)


def test_dataset_read_in_streaming_mode_from_a_local_folder(client, clips, local_model_root):
    """Wiring only: a local dataset folder (audio + metadata.csv) through datasets' streaming
    reader, the same calls a hub dataset id goes through."""
    folder = local_model_root / "tiny-dataset"
    folder.mkdir(exist_ok=True)
    with open(folder / "metadata.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file_name", "sentence"])
        for k, (wav, text) in enumerate(clips):
            shutil.copy(wav, folder / wav.name)
            w.writerow([wav.name, text if k else WRONG])
    result = client.predict(
        [],
        dataset=str(folder),
        dataset_split="train",
        dataset_items=2,
        language="en",
        api_name="/evaluate_transcription",
    )
    rows = table(result)
    assert len(rows) == 2 and rows[0][0] == f"0: {clips[0][0].name}" and float(rows[0][1]) > 0.8
    assert float(rows[1][1]) < 0.3
    assert result[2].endswith("tiny-dataset-wer.csv")


def test_a_hub_dataset_without_the_hub_says_so(client):
    with pytest.raises(AppError, match="cannot be read: the model hub is not reachable"):
        client.predict([], dataset="openslr/librispeech_asr", api_name="/evaluate_transcription")


@pytest.fixture(scope="module")
def tiny_wav2vec2(local_model_root):
    """A randomly initialised Wav2Vec2ForCTC (2 layers, width 32) with a 10-letter vocabulary."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder = local_model_root / "tiny-wav2vec2"
    folder.mkdir(exist_ok=True)
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate("etaoinshrd")}}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, return_attention_mask=False)
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        conv_dim=(16, 16, 16, 16, 16, 16, 16),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
    )
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def test_tiny_random_wav2vec2_runs_through_transcribe(client, tiny_wav2vec2):
    """Wiring only (a random model's letters are noise): a local CTC folder answers /transcribe
    and /evaluate_transcription through the registry and the wav2vec2 engine."""
    out = client.predict(
        handle_file(str(EXAMPLES / "speech_librivox.wav")), model=str(tiny_wav2vec2), api_name="/transcribe"
    )
    assert "wav2vec2 from tiny-wav2vec2 (local folder, CTC)" in out[1]
    assert out[0] and set(out[0].lower().replace("<unk>", "")) <= set("etaoinshrd "), out[0]  # its 10 letters
    result = client.predict(
        [handle_file(str(LIBRIVOX / (librivox_clips()[1][0].name))), handle_file(str(_stub_txt(tiny_wav2vec2)))],
        model=str(tiny_wav2vec2),
        api_name="/evaluate_transcription",
    )
    assert len(table(result)) == 1 and "local folder, CTC" in result[0]


def _stub_txt(folder):
    clip, text = librivox_clips()[1]
    path = folder.parent / f"{clip.stem}.txt"
    path.write_text(text)
    return path


def test_wav2vec2_hub_model_is_offered_but_unavailable_offline(client):
    from pipelines.transcribe import hub_model_keys, model_choices

    labels = {key: label for label, key in model_choices()}
    assert "wav2vec2-hub-base-960h" in labels and "wav2vec2-hub-base-960h" in hub_model_keys()
    with pytest.raises(AppError, match="wav2vec2 base-960h .* is not available"):
        client.predict(
            handle_file(str(EXAMPLES / "speech_librivox.wav")), model="wav2vec2-hub-base-960h", api_name="/transcribe"
        )
