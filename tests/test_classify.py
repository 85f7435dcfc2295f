"""Classify pipelines on known signals and real recordings: YAMNet front end, YAMNet, BirdNET, language."""

from __future__ import annotations

import csv
import shutil
import subprocess

import librosa
import numpy as np
import pytest

from conftest import EXAMPLES, LIBRIVOX
from pipelines import classify
from pipelines.core.audio import AudioInput, load_audio
from pipelines.core.registry import LOCAL_DIRS_ENV
from pipelines.dsp import synth as examples
from pipelines.engines import birdnet, hf_audio, yamnet

SR = yamnet.SAMPLE_RATE


def as_audio(y: np.ndarray, sr: int, name: str = "test.wav") -> AudioInput:
    return AudioInput(np.asarray(y, dtype=np.float32)[None, :], sr, "FLOAT", name)


def sine(freq: float, seconds: float, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


# --- front end against the published recipe, librosa and known signals ---------------------


def test_mel_filterbank_matches_librosa_htk():
    ours = yamnet.mel_filterbank()
    ref = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=125, fmax=7500, htk=True, norm=None)
    assert ours.shape == (64, 257)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    # The bands span 125-7500 Hz: nothing below the first edge or above the last.
    freqs = np.linspace(0, 8000, 257)
    assert not ours[:, freqs < 125].any() and not ours[:, freqs > 7500].any()


def test_magnitude_spectrogram_matches_librosa_stft():
    y = np.random.default_rng(0).standard_normal(SR).astype(np.float32)
    ours = yamnet.magnitude_spectrogram(y)
    # librosa centres the 400-sample window in the 512-sample frame: shift the signal to line them up.
    ref = np.abs(librosa.stft(np.pad(y, 56), n_fft=512, hop_length=160, win_length=400, window="hann", center=False)).T
    assert ours.shape == (1 + (SR - 400) // 160, 257) == (98, 257)
    np.testing.assert_allclose(ours, ref[: len(ours)], rtol=1e-3, atol=1e-3)


def test_log_mel_of_known_signals():
    silence = yamnet.log_mel_spectrogram(np.zeros(SR, np.float32))
    np.testing.assert_allclose(silence, np.log(0.001), atol=1e-6)  # the log offset, nothing else
    tone = yamnet.log_mel_spectrogram(sine(1000.0, 1.0))
    centres = yamnet.mel_to_hz(np.linspace(yamnet.hz_to_mel(125), yamnet.hz_to_mel(7500), 66))[1:-1]
    band = int(np.argmax(tone.mean(axis=0)))
    assert abs(centres[band] - 1000) < 70  # the loudest band is the one around 1 kHz
    # 1 kHz is exactly FFT bin 32: |X| = amplitude * sum(window) / 2 = 0.5 * 200 / 2 = 50.
    mag = yamnet.magnitude_spectrogram(sine(1000.0, 1.0))
    assert mag[:, 32].mean() == pytest.approx(50.0, rel=1e-3)
    # And the mel stage equals librosa's melspectrogram of the same magnitudes (power=1).
    ref = librosa.feature.melspectrogram(S=mag.T, sr=16000, n_mels=64, fmin=125, fmax=7500, htk=True, norm=None)
    np.testing.assert_allclose(tone, np.log(ref.T + 0.001), atol=1e-4)


@pytest.mark.parametrize("block_frames", [1, 7, 10, 97, 98, 1000])
def test_log_mel_in_blocks_equals_the_whole_signal_at_once(block_frames):
    """The front end works block_frames STFT frames at a time; the result is the whole-signal one."""
    y = np.random.default_rng(1).standard_normal(SR + 50).astype(np.float32)  # 98 frames and 90 samples over
    whole = np.log(yamnet.magnitude_spectrogram(y) @ yamnet.mel_filterbank().T + 0.001)  # no blocks
    assert whole.shape == (98, 64)
    blocks = yamnet.log_mel_spectrogram(y, block_frames=block_frames)
    assert blocks.shape == whole.shape and blocks.dtype == np.float32
    np.testing.assert_allclose(blocks, whole, rtol=1e-5, atol=1e-5)


def test_log_mel_default_blocks_on_a_clip_longer_than_one_block():
    y = np.random.default_rng(2).standard_normal((yamnet.BLOCK_FRAMES + 250) * yamnet.HOP_SAMPLES).astype(np.float32)
    default = yamnet.log_mel_spectrogram(y)
    assert len(default) > yamnet.BLOCK_FRAMES
    np.testing.assert_allclose(default, yamnet.log_mel_spectrogram(y, block_frames=len(default)), rtol=1e-5, atol=1e-5)


def test_log_mel_of_a_clip_shorter_than_one_frame():
    short = yamnet.log_mel_spectrogram(np.zeros(100, np.float32), block_frames=1)
    assert short.shape == (1, 64)
    np.testing.assert_allclose(short, np.log(0.001), atol=1e-6)


@pytest.mark.parametrize("seconds, patches", [(0.3, 1), (0.975, 1), (1.0, 2), (10.0, 20)])
def test_patches_follow_yamnet_padding(seconds, patches):
    p = yamnet.log_mel_patches(np.zeros(int(seconds * SR), np.float32))
    assert p.shape == (patches, 96, 64)


def test_quantisation_round_trip():
    x = np.linspace(-6.9, 5.3, 200, dtype=np.float32)
    back = (yamnet.quantize_patches(x).astype(np.float32) - yamnet.INPUT_ZERO_POINT) * yamnet.INPUT_SCALE
    assert np.max(np.abs(back - x)) <= yamnet.INPUT_SCALE / 2 + 1e-6
    assert yamnet.quantize_patches(np.array([-100.0, 100.0])).tolist() == [0, 255]  # saturates, never wraps


def test_class_map():
    names = yamnet.class_names()
    assert len(names) == 521 and names[0] == "Speech" and names[132] == "Music"


# --- YAMNet on real recordings ---------------------------------------------------------------


@pytest.mark.parametrize("wav", sorted(LIBRIVOX.glob("*.wav"))[:3], ids=lambda p: p.stem[-4:])
def test_speech_is_heard_as_speech(wav):
    r = classify.classify(load_audio(wav), "sound-events")
    assert r.top_label == "Speech" and r.labels["Speech"] > 0.8
    assert r.engine.startswith("offline: bundled YAMNet")


@pytest.mark.parametrize("make", ["drum_loop", "chord_progression"])
def test_music_is_heard_as_music(make):
    if make == "drum_loop":
        y = np.tile(examples.drum_loop(sr=16000), 2)
    else:  # C, F, G, C: the project's own chord synthesiser
        roots = [(261.63, 329.63, 392.0), (349.23, 440.0, 523.25), (392.0, 493.88, 587.33), (261.63, 329.63, 392.0)]
        y = np.concatenate([examples.chord(f, seconds=1.5, sr=16000) for f in roots])
    r = classify.classify(as_audio(y, 16000), "sound-events")
    assert r.top_label == "Music", r.labels
    assert "Speech" not in list(r.labels)[:2]


def test_silence_then_speech_shows_speech_only_in_second_half():
    speech = load_audio(EXAMPLES / "speech_librivox.wav", target_sr=SR).mono
    y = np.concatenate([np.zeros(len(speech), np.float32), speech])
    r = classify.classify(as_audio(y, SR), "sound-events", top_k=3)
    frames = r.frames
    mid = len(y) / SR / 2
    sp = frames.column("Speech")
    first = sp[frames.starts + frames.window_s <= mid]
    second = sp[(frames.starts >= mid + 0.5) & (frames.starts + frames.window_s <= len(y) / SR)]
    assert len(first) >= 10 and len(second) >= 10
    assert first.max() < 0.1, first
    assert np.median(second) > 0.8 and (second > 0.5).mean() > 0.8, second
    # The whole-clip score is the frame mean (YAMNet's way), so about half.
    assert 0.3 < r.labels["Speech"] < 0.7


def test_frames_csv_and_timeline(tmp_path):
    r = classify.classify(load_audio(EXAMPLES / "speech_librivox.wav"), "sound-events")
    path = classify.write_frames_csv(r.frames, tmp_path / "f.csv")
    rows = list(csv.reader(open(path)))
    assert rows[0][:3] == ["start_s", "end_s", "Speech"] and len(rows[0]) == 2 + 521
    assert len(rows) == 1 + len(r.frames.starts)
    assert (
        float(rows[1][0]) == 0.0
        and float(rows[2][0]) == pytest.approx(0.48)
        and float(rows[1][1]) == pytest.approx(0.96)
    )
    speech = np.array([float(x[2]) for x in rows[1:]])
    np.testing.assert_allclose(speech, r.frames.column("Speech"), atol=1e-4)
    fig = classify.plot_timeline(r.frames, "t", n=5)
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (5, len(r.frames.starts))
    np.testing.assert_allclose(shown[-1], r.frames.column("Speech"))  # strongest class on the top row
    assert fig.axes[0].get_yticklabels()[-1].get_text() == "Speech"
    png, csv_path = classify.write_timeline(r.frames, "t", tmp_path, "speech", "sound-events")
    assert png == tmp_path / "timeline-sound-events-speech.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert csv_path == tmp_path / "frames-sound-events-speech.csv"
    assert list(csv.reader(open(csv_path))) == rows  # the same CSV as write_frames_csv


# --- BirdNET -----------------------------------------------------------------------------------


def test_birdnet_chunks_and_labels():
    assert len(birdnet.species_labels()) == 6522
    assert birdnet.chunk(np.zeros(int(7.1 * 48000), np.float32)).shape == (3, 144000)  # 3 + 3 + 1.1 s
    assert birdnet.chunk(np.zeros(int(6.5 * 48000), np.float32)).shape == (2, 144000)  # a 0.5 s tail is dropped
    assert birdnet.chunk(np.zeros(48000, np.float32)).shape == (1, 144000)  # short clips still give one chunk


def test_birdnet_on_speech_hears_a_human_not_a_confident_bird():
    r = classify.classify(load_audio(EXAMPLES / "speech_librivox.wav"), "birds", top_k=10)
    assert r.frames.scores.shape == (3, 6522) and r.frames.starts.tolist() == [0.0, 3.0, 6.0]
    assert r.frames.hop_s == 3.0 and r.frames.pool == "max"
    assert "Human vocal" in r.labels
    assert max(r.labels.values()) < 0.5  # no species is claimed with confidence
    assert "non-commercial" in r.engine and not r.notes  # the licence once, with the engine (issue 13)


# --- spoken language ------------------------------------------------------------------------------


def test_language_of_librivox_is_english():
    r = classify.classify(load_audio(EXAMPLES / "speech_librivox.wav"), "language")
    assert r.top_label == "Spoken language: English (en)" and r.labels[r.top_label] > 0.9
    assert not r.notes


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian espeak-ng (installed by .ci/run)")
def test_language_of_spanish_speech_is_spanish(tmp_path):
    wav = tmp_path / "es.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "es",
            "-s",
            "140",
            "-w",
            str(wav),
            "Buenos días a todos. Hoy hace muy buen tiempo en Madrid y vamos a pasear por el parque "
            "con nuestros amigos.",
        ],
        check=True,
    )
    r = classify.classify(load_audio(wav), "language", top_k=3)
    assert r.top_label == "Spoken language: Spanish (es)", r.labels


def test_language_on_music_says_no_speech_was_heard():
    r = classify.classify(load_audio(EXAMPLES / "c_major_chord.wav"), "language")
    assert all(k.startswith("Spoken language: ") for k in r.labels)
    assert r.notes and "No speech" in r.notes[0]


# --- inputs -------------------------------------------------------------------------------------


def test_bundled_tasks_name_their_registry_models():
    from pipelines.core.registry import REGISTRY

    keys = {t.key: t.model_key for t in classify.TASKS}
    assert keys["sound-events"] == yamnet.MODEL_KEY and keys["birds"] == birdnet.MODEL_KEY
    assert keys["language"] == classify.LANGUAGE_MODEL_KEY
    for t in classify.TASKS:
        assert (t.model_key is None) == (t.kind == "hf"), t
        if t.model_key:
            assert REGISTRY.spec(t.model_key).key == t.model_key


def test_task_lookup_and_bad_options():
    assert classify.find_task("Sound-Events").kind == "yamnet"
    assert classify.find_task(classify.TASK_BY_KEY["birds"].title).key == "birds"
    with pytest.raises(ValueError, match="Unknown task"):
        classify.find_task("dance")
    audio = as_audio(sine(440, 1.0), SR)
    with pytest.raises(ValueError, match="Top-k"):
        classify.classify(audio, "sound-events", top_k=0)


@pytest.mark.parametrize(
    "model_id, message",
    [
        ("", "Enter a model id"),
        ("not a model id!", "is not a model id"),
        ("a/b/c/../../etc", "only from the folders"),
        ("/etc", "only from the folders"),
    ],
)
def test_bad_model_ids(model_id, message, monkeypatch):
    monkeypatch.delenv(LOCAL_DIRS_ENV, raising=False)
    with pytest.raises(ValueError, match=message):
        hf_audio.resolve_model(model_id, "audio-classification")


def test_a_folder_without_weights_is_the_users_to_fix_but_a_library_bug_is_not(model_root, monkeypatch):
    """Only a model the user named that cannot be loaded (or is of the wrong kind) is a UserError;
    an exception from inside the library (here a simulated KeyError) reaches the server log as it is."""
    import transformers

    from pipelines.core.errors import UserError
    from pipelines.core.registry import REGISTRY

    folder = model_root / "ast-config-only"
    folder.mkdir(exist_ok=True)
    transformers.ASTConfig(num_hidden_layers=1, hidden_size=32, num_attention_heads=2).save_pretrained(folder)
    spec = hf_audio.resolve_model(str(folder), "audio-classification")
    with pytest.raises(UserError, match="Could not load"):  # the config is fine, the weights are missing
        REGISTRY.get(spec.key)

    def broken(*args, **kwargs):
        raise KeyError("a bug inside the library")

    # AutoConfig is a class: patching its method reaches the loader whatever transformers' lazy imports do
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", broken)
    with pytest.raises(KeyError, match="a bug inside the library") as err:
        REGISTRY.get(spec.key)
    assert not isinstance(err.value, UserError)
    assert not REGISTRY.is_loaded(spec.key)


def test_hub_model_while_offline_is_a_clear_message(monkeypatch):
    from pipelines.core import hub
    from pipelines.core.registry import ModelUnavailable

    monkeypatch.setattr(hub, "_status", hub.HubStatus(False, "offline (test)", "offline"))
    with pytest.raises(ModelUnavailable, match="needs the model hub on the internet, which this server is set not"):
        classify.classify(as_audio(sine(440, 1.0), SR), "keywords")


def test_hub_models_hear_at_most_a_minute_resampled_to_their_rate():
    notes: list[str] = []
    long = as_audio(sine(440, hf_audio.HF_MAX_SECONDS + 5, sr=8000), 8000)
    x = hf_audio.hf_input(long, 16000, notes)
    assert x["sampling_rate"] == 16000 and len(x["raw"]) == int(hf_audio.HF_MAX_SECONDS * 16000)
    assert notes and "first 60 s" in notes[0]
    short = hf_audio.hf_input(as_audio(sine(440, 2.0, sr=8000), 8000), 16000, notes)
    assert len(short["raw"]) == 32000 and len(notes) == 1


def test_hub_note_says_why_hub_models_are_unavailable(monkeypatch):
    from pipelines.core import hub

    monkeypatch.setattr(hub, "_status", hub.HubStatus(False, "unreachable (test)", "unreachable"))
    assert "this server cannot reach it, so only the bundled models work" in classify.hub_note()
    monkeypatch.setattr(hub, "_status", hub.HubStatus(True, "reachable (test)", "reachable"))
    assert classify.hub_note().startswith("**Model hub:** reachable")


def test_odd_formats_stereo_96k_8bit_and_silence(tmp_path):
    import soundfile as sf

    speech = load_audio(EXAMPLES / "speech_librivox.wav", target_sr=96000).mono
    path = tmp_path / "stereo96k.wav"
    sf.write(path, np.stack([speech, 0.5 * speech], 1), 96000, subtype="PCM_U8")
    assert classify.classify(load_audio(path), "sound-events").top_label == "Speech"
    silent = load_audio((16000, np.zeros(32000, np.int16)))
    assert silent.warnings  # the entry point says it is silent ...
    r = classify.classify(silent, "sound-events")
    assert r.top_label == "Silence"  # ... and YAMNet agrees
