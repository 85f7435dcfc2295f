"""The Visualize tab and the app shell through the API, as gradio_client users call them."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import EXAMPLES, ROOT

STEREO = EXAMPLES / "stereo_sweeps.wav"


def facts_dict(table) -> dict[str, str]:
    return {row[0]: row[1] for row in table["data"]}


def test_visualize_with_defaults_returns_facts_and_every_panel(client):
    facts, *images = client.predict(handle_file(str(STEREO)), api_name="/visualize")
    f = facts_dict(facts)
    assert f["Channels"].startswith("2")
    assert f["Sample rate"] == "44100 Hz"
    assert f["Sample format"] == "PCM_16"
    assert float(f["Duration"].split()[0]) == pytest.approx(4.0, abs=0.01)
    assert len(images) == 7
    for path in images:
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size[0] >= 800


def test_redraw_keeps_the_facts_and_redraws_every_panel(client):
    """A settings change (visualize_redraw) skips the facts, which no setting changes, and draws what
    /visualize draws with the same settings."""
    settings = ["1024", "256", "hamming", 64, 0, 0, 13, False, "stft", "linear", "viridis"]  # positional: undocumented
    source = handle_file(str(STEREO))
    facts, *images = client.predict(source, *settings, api_name="/visualize_redraw")
    assert facts == {"__type__": "update"}  # gr.skip(): the facts on screen stay as they are
    full_facts, *full_images = client.predict(source, *settings, api_name="/visualize")
    assert facts_dict(full_facts)["Channels"].startswith("2")
    assert len(images) == len(full_images) == 7
    for redrawn, full in zip(images, full_images):
        with open(redrawn, "rb") as a, open(full, "rb") as b:
            assert a.read() == b.read()
    # no audio yet: nothing to redraw, every output skipped
    assert all(o == {"__type__": "update"} for o in client.predict(None, *settings, api_name="/visualize_redraw"))


def test_settings_reach_the_features(client, tmp_path):
    zip_path = client.predict(
        handle_file(str(EXAMPLES / "a440_sine.wav")),
        n_fft="1024",
        hop="256",
        n_mels=40,
        n_mfcc=20,
        chroma="cqt",
        api_name="/export_features",
    )
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path)
    assert np.load(tmp_path / "npy" / "stft_db.npy").shape[0] == 513
    assert np.load(tmp_path / "npy" / "mel_db.npy").shape[0] == 40
    assert np.load(tmp_path / "npy" / "mfcc_delta_delta2.npy").shape[0] == 60
    chroma = np.load(tmp_path / "npy" / "chroma_cqt.npy")
    assert int(np.argmax(chroma.mean(axis=1))) == 9  # A
    assert (tmp_path / "csv" / "mel_db.csv").stat().st_size > 0


def test_phase_lesson_returns_two_playable_rebuilds(client):
    mag_only, with_phase, info = client.predict(
        handle_file(str(EXAMPLES / "speech_librivox.wav")), api_name="/phase_lesson"
    )
    a, sr_a = sf.read(mag_only)
    b, sr_b = sf.read(with_phase)
    original, sr = sf.read(EXAMPLES / "speech_librivox.wav")
    assert sr_a == sr_b == sr and len(a) == len(b) == len(original)
    # magnitude + phase rebuilds the waveform; Griffin-Lim's guess does not match it sample by sample
    assert np.corrcoef(b, original)[0, 1] > 0.99
    assert abs(np.corrcoef(a, original)[0, 1]) < 0.9
    assert "Griffin-Lim" in info


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "empty"),
        (b"not audio at all " * 50, "not an audio file"),
    ],
)
def test_bad_files_get_messages_and_server_keeps_serving(client, tmp_path, content, expected):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    with pytest.raises(AppError, match=expected):
        client.predict(handle_file(str(bad)), api_name="/visualize")
    facts, *_ = client.predict(handle_file(str(EXAMPLES / "a440_sine.wav")), api_name="/visualize")
    assert facts_dict(facts)["Channels"].startswith("1")


def test_nan_and_silent_and_bad_settings(client, tmp_path):
    nan = tmp_path / "nan.wav"
    y = np.zeros(8000, np.float32)
    y[10] = np.nan
    sf.write(nan, y, 16000, subtype="FLOAT")
    with pytest.raises(AppError, match="NaN"):
        client.predict(handle_file(str(nan)), api_name="/visualize")
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, np.float32), 16000)
    facts, *_ = client.predict(handle_file(str(silent)), api_name="/visualize")  # warns, still answers
    assert facts_dict(facts)["Silence"] == "100.0%"
    with pytest.raises(AppError, match="fmin"):
        client.predict(handle_file(str(silent)), fmin=9000, fmax=100, api_name="/visualize")


def test_status_footer_reports_offline_engines(client):
    text = client.predict(api_name="/status")
    assert "*visualize*: librosa" in text and "Whisper tiny.en" in text
    assert "**Model hub:** not used, because this server is set to work offline" in text


EVENTS = {
    "click",
    "change",
    "input",
    "submit",
    "upload",
    "stop_recording",
    "start_recording",
    "release",
    "select",
    "load",
    "stream",
    "clear",
    "then",
    "success",
    "on",
    "blur",
    "focus",
    "play",
    "pause",
    "stop",
    "tick",
}


def test_every_event_has_an_explicit_api_name():
    """Every event wiring in app.py and tabs/ names its API endpoint (api_name=...)."""
    import ast

    missing = []
    for path in [ROOT / "app.py", *sorted((ROOT / "tabs").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id in {"ctx", "self", "np", "json", "sf"}:
                continue  # ctx.load(...) is the audio entry point, not an event
            if node.func.attr in EVENTS and len(node.args) + len(node.keywords) >= 2:
                if not any(k.arg == "api_name" for k in node.keywords):
                    missing.append(f"{path.name}:{node.lineno} .{node.func.attr}(...)")
    assert not missing, "events without api_name: " + ", ".join(missing)


def test_no_model_is_loaded_at_start_up():
    """Building the whole app loads nothing: models load on first use (checked in a fresh process)."""
    code = (
        "import app, pipelines.engines.whisper; from pipelines.core.config import Settings; "
        "from pipelines.core.registry import REGISTRY; "
        "app.build_app(Settings(offline=True)); print(len(REGISTRY.loaded()), len(REGISTRY.specs()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(ROOT)
    ).stdout.split()
    assert out[0] == "0" and int(out[1]) >= 2
