"""Long recordings as mono 16 kHz read from disk (pipelines/audio_stream.py): the same samples and
the same checks as the in-memory entry point, without the whole recording in memory."""

from __future__ import annotations

import gc
import os
import subprocess
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from pipelines.core.audio import AudioError, ffmpeg_executable, load_audio
from pipelines.core.audio_stream import MonoAudio, SampleFile, open_mono

SR = 44100


def stereo_tones(seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 1000 * t)], 1).astype(np.float32)


def test_same_samples_as_the_in_memory_entry_point(tmp_path):
    path = tmp_path / "talk.flac"
    sf.write(path, stereo_tones(25.0), SR)
    mono = open_mono(path, 16000, read_block_s=3.0)  # several blocks, and a partial last one
    assert isinstance(mono, MonoAudio) and isinstance(mono.samples, SampleFile)
    assert mono.sr == 16000 and mono.name == "talk.flac" and mono.sample_format == "PCM_16"
    reference = load_audio(path, target_sr=16000).mono
    assert len(mono.samples) == len(reference)
    np.testing.assert_allclose(mono.samples[:], reference, atol=2e-4)
    np.testing.assert_allclose(mono.samples[100_000:100_500], reference[100_000:100_500], atol=2e-4)
    assert mono.duration == pytest.approx(25.0, abs=1e-3) and mono.warnings == []


def test_sample_file_slices_like_an_array(tmp_path):
    path = tmp_path / "ramp.wav"
    ramp = np.linspace(-1, 1, 1000, dtype=np.float32)
    sf.write(path, ramp, 16000, subtype="FLOAT")
    x = SampleFile(path)
    assert len(x) == 1000 and x.shape == (1000,) and x.sr == 16000
    np.testing.assert_array_equal(x[10:20], ramp[10:20])
    np.testing.assert_array_equal(x[-5:], ramp[-5:])
    np.testing.assert_array_equal(np.asarray(x), ramp)
    assert x[7:3].size == 0
    with pytest.raises(TypeError):
        x[3]
    with pytest.raises(TypeError):
        x[::2]


def test_temporary_file_removed_when_done(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, stereo_tones(1.0), SR)
    mono = open_mono(path, 16000)
    made = mono.samples.path
    assert os.path.exists(made) and made != str(path)
    del mono
    gc.collect()
    assert not os.path.exists(made)


@pytest.mark.slow
def test_a_long_file_never_sits_whole_in_memory(tmp_path):
    """3 minutes of 44.1 kHz stereo is 64 MB as float32; converting it holds a few blocks only."""
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", SR, 2, subtype="PCM_16") as f:
        for _ in range(18):
            f.write(stereo_tones(10.0))
    whole = 180 * SR * 2 * 4
    tracemalloc.start()
    try:
        mono = open_mono(path, 16000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mono.duration == pytest.approx(180.0, abs=1e-3)
    assert peak < whole / 5, f"peak {peak / 1e6:.1f} MB of Python/numpy allocations for a {whole / 1e6:.0f} MB file"


def test_browser_formats_go_through_ffmpeg(tmp_path):
    src = tmp_path / "tone.wav"
    sf.write(src, stereo_tones(2.0, 48000), 48000)
    webm = tmp_path / "tone.webm"
    subprocess.run([ffmpeg_executable(), "-v", "error", "-y", "-i", str(src), "-c:a", "libopus", str(webm)], check=True)
    mono = open_mono(webm, 16000)
    assert mono.sample_format == "opus" and mono.duration == pytest.approx(2.0, abs=0.1)
    spectrum = np.abs(np.fft.rfft(mono.samples[:]))
    assert abs(np.fft.rfftfreq(len(mono.samples), 1 / 16000)[np.argmax(spectrum)] - 440) < 3


def test_microphone_arrays_stay_in_memory():
    mono = open_mono((SR, stereo_tones(1.0)), 16000)
    assert isinstance(mono.samples, np.ndarray) and mono.sr == 16000 and mono.name == "recording"


def test_bad_files_get_the_entry_points_messages(tmp_path):
    nan = tmp_path / "nan.wav"
    y = stereo_tones(12.0)
    y[SR * 11, 1] = np.nan  # in the second block read, not the first
    sf.write(nan, y, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN or infinite"):
        open_mono(nan, 16000, read_block_s=10.0)
    long = tmp_path / "long.wav"
    sf.write(long, np.zeros(SR * 5, np.int16), SR)
    with pytest.raises(AudioError, match="limit"):
        open_mono(long, 16000, max_seconds=2)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        open_mono(empty, 16000)
    text = tmp_path / "notes.wav"
    text.write_text("not a recording\n" * 20)
    with pytest.raises(AudioError, match="not an audio file"):
        open_mono(text, 16000)
    with pytest.raises(AudioError, match="not found"):
        open_mono(tmp_path / "missing.wav", 16000)
    with pytest.raises(AudioError, match="No audio"):
        open_mono(None, 16000)


def test_silence_and_clipping_warn(tmp_path):
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.zeros((SR, 2), np.float32), SR)
    assert any("silent" in w for w in open_mono(quiet, 16000).warnings)
    loud = tmp_path / "loud.wav"
    sf.write(loud, np.clip(4 * stereo_tones(1.0), -1, 1), SR)
    assert any("clipped" in w for w in open_mono(loud, 16000).warnings)
