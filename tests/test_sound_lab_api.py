"""The Sound lab through its API (gradio_client against the whole app, offline)."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import EXAMPLES

CHORD = EXAMPLES / "c_major_chord.wav"


def facts(table) -> dict[str, tuple[str, ...]]:
    return {row[0]: tuple(row[1:]) for row in table["data"]}


def test_synthesize_with_defaults_and_a_recipe(client):
    wav, table, wave, spec = client.predict(api_name="/synthesize")  # every parameter has a default
    info = sf.info(wav)
    assert info.samplerate == 44100 and info.duration == pytest.approx(2.0, abs=0.01)
    wav, table, wave, spec = client.predict(
        "square(hz=110, amplitude=0.3) + noise(color=brown, amplitude=0.05)",
        seconds=1.5,
        sample_rate=16000,
        api_name="/synthesize",
    )
    y, sr = sf.read(wav)
    assert sr == 16000 and len(y) == 24000 and 0.3 < np.max(np.abs(y)) <= 0.36
    assert wave.endswith(".png") and spec.endswith(".png")
    with pytest.raises(AppError, match="Unknown layer 'beep'"):
        client.predict("beep(hz=3)", api_name="/synthesize")


def test_effects_text_and_json_chain_and_facts(client):
    out = client.predict(handle_file(str(CHORD)), api_name="/effects")  # the default chain
    before, after, table, report, *pngs = out
    f = facts(table)
    assert f["Integrated loudness"][1].startswith("-16.")  # default chain ends in normalize_loudness(lufs=-16)
    assert "pedalboard" in report and len(pngs) == 4 and all(p.endswith(".png") for p in pngs)
    text = "gain(db=-6) | lowpass(hz=2000) | reverse()"
    json_form = '[{"effect": "gain", "db": -6}, {"effect": "lowpass", "hz": 2000}, {"effect": "reverse"}]'
    a = client.predict(handle_file(str(CHORD)), chain=text, api_name="/effects")
    b = client.predict(handle_file(str(CHORD)), chain=json_form, api_name="/effects")
    ya, _ = sf.read(a[1])
    yb, _ = sf.read(b[1])
    assert np.array_equal(ya, yb)
    y0, _ = sf.read(a[0])
    assert np.max(np.abs(ya)) == pytest.approx(np.max(np.abs(y0)) / 2, rel=0.1)
    assert a[1].endswith("c_major_chord-sound-lab.wav")


@pytest.mark.parametrize(
    "chain, message",
    [
        ("wobble()", "Unknown effect 'wobble'"),
        ("gain(db=99)", "gain: db must be from -60 to 60 dB, got 99"),
        ("highpass()", "highpass needs hz (10 to 96000 Hz)"),
        ("time_stretch(rate=0.01)", "time_stretch: rate must be from 0.1 to 10"),
    ],
)
def test_bad_chains_are_clear_and_the_server_keeps_serving(client, chain, message):
    with pytest.raises(AppError, match=message.replace("(", r"\(").replace(")", r"\)")):
        client.predict(handle_file(str(CHORD)), chain=chain, api_name="/effects")
    ok = client.predict(handle_file(str(CHORD)), chain="gain(db=-3)", api_name="/effects")
    assert sf.info(ok[1]).frames > 0


def test_bad_audio_is_refused(client, tmp_path):
    bad = tmp_path / "not-audio.wav"
    bad.write_text("not audio at all\n" * 20)
    with pytest.raises(AppError, match="not an audio file"):
        client.predict(handle_file(str(bad)), chain="gain(db=-3)", api_name="/effects")


def test_spec_augment_with_defaults(client):
    before, after, wav, info = client.predict(handle_file(str(CHORD)), api_name="/spec_augment")
    assert before.endswith(".png") and after.endswith(".png")
    assert sf.info(wav).samplerate == 44100 and "Masks (bins set to zero)" in info
    again = client.predict(handle_file(str(CHORD)), time_masks=0, freq_masks=0, seed=3, api_name="/spec_augment")
    assert "Masks (bins set to zero): none" in again[3]


def test_augment_two_files_gives_zip_and_manifest(client, tmp_path):
    files = [handle_file(str(CHORD)), handle_file(str(EXAMPLES / "a440_sine.wav"))]
    zip_path, manifest = client.predict(files, variants=2, seed=4, api_name="/augment")
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
    assert len(names) == 5 and "manifest.csv" in names
    assert [r["file"] for r in rows] == [r[0] for r in manifest["data"]]
    assert {r["source"] for r in rows} == {"c_major_chord.wav", "a440_sine.wav"}
    with pytest.raises(AppError, match="speed_min"):
        client.predict(files, speed_min=1.5, speed_max=1.0, api_name="/augment")


def test_too_long_for_effects_is_refused_before_work(client, tmp_path):
    import numpy as np
    import soundfile as sf

    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(8000 * 485, np.int16), 8000, subtype="PCM_16")  # 8:05 of silence
    with pytest.raises(AppError, match="applies effects to up to 8.0 min"):
        client.predict(handle_file(str(path)), "highpass(hz=120)", api_name="/effects")
