"""The bundled composer, end to end on real renders (SoundFont, librosa, mido), no mocks.

Music-likeness is checked with measurements that need no classifier: a clear key
(chroma against key profiles) and a clear beat (onset autocorrelation), compared with real
LibriVox speech measured the same way. The YAMNet check lives in test_compose_yamnet.py.
"""

from __future__ import annotations

import mido
import numpy as np
import pytest
import soundfile as sf

from conftest import LIBRIVOX
from pipelines.compose import COMPOSER, ComposeOptions, check_request, compose, normalize_loudness
from pipelines.core.audio import load_audio
from pipelines.core.registry import ModelUnavailable
from pipelines.dsp import music as music_check
from pipelines.engines.rule_composer import DRUM_CHANNEL, compose_piece, plan_from_prompt
from pipelines.engines.soundfont import render_piece

PROMPTS = ["calm lo-fi piano", "upbeat synth pop", "sad strings", "epic orchestral with drums"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("compose")
    return {p: compose(p, 20, COMPOSER, ComposeOptions(seed=7), out) for p in PROMPTS}


@pytest.fixture(scope="module")
def speech_heard():
    heard = []
    for wav in sorted(LIBRIVOX.glob("*.wav")):
        a = load_audio(wav)
        heard.append(music_check.listen(a.mono, a.sr))
    assert heard, "LibriVox test clips missing"
    return heard


def _load(result):
    y, sr = sf.read(result.wav_path, dtype="float32", always_2d=True)
    return y.T, sr


def test_results_are_music_not_speech(results, speech_heard):
    """Tonal and pulsed like music; the same measures on real speech stay low."""
    max_speech_key = max(h.key_score for h in speech_heard)
    max_speech_pulse = max(h.pulse for h in speech_heard)
    assert max_speech_key < 0.6 and max_speech_pulse < 0.3
    for prompt, r in results.items():
        y, sr = _load(r)
        heard = music_check.listen(y, sr)
        assert heard.key_score > max(0.65, max_speech_key + 0.15), prompt
        if r.piece.plan.drums:
            assert heard.pulse > max_speech_pulse + 0.2, prompt


def test_tempo_heard_matches_tempo_chosen(results):
    for prompt, r in results.items():
        y, sr = _load(r)
        assert music_check.tempo_matches(music_check.estimate_tempo(y, sr), r.piece.plan.bpm), prompt


def test_different_prompts_measurably_different():
    """Explicit tempi and keys come out of the audio as librosa hears them."""
    a_piece = compose_piece("upbeat synth pop 128 bpm in A major", 20, 3)
    b_piece = compose_piece("sad strings with drums 70 bpm in D minor", 20, 3)
    a_audio, sr = render_piece(a_piece)
    b_audio, _ = render_piece(b_piece)
    a, b = music_check.listen(a_audio, sr), music_check.listen(b_audio, sr)
    assert (a_piece.plan.bpm, a_piece.plan.key_name) == (128, "A major")
    assert (b_piece.plan.bpm, b_piece.plan.key_name) == (70, "D minor")
    assert music_check.tempo_matches(a.bpm, 128) and music_check.tempo_matches(b.bpm, 70)
    assert abs(a.bpm - b.bpm) > 10
    assert a.key_name == "A major" and b.key_name == "D minor"
    # and the timbre differs: synth pop is brighter than sad strings
    import librosa

    centroid = [float(np.median(librosa.feature.spectral_centroid(y=x.mean(0), sr=sr))) for x in (a_audio, b_audio)]
    assert centroid[0] > 1.2 * centroid[1]


def test_prompt_words_steer_the_plan():
    lofi = plan_from_prompt("calm lo-fi piano", 0)
    assert lofi.style.name == "lo-fi" and lofi.lead == 0 and lofi.drums
    pop = plan_from_prompt("upbeat synth pop", 0)
    assert pop.style.name == "pop" and pop.lead == 81 and pop.bpm >= 120
    sad = plan_from_prompt("sad strings", 0)
    assert sad.mode == "minor" and sad.lead == 48 and not sad.drums and sad.bpm <= 75
    epic = plan_from_prompt("epic orchestral with drums", 0)
    assert epic.style.name == "orchestral" and epic.drums
    assert not plan_from_prompt("rock without drums", 0).drums
    assert plan_from_prompt("rock guitar", 0).lead == 29  # electric, in a rock context


def test_same_seed_same_audio_other_seed_other_audio(tmp_path):
    a = compose("happy folk guitar", 8, COMPOSER, ComposeOptions(seed=11), tmp_path / "a")
    b = compose("happy folk guitar", 8, COMPOSER, ComposeOptions(seed=11), tmp_path / "b")
    c = compose("happy folk guitar", 8, COMPOSER, ComposeOptions(seed=12), tmp_path / "c")
    ya, yb, yc = _load(a)[0], _load(b)[0], _load(c)[0]
    assert np.array_equal(ya, yb)
    assert a.midi_path.read_bytes() == b.midi_path.read_bytes()
    assert ya.shape != yc.shape or not np.allclose(ya, yc, atol=1e-3)


def test_random_seed_is_reported_and_repeatable(tmp_path):
    first = compose("jazz", 5, COMPOSER, ComposeOptions(seed=-1), tmp_path / "a")
    assert first.seed >= 0 and f"**Seed:** {first.seed}" in first.description
    again = compose("jazz", 5, COMPOSER, ComposeOptions(seed=first.seed), tmp_path / "b")
    assert np.array_equal(_load(first)[0], _load(again)[0])


def test_midi_parses_and_matches_the_piece(results):
    r = results["epic orchestral with drums"]
    mid = mido.MidiFile(r.midi_path)
    assert mid.type == 1
    tempos = [m.tempo for m in mid.tracks[0] if m.type == "set_tempo"]
    assert tempos and abs(mido.tempo2bpm(tempos[0]) - r.piece.plan.bpm) < 0.01
    assert abs(mid.length - r.seconds) < 0.05
    notes = {p.channel: len(p.notes) for p in r.piece.parts}
    for track in mid.tracks[1:]:
        ons = [m for m in track if m.type == "note_on" and m.velocity > 0]
        assert ons and len(ons) == notes[ons[0].channel]
    programs = {m.channel: m.program for t in mid.tracks for m in t if m.type == "program_change"}
    assert programs == {p.channel: p.program for p in r.piece.parts if p.channel != DRUM_CHANNEL}
    assert DRUM_CHANNEL in notes  # the drums are on General MIDI's percussion channel


def test_outputs_loudness_length_and_description(results):
    r = results["calm lo-fi piano"]
    y, sr = _load(r)
    assert sr == 44100 and y.shape[0] == 2 and abs(y.shape[1] / sr - 20) < 0.01
    assert abs(r.loudness_lufs - (-14.0)) < 0.5 and np.max(np.abs(y)) <= 10 ** (-1 / 20) + 1e-3
    assert r.figure_path.stat().st_size > 10_000
    for word in ("BPM", "Seed", "Instruments", "rule-based composer", "not a neural model", "Heard in the result"):
        assert word in r.description


def test_loudness_normalisation_reaches_target_with_peaks_limited():
    import pyloudnorm

    sr = 44100
    rng = np.random.default_rng(0)
    quiet = (0.01 * rng.standard_normal((2, sr * 3))).astype(np.float32)
    quiet[:, ::4410] = 0.9  # spiky: plain gain would be stopped by these peaks
    out, lufs = normalize_loudness(quiet, sr)
    measured = pyloudnorm.Meter(sr).integrated_loudness(out.T.astype(np.float64))
    assert abs(measured - (-14)) < 0.5 and abs(lufs - measured) < 0.01
    assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-6


@pytest.mark.parametrize(
    "prompt, seconds, engine, message",
    [
        ("", 10, COMPOSER, "Describe the music"),
        ("   ", 10, COMPOSER, "Describe the music"),
        ("x" * 501, 10, COMPOSER, "under 500"),
        ("calm", 0.2, COMPOSER, "between 1 and 120"),
        ("calm", 500, COMPOSER, "between 1 and 120"),
        ("calm", float("nan"), COMPOSER, "out of range"),
        ("calm", "ten", COMPOSER, "number of seconds"),
        ("calm", 45, "musicgen-small", "between 1 and 30"),
    ],
)
def test_bad_requests_say_what_to_change(prompt, seconds, engine, message):
    with pytest.raises(ValueError, match=message):
        check_request(prompt, seconds, engine)


def tiny_folder_like(tmp_path):
    """A folder that looks like a saved MusicGen (config only): enough to reach the settings check."""
    folder = tmp_path / "musicgen-like"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "musicgen"}')
    return str(folder)


def test_unknown_engine_hub_offline_and_melody_on_composer(tmp_path, monkeypatch):
    from pipelines.core import hub

    with pytest.raises(ValueError, match="Unknown engine"):
        compose("calm", 5, "no-such-engine", out_dir=tmp_path)
    monkeypatch.setattr(hub, "_status", hub.HubStatus(False, "test: no network"))
    with pytest.raises(ModelUnavailable, match="needs the model hub.*bundled composer"):
        compose("calm", 5, "musicgen-small", out_dir=tmp_path)
    monkeypatch.delenv("AUDIO_STUDIO_MODEL_DIRS", raising=False)
    with pytest.raises(ValueError, match="read only from the folders"):  # before its config is read
        compose("calm", 5, tiny_folder_like(tmp_path), out_dir=tmp_path)
    monkeypatch.setenv("AUDIO_STUDIO_MODEL_DIRS", str(tmp_path))  # local model folders are read only from there
    with pytest.raises(ValueError, match="Temperature must be between"):
        compose("calm", 5, tiny_folder_like(tmp_path), ComposeOptions(temperature=0.0), tmp_path)
    melody = (np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(ValueError, match="does not follow a melody"):
        compose("calm", 5, COMPOSER, ComposeOptions(melody=melody), tmp_path)


def test_the_check_says_what_a_disagreement_means():
    """Issue 13: "70 BPM" beside "about 136 BPM" and "E major" beside "key B major" read as
    contradictions; the check says a double tempo or a neighbouring key agrees or nearly does."""
    from pipelines.compose import check_words

    e_major, b_major = 4, 11
    line = check_words(
        70, e_major, "major", dict(heard_bpm=136.0, heard_key="B major", heard_tonic=b_major, heard_mode="major")
    )
    assert "double the 70 BPM written" in line and "agrees" in line and "near miss" in line
    same = check_words(128, 9, "major", dict(heard_bpm=129.2, heard_key="A major", heard_tonic=9, heard_mode="major"))
    assert "as written" in same and "does not match" not in same and "differs" not in same
    wrong = check_words(100, 0, "major", dict(heard_bpm=81.0, heard_key="F# minor", heard_tonic=6, heard_mode="minor"))
    assert "does not match" in wrong and "differs" in wrong


def test_a_composed_piece_describes_its_check_in_words(tmp_path):
    r = compose("jazz in E major", 10, COMPOSER, ComposeOptions(seed=3), tmp_path)
    assert "**Heard in the result**" in r.description and "Measured by librosa" not in r.description
