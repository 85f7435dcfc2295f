"""What the tabs used to do themselves (availability checks, voice-id parsing, result
(de)serialisation, form parsing) now sits in the pipelines: unit tests reach it without Gradio."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pipelines import diarize as dz
from pipelines import speak as sp
from pipelines import transcribe as tr
from pipelines.core.errors import UserError
from pipelines.engines.tts import ENGINES, PIPER_VOICE_ID, TTSEngine, Voice
from pipelines.visualize import params_from_form

# --- Speak: one interface for every engine -----------------------------------------------


def test_every_engine_implements_the_interface_with_its_own_options():
    seen_fields = {}
    for key, engine in ENGINES.items():
        assert isinstance(engine, TTSEngine) and engine.key == key
        assert type(engine).voices is not TTSEngine.voices and type(engine).synthesize is not TTSEngine.synthesize
        assert dataclasses.is_dataclass(engine.Options)
        names = {f.name for f in dataclasses.fields(engine.Options)}
        for other in seen_fields:
            assert engine.Options is not ENGINES[other].Options
        seen_fields[key] = names
        assert engine.default_voice.startswith(key + ":")
    assert seen_fields["piper"] == {"length_scale", "noise_scale", "noise_w"}
    assert seen_fields["espeak"] == {"pitch"} and seen_fields["edge"] == {"rate", "volume", "pitch"}
    assert sp.SpeakOptions().for_engine("piper") == ENGINES["piper"].Options()


def test_online_engine_offline_is_unavailable_and_its_known_voices_resolve():
    edge = ENGINES["edge"]
    ok, reason = edge.availability(offline=True)
    assert not ok and "offline" in reason
    voice = edge.find_voice("edge:en-US-AriaNeural", offline=True)
    assert voice is not None and voice.language == "en-US"
    assert edge.find_voice("edge:xx-Nope-Nobody", offline=True).short_id == "xx-Nope-Nobody"  # well-formed: stands
    assert edge.find_voice("edge:nonsense", offline=True) is None
    assert sp.unreachable_warning("edge", offline=True).startswith("Online voices are not reachable")
    assert sp.unreachable_warning("piper", offline=True) is None


def test_engines_and_online_status_lines_name_every_engine():
    md = sp.engines_markdown(offline=True)
    for engine in ENGINES.values():
        assert engine.title in md
    assert "not available" in md  # the online engine, offline
    assert "not available here" in sp.online_markdown(offline=True)


def test_voice_id_parsing_and_choice():
    assert sp.engine_of_voice("espeak:ko") == "espeak"
    assert sp.engine_of_voice("nobody:x") is None and sp.engine_of_voice("") is None
    # the form's initial (Piper) voice sent with another engine: that engine's default instead
    assert sp.requested_voice("espeak", PIPER_VOICE_ID) == ("espeak", "")
    assert sp.requested_voice("", "") == (sp.DEFAULT_ENGINE, "")
    assert sp.requested_voice("piper", PIPER_VOICE_ID) == ("piper", PIPER_VOICE_ID)
    voices = [
        Voice("espeak:fr", "espeak", "fr", "fr", "French", "male"),
        Voice("espeak:en-us", "espeak", "en-us", "en-US", "English", "male"),
    ]
    assert sp.pick_voice("espeak", voices, "espeak:fr") == "espeak:fr"  # still listed: kept
    assert sp.pick_voice("espeak", voices, "gone") == "espeak:en-us"  # the engine's default
    assert sp.pick_voice("espeak", voices[:1], "gone") == "espeak:fr" and sp.pick_voice("edge", [], "") is None
    edge_voice = ENGINES["edge"].known_voices()[0]
    assert sp.voice_choice(edge_voice) == (f"{edge_voice.label()} [en-US-AriaNeural]", "edge:en-US-AriaNeural")
    assert sp.voice_rows([edge_voice])[0][-1] == ENGINES["edge"].title


def test_fallback_voice_comes_from_an_available_bundled_engine():
    english = sp.fallback_voice("en-US")
    assert not ENGINES[english.engine].online and english.primary_language == "en"
    if ENGINES["espeak"].availability()[0]:
        assert sp.fallback_voice("ko-KR").id == "espeak:ko"


def test_listening_check_needs_speech_and_text():
    with pytest.raises(UserError, match="Make some speech first"):
        sp.check_listening_request(None, "hello")
    with pytest.raises(UserError, match="no text to compare"):
        sp.check_listening_request("/tmp/x.wav", "  ")
    sp.check_listening_request("/tmp/x.wav", "hello")


# --- Diarize: the state kept for renaming --------------------------------------------------


def test_diarize_state_round_trips_and_renames():
    result = dz.DiarizationResult(
        [dz.Turn(0.0, 1.5, "SPEAKER_00"), dz.Turn(1.5, 3.0, "SPEAKER_01")], 3.0, 3.0, "bundled", "auto"
    )
    words = [dz.Word(0.1, 0.4, " hello", "SPEAKER_00")]
    outcome = dz.DiarizeOutcome(result, words, None, {}, 0.1)
    state = dz.outcome_state(outcome, "talk")
    import copy

    back, back_words = dz.result_from_state(copy.deepcopy(state))  # gr.State deep-copies it
    assert back == result and back_words == words and state["stem"] == "talk"
    given = dz.names_from_rows([["SPEAKER_00", "Ann"], ["SPEAKER_01", None]])
    assert given == {"SPEAKER_00": "Ann"}
    shown = dz.speaker_names(result.speakers, given)
    assert dz.name_rows(result, shown) == [["SPEAKER_00", "Ann"], ["SPEAKER_01", ""]]
    with pytest.raises(UserError, match="Find the speakers first"):
        dz.result_from_state(None)


# --- Transcribe: form values, comparisons, rows --------------------------------------------


def test_transcribe_form_values_become_options():
    o = tr.options_from_form("", None, "", "3", "0.2", 1, 0, None, False)
    assert (o.model, o.language, o.task) == (tr.AUTO, tr.AUTO, "transcribe")
    assert (o.beam_size, o.temperature, o.vad_filter, o.word_timestamps) == (3, 0.2, True, False)
    assert o.initial_prompt == "" and o.condition_on_previous_text is False


def test_reference_comparison_and_its_checks():
    assert tr.reference_comparison("", "anything") == ("", None)
    md, spans = tr.reference_comparison("the cat sat", "the cat sat down")
    assert "WER 33.3%" in md and spans
    with pytest.raises(UserError, match="Paste the reference"):
        tr.check_comparison_request("", "text")
    with pytest.raises(UserError, match="no transcript yet"):
        tr.check_comparison_request("ref", "")


def test_model_choices_list_bundled_models_first():
    choices = tr.model_choices()
    assert choices[0][1] == tr.AUTO
    keys = [k for _, k in choices]
    assert "whisper-tiny.en" in keys and "whisper-base" in keys
    assert isinstance(tr.hub_note(), str)


def test_transcript_rows_from_a_transcript(librivox_clip_16k):
    t = tr.transcribe(librivox_clip_16k, tr.TranscribeOptions(model="whisper-tiny.en", language="en"))
    assert tr.segment_rows(t) and len(tr.segment_rows(t)[0]) == 5
    assert [w for w, _ in tr.word_spans(t)] == [w.word for w in t.words]
    assert tr.word_rows(t)[0][2] == t.words[0].word.strip()
    assert (
        tr.language_scores(t) is None
    )  # tiny.en is English-only: nothing was detected, so nothing is shown as detected
    assert tr.info_markdown(t).startswith("**Engine:**")


# --- Visualize: form values ------------------------------------------------------------------


def test_visualize_form_values_become_params():
    p = params_from_form("1024", "256.0", "hann", 64, None, 0, 13, 0, "stft")
    assert (p.n_fft, p.hop_length, p.n_mels, p.fmin, p.fmax, p.cmvn) == (1024, 256, 64, 0.0, None, False)
    with pytest.raises(UserError, match="n_fft must be a whole number"):
        params_from_form("big", "512", "hann", 128, 0, 0, 13, False, "stft")


@pytest.fixture(scope="module")
def librivox_clip_16k():
    import soundfile as sf

    from pipelines.core.audio import resample_array

    wav = sorted((Path(__file__).parent / "data" / "librivox").glob("*.wav"))[0]
    y, sr = sf.read(str(wav), dtype="float32")
    return resample_array(np.asarray(y, np.float32)[: 8 * sr], sr, tr.SAMPLE_RATE)
