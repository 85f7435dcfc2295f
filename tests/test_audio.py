"""The one audio entry point: every format and array type users send, and every bad input."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf

from pipelines.core.audio import AudioError, ffmpeg_executable, load_audio, resample

SR = 44100


def tone(freq=1000.0, seconds=1.0, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(y, sr):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spec)]


@pytest.mark.parametrize(
    "fmt,subtype,ext",
    [
        ("WAV", "PCM_16", "wav"),
        ("WAV", "PCM_24", "wav"),
        ("WAV", "FLOAT", "wav"),
        ("WAV", "PCM_U8", "wav"),
        ("FLAC", "PCM_16", "flac"),
        ("OGG", "VORBIS", "ogg"),
        ("MP3", "MPEG_LAYER_III", "mp3"),
    ],
)
def test_files_libsndfile_formats(tmp_path, fmt, subtype, ext):
    path = tmp_path / f"tone.{ext}"
    sf.write(path, tone(), SR, format=fmt, subtype=subtype)
    audio = load_audio(path)
    assert audio.sr == SR
    assert audio.n_channels == 1
    assert audio.mono.dtype == np.float32
    assert audio.duration == pytest.approx(1.0, abs=0.06)  # lossy codecs pad a little
    assert abs(peak_hz(audio.mono, audio.sr) - 1000) < 3
    assert audio.sample_format == subtype
    assert np.max(np.abs(audio.mono)) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("ext,codec", [("webm", "libopus"), ("m4a", "aac")])
def test_browser_and_phone_formats_through_ffmpeg(tmp_path, ext, codec):
    src = tmp_path / "tone.wav"
    sf.write(src, np.stack([tone(), tone(500)], 1), 48000)
    out = tmp_path / f"tone.{ext}"
    subprocess.run([ffmpeg_executable(), "-v", "error", "-y", "-i", str(src), "-c:a", codec, str(out)], check=True)
    audio = load_audio(out)
    assert audio.n_channels == 2
    assert audio.sr == 48000
    assert audio.duration == pytest.approx(1.0, abs=0.1)
    assert audio.sample_format in {"opus", "aac"}


def test_96khz_stereo_keeps_channels_and_mono_is_their_mean(tmp_path):
    path = tmp_path / "hi.wav"
    left, right = tone(1000, sr=96000), tone(3000, sr=96000, amp=0.25)
    sf.write(path, np.stack([left, right], 1), 96000, subtype="PCM_24")
    audio = load_audio(path)
    assert audio.sr == 96000 and audio.channels.shape == (2, 96000)
    np.testing.assert_allclose(audio.mono, (audio.channels[0] + audio.channels[1]) / 2, atol=1e-6)


@pytest.mark.parametrize(
    "dtype,scale", [(np.int16, 32767), (np.int32, 2**31 - 1), (np.float32, 1.0), (np.float64, 1.0)]
)
def test_gradio_numpy_tuples(dtype, scale):
    stereo = np.stack([tone(), -tone()], 1)  # gr.Audio gives (samples, channels)
    data = (stereo * scale).astype(dtype)
    audio = load_audio((SR, data))
    assert audio.channels.shape == (2, SR)
    assert audio.sample_format == np.dtype(dtype).name
    np.testing.assert_allclose(audio.channels[0], stereo[:, 0], atol=1e-4)
    np.testing.assert_allclose(audio.mono, 0, atol=1e-4)  # opposite channels cancel


def test_uint8_tuple_is_centred():
    data = (tone() * 127 + 128).astype(np.uint8)
    audio = load_audio((SR, data))
    assert abs(float(audio.mono.mean())) < 0.01
    assert np.max(audio.mono) == pytest.approx(0.5, abs=0.02)


def test_resample_with_soxr_keeps_frequency_and_length():
    audio = load_audio((SR, tone(1000, seconds=2.0)), target_sr=16000)
    assert audio.sr == 16000
    assert audio.n_samples == 32000
    assert abs(peak_hz(audio.mono, 16000) - 1000) < 2
    # a proper resampler removes content above the new Nyquist instead of aliasing it
    high = resample(load_audio((SR, tone(12000))), 16000)
    assert np.sqrt(np.mean(high.mono**2)) < 1e-3


# --- bad input: each gets its message -----------------------------------------------------


def test_nothing_given():
    with pytest.raises(AudioError, match="No audio"):
        load_audio(None)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(path)


def test_zero_length_wav(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SR)
    with pytest.raises(AudioError, match="zero length"):
        load_audio(path)


def test_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is a text file, not a recording\n" * 20)
    with pytest.raises(AudioError, match="not an audio file"):
        load_audio(path)


def test_corrupt_audio(tmp_path):
    good = tmp_path / "good.flac"
    sf.write(good, tone(), SR, format="FLAC")
    bad = tmp_path / "bad.flac"
    raw = bytearray(good.read_bytes())
    raw[4:200] = bytes(196)  # destroy the stream header
    bad.write_bytes(bytes(raw[:400]))
    with pytest.raises(AudioError, match="damaged|not an audio file|zero length"):
        load_audio(bad)


def test_too_short():
    with pytest.raises(AudioError, match="at least"):
        load_audio((SR, tone(seconds=0.01)), min_seconds=0.05)


def test_too_long_file_rejected_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(SR * 5, dtype=np.int16), SR)
    with pytest.raises(AudioError, match="limit"):
        load_audio(path, max_seconds=2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinite_samples(bad):
    y = tone()
    y[100:110] = bad
    with pytest.raises(AudioError, match="NaN or infinite"):
        load_audio((SR, y))


def test_silence_warns_but_loads():
    audio = load_audio((SR, np.zeros(SR, dtype=np.float32)))
    assert any("silent" in w for w in audio.warnings)


def test_clipping_warns_but_loads():
    audio = load_audio((SR, np.clip(tone(amp=2.0), -1, 1)))
    assert any("clipped" in w for w in audio.warnings)


def test_clean_audio_has_no_warnings():
    assert load_audio((SR, tone())).warnings == []
