"""Issue 13, class 6: every file a tab's API returns is named after the input and the result,
never generically (``speech.wav``, ``audio.wav``, ``waveform.png``), and has content.

Every tab with downloads is here: the ones that take a sound are named after the sound's file; the
ones that make something from words (Speak, Compose, the Sound lab's synthesizer) after the words.
Live captions (a stream) and Voice chat (a language model) are checked in their own tests
(test_live_captions.py, test_voice_chat.py) with the same ``assert_named``."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from gradio_client import handle_file

from conftest import EXAMPLES

GENERIC = {
    "audio",
    "speech",
    "answer",
    "output",
    "result",
    "waveform",
    "spectrogram",
    "notes",
    "transcript",
    "music",
    "sound",
    "recording",
    "captions",
    "download",
}


def _files(value) -> list[str]:
    """Every file path inside a returned value (str, dict with path, list, tuple)."""
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _files(v)]
    if isinstance(value, dict):
        return _files(value.get("path") or value.get("value")) if ("path" in value or "value" in value) else []
    if isinstance(value, str) and "\n" not in value and "/" in value and len(Path(value).name) < 250:
        return [value] if Path(value).is_file() else []
    return []


def assert_named(path: str, after: str, source: str | None = None) -> None:
    """``path`` is named after ``after`` (the input's stem or the words it was made from), is not a
    generic name, is not empty, and is not a result named exactly as the input file it was made from."""
    name = Path(path).name
    stem = name.split(".")[0]
    assert stem.lower() not in GENERIC, f"{name} is a generic name"
    assert after.lower() in name.lower(), f"{name} is not named after {after!r}"
    if source is not None and name == Path(source).name:
        # only the input itself may keep its name (Clean up's "before" player plays it back)
        assert filecmp.cmp(path, source, shallow=False), f"{name} is a result with the very name of its input"
    assert Path(path).stat().st_size > 0, f"{name} is empty"


# (api, the input clip, other arguments): every tab that takes a sound and offers files
FROM_A_SOUND = [
    ("/export_features", "a440_sine.wav", {}),
    ("/visualize", "a440_sine.wav", {}),
    ("/phase_lesson", "a440_sine.wav", {}),
    ("/classify", "drum_loop.wav", {}),
    ("/diarize", "two_speakers_pyannote.wav", {}),
    ("/transcribe", "speech_librivox.wav", {}),
    ("/analyze", "drum_loop.wav", {}),
    ("/denoise", "speech_librivox.wav", {}),
    ("/effects", "drum_loop.wav", {}),
    ("/spec_augment", "a440_sine.wav", {}),
    ("/augment", "a440_sine.wav", {"variants": 2}),
    ("/meeting_notes", "two_speakers_pyannote.wav", {}),
]


@pytest.mark.parametrize(("api", "clip", "kwargs"), FROM_A_SOUND, ids=[a for a, _, _ in FROM_A_SOUND])
def test_every_download_is_named_after_the_input_and_not_empty(client, api, clip, kwargs):
    source = str(EXAMPLES / clip)
    arg = [handle_file(source)] if api == "/augment" else handle_file(source)
    files = _files(client.predict(arg, api_name=api, **kwargs))
    assert files, f"{api} returned no file"
    for f in files:
        assert_named(f, Path(clip).stem, source)


def test_separated_stems_are_named_after_the_input_and_the_stem(client):
    source = str(EXAMPLES / "drum_loop.wav")
    files = _files(client.predict(handle_file(source), api_name="/separate"))
    assert files
    for f in files:
        assert_named(f, "drum_loop", source)
    assert any("drum" in Path(f).name.replace("drum_loop", "") or "vocal" in Path(f).name for f in files), files


def test_speech_is_named_after_its_text(client):
    audio, files, *_ = client.predict("The library opens at nine o'clock. Welcome!", api_name="/speak")
    names = sorted(Path(f).name for f in files)
    assert names == [
        "the-library-opens-at-speech.mp3",
        "the-library-opens-at-speech.srt",
        "the-library-opens-at-speech.vtt",
        "the-library-opens-at-speech.wav",
    ], names
    for f in [audio, *files]:
        assert_named(f, "the-library-opens-at-speech")


def test_music_is_named_after_its_prompt(client):
    wav, midi, picture, _ = client.predict("calm lo-fi piano", duration=2, seed=7, api_name="/compose")
    for f, suffix in ((wav, ".wav"), (midi, ".mid"), (picture, "-spectrogram.png")):
        assert Path(f).name == f"compose-calm-lo-fi-piano-seed7{suffix}", f
        assert_named(f, "calm-lo-fi-piano")


def test_a_synthesized_sound_is_named_after_its_recipe(client):
    recipe = 'chord(notes="A4 C#5 E5", amplitude=0.5) + sine(hz=110)'
    wav, _facts, wave, spec = client.predict(recipe, seconds=0.5, api_name="/synthesize")
    assert Path(wav).name == "chord-A4-Cs5-E5-sine-110-synth.wav"
    assert Path(wave).name == "chord-A4-Cs5-E5-sine-110-synth-waveform.png"
    for f in (wav, wave, spec):
        assert_named(f, "chord-A4-Cs5-E5")
