"""Visualize of long recordings (block by block, display resolution) and of many channels (issue 20)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

import pipelines.visualize as V
from pipelines.core.audio import AudioError
from pipelines.dsp.features import SpectralParams
from pipelines.dsp.features_stream import LoudnessMeter
from pipelines.formats.plots import reduce_columns

ROOT = Path(__file__).resolve().parent.parent
SR = 44100


def _write(path: Path, seconds: float, channels: int = 2, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(0.7 * t))
    chans = [tone if i % 2 == 0 else 0.1 * rng.standard_normal(len(t)) for i in range(channels)]
    sf.write(path, np.stack(chans, axis=1).astype(np.float32), SR, subtype="FLOAT")
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("long") / "clip.wav", 20.0)


def test_block_path_matches_the_full_resolution_path_pooled(clip, tmp_path, monkeypatch):
    full = V.render_source(str(clip), tmp_path / "full")
    assert full.features.frame_step == 1  # a short clip: the full-resolution path, as before
    monkeypatch.setattr(V, "LONG_VALUES", 1000)  # the same clip through the long-recording path
    block = V.render_source(str(clip), tmp_path / "block")
    f, b = full.features, block.features
    assert b.frame_step > 1 and b.stft_db.shape[1] <= 1000
    for name, how in (("stft_db", "max"), ("mel_db", "max"), ("chroma", "mean"), ("phase", "pick")):
        pooled = reduce_columns(getattr(f, name), max_cols=int(np.ceil(f.stft_db.shape[1] / b.frame_step)), how=how)
        got = getattr(b, name)
        assert got.shape == pooled.shape, name
        assert np.max(np.abs(got - pooled)) < 1e-3, name
    assert np.allclose(b.times()[:3], f.times()[: 3 * b.frame_step : b.frame_step])
    a, c = full.facts, block.facts
    assert (a.samples, a.channels, a.sample_rate) == (c.samples, c.channels, c.sample_rate)
    assert abs(a.loudness_lufs - c.loudness_lufs) < 0.01
    assert abs(a.rms_dbfs - c.rms_dbfs) < 0.01 and abs(a.peak_dbfs - c.peak_dbfs) < 1e-6
    assert a.silence_share == c.silence_share
    assert set(block.figures) == set(V.PANELS) and all(p.stat().st_size > 5000 for p in block.figures.values())


def test_long_export_is_at_display_resolution(clip, tmp_path, monkeypatch):
    monkeypatch.setattr(V, "LONG_VALUES", 1000)
    result = V.render_source(str(clip), tmp_path, SpectralParams(chroma="cens"), full_phase=True)
    z = V.export_features(result, tmp_path, stem="long")
    with zipfile.ZipFile(z) as zf:
        stft = np.load(zf.open("npy/stft_db.npy"))
        header = zf.open("csv/stft_db.csv").readline().decode().split(",")
        facts = json.loads(zf.read("facts.json"))
    assert stft.shape[1] == result.features.stft_db.shape[1] <= 1000
    step_s = result.features.frame_step * 512 / SR
    assert abs(float(header[2]) - float(header[1]) - step_s) < 2e-3
    assert facts["samples"] == int(20.0 * SR)


def test_six_channel_audio_gets_loudness_without_the_lfe(tmp_path):
    wav = _write(tmp_path / "surround.wav", 3.0, channels=6)
    result = V.render_source(str(wav), tmp_path / "out")
    facts = dict(result.facts.as_rows())
    assert facts["Channels"].startswith("6")
    assert "LFE" in facts["Integrated loudness"] and "LUFS" in facts["Integrated loudness"]
    # the same as pyloudnorm on the five channels BS.1770 weighs (L, R, C, Ls, Rs)
    data, _ = sf.read(wav, dtype="float64")
    expected = pyloudnorm.Meter(SR).integrated_loudness(data[:, [0, 1, 2, 4, 5]])
    assert abs(result.facts.loudness_lufs - expected) < 0.01
    full = V.render_source(str(wav), tmp_path / "exp", full_phase=True)
    assert zipfile.ZipFile(V.export_features(full, tmp_path / "exp")).read("facts.json")


def test_more_channels_than_visualize_shows_are_refused_plainly(tmp_path):
    wav = _write(tmp_path / "nine.wav", 1.0, channels=9)
    with pytest.raises(AudioError, match="9 channels; Visualize shows up to 8"):
        V.render_source(str(wav), tmp_path / "out")


def test_loudness_meter_in_blocks_matches_pyloudnorm():
    rng = np.random.default_rng(3)
    x = (0.2 * rng.standard_normal((SR * 7, 2)) * np.linspace(0.01, 1, SR * 7)[:, None]).astype(np.float32)
    meter = LoudnessMeter(SR, 2)
    for start in range(0, len(x), 12345):
        meter.feed(x[start : start + 12345])
    assert abs(meter.integrated() - pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64))) < 0.01


PROBE = """
import sys, numpy as np, soundfile as sf
from pathlib import Path
import pipelines.visualize as V
tmp = Path(sys.argv[1])
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
rng = np.random.default_rng(0)
with sf.SoundFile(tmp / "long.wav", "w", 44100, 2, subtype="PCM_16") as f:
    for i in range(30):  # 5 minutes, 10 s at a time
        f.write((0.1 * rng.standard_normal((441000, 2))).astype(np.float32))
small = tmp / "small.wav"
sf.write(small, (0.1 * rng.standard_normal((44100 * 3, 2))).astype(np.float32), 44100)
limit = V.LONG_VALUES
V.LONG_VALUES = 1000
V.render_source(str(small), tmp / "warm")  # imports, JIT, fonts: not the recording's cost
V.LONG_VALUES = limit
base = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
r = V.render_source(str(tmp / "long.wav"), tmp / "out")
print(status("VmHWM") - base, status("VmRSS") - base, r.features.stft_db.shape[1], r.facts.duration_s)
"""


def test_five_minutes_of_stereo_visualize_in_bounded_memory(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    peak, after, columns, duration = (float(v) for v in out.stdout.split()[-4:])
    assert duration == 300.0 and columns <= 1000
    # At full resolution the complex STFT alone is 1025 bins x 25 840 frames x 8 bytes = 212 MB, and
    # the old path held it with |STFT|, power and dB copies (~1.1 GB peak for 5 minutes).
    full_stft_mb = 1025 * (1 + 300 * 44100 // 512) * 8 / 2**20
    assert peak < 1.5 * full_stft_mb, f"peak {peak:.0f} MB over the start"
    assert after < 60, f"{after:.0f} MB still held after the render"


def test_phase_lesson_reads_only_the_head_of_a_long_file(clip, monkeypatch):
    full, sr = V.load_head(str(clip), 5.0)
    monkeypatch.setattr(V, "LONG_VALUES", 1000)
    head, sr2 = V.load_head(str(clip), 5.0)
    assert sr == sr2 == SR and len(full) == int(20.0 * SR) and len(head) == int(5.0 * SR)
    assert np.allclose(head, full[: len(head)], atol=1e-6)


def _open_fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("fmt", ["WAV", "OGG"])
def test_a_refused_file_leaves_no_file_open(tmp_path, fmt):
    """A file too short to show (and one libsndfile reads but decodes through ffmpeg's copy)
    is refused without leaving its descriptor open: the soak's open descriptors grew with bad uploads."""
    path = tmp_path / f"short.{fmt.lower()}"
    sf.write(path, np.zeros(int(0.01 * SR), np.float32), SR, format=fmt)
    before, held = _open_fds(), []
    for _ in range(5):
        with pytest.raises(AudioError) as refused:
            V.render_source(str(path), tmp_path / "out", SpectralParams(), min_seconds=0.05)
        held.append(refused)  # the error is still held, as the server's error reply and log hold it
    assert _open_fds() == before


def test_drawing_in_many_threads_leaves_no_font_files_open(tmp_path):
    """Each Gradio worker thread that drew Visualize's figures kept matplotlib's font files open
    (its font cache and its math-text cache, used by log-axis ticks, are keyed by thread)."""
    import threading

    clip = _write(tmp_path / "clip.wav", 3.0, channels=1)

    def draw(i):
        V.render_source(str(clip), tmp_path / f"out{i}", SpectralParams())

    draw(0)  # fonts found and the first figures drawn in this thread
    import gc

    gc.collect()
    before = _open_fds()
    barrier = threading.Barrier(4)  # four threads alive at once: four different thread ids

    def worker(i):
        draw(i)
        barrier.wait()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    import gc

    gc.collect()  # figures are cyclic garbage until the collector runs; no cache may keep their fonts
    assert _open_fds() <= before
