"""Visualize features and figures against known signals and librosa."""

from __future__ import annotations

import zipfile

import librosa
import numpy as np
import pytest
from PIL import Image

from pipelines.core.audio import load_audio
from pipelines.dsp.features import (
    SpectralParams,
    audio_facts,
    cmvn_normalize,
    compute_features,
    mfcc_with_deltas,
    phase_lesson,
    silence_share,
    spectrum,
)
from pipelines.formats import plots
from pipelines.visualize import PANELS, export_features, render

SR = 22050


def sine(freq=440.0, seconds=2.0, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_spectrum_of_440_hz_sine_peaks_at_440():
    freqs, db = spectrum(sine(), SR)
    assert abs(freqs[np.argmax(db)] - 440) < 1.0
    assert db.max() == pytest.approx(0.0)


@pytest.mark.parametrize("kind", ["stft", "cqt", "cens"])
def test_chroma_of_440_hz_sine_is_A(kind):
    feats = compute_features(sine(), SR, SpectralParams(chroma=kind))
    assert feats.chroma.shape == (12, feats.stft_db.shape[1])
    assert plots.PITCH_CLASSES[int(np.argmax(feats.chroma.mean(axis=1)))] == "A"


def test_stft_peak_bin_and_shapes():
    p = SpectralParams(n_fft=1024, hop_length=256, n_mels=64, n_mfcc=20)
    y = sine()
    feats = compute_features(y, SR, p)
    frames = 1 + len(y) // 256
    assert feats.stft_db.shape == (513, frames)
    assert feats.phase.shape == (513, frames)
    assert feats.mel_db.shape == (64, frames)
    assert feats.mfcc.shape == (60, frames)  # MFCC + delta + delta-delta
    peak_bin = int(np.argmax(feats.stft_db[:, frames // 2]))
    assert abs(feats.frequencies[peak_bin] - 440) <= SR / 1024


def test_mel_matches_librosa_directly():
    y = np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1
    feats = compute_features(y, SR, SpectralParams(n_mels=80, fmax=8000))
    ref = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_mels=80, fmax=8000), ref=np.max)
    np.testing.assert_allclose(feats.mel_db, np.maximum(ref, -120), atol=1e-3)


def test_mfcc_39_dims_deltas_and_cmvn():
    y = librosa.chirp(fmin=200, fmax=4000, sr=SR, duration=2.0).astype(np.float32)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR))
    m = mfcc_with_deltas(mel_db, 13)
    assert m.shape[0] == 39
    np.testing.assert_allclose(m[13:26], librosa.feature.delta(m[:13]), atol=1e-4)
    np.testing.assert_allclose(m[26:], librosa.feature.delta(m[:13], order=2), atol=1e-4)
    normed = cmvn_normalize(m)
    np.testing.assert_allclose(normed.mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(normed.std(axis=1), 1, atol=1e-3)


def test_loudness_of_calibrated_sine():
    # 1 kHz sine, peak -20 dBFS: RMS -23.01 dBFS, and BS.1770 gives about -23.0 LUFS (K-weighting ~0 dB at 1 kHz).
    audio = load_audio((48000, sine(1000, 5.0, 48000, amp=0.1)))
    facts = audio_facts(audio)
    assert facts.peak_dbfs == pytest.approx(-20.0, abs=0.01)
    assert facts.rms_dbfs == pytest.approx(-23.01, abs=0.02)
    assert facts.loudness_lufs == pytest.approx(-23.0, abs=0.2)
    assert facts.clipped_share == 0.0
    assert facts.silence_share == 0.0


def test_silence_share_and_short_clip_loudness():
    y = np.concatenate([np.zeros(SR, np.float32), sine(seconds=1.0)])
    assert silence_share(y, SR) == pytest.approx(0.5, abs=0.02)
    facts = audio_facts(load_audio((SR, sine(seconds=0.2))))
    assert facts.loudness_lufs is None  # BS.1770 needs 400 ms


def test_parameter_validation_messages():
    with pytest.raises(ValueError, match="fmin"):
        SpectralParams(fmin=5000, fmax=1000).checked(SR)
    with pytest.raises(ValueError, match="Hop length"):
        SpectralParams(n_fft=512, hop_length=1024).checked(SR)
    with pytest.raises(ValueError, match="MFCCs"):
        SpectralParams(n_mels=10, n_mfcc=20).checked(SR)
    assert SpectralParams(fmax=1e9).checked(SR).fmax == SR / 2


def test_phase_lesson_istft_is_exact_and_griffinlim_only_approximate():
    lesson = phase_lesson(
        sine(seconds=1.0) + 0.05 * np.random.default_rng(1).standard_normal(SR).astype(np.float32), SR
    )
    assert lesson.istft_error_db < -60
    assert lesson.griffinlim_error_db > lesson.istft_error_db
    assert len(lesson.magnitude_only) == len(lesson.original) == len(lesson.magnitude_and_phase)


def test_reduce_columns_keeps_short_peaks():
    m = np.zeros((4, 10_000), np.float32)
    m[2, 5_001] = 1.0
    small = plots.reduce_columns(m, 1000)
    assert small.shape[1] <= 1000
    assert small.max() == 1.0


@pytest.mark.slow
def test_render_long_recording_draws_at_screen_resolution(tmp_path):
    y = np.random.default_rng(0).standard_normal(SR * 120).astype(np.float32) * 0.1  # 2 minutes
    result = render(load_audio((SR, y)), tmp_path)
    assert list(result.figures) == list(PANELS)
    assert result.features.stft_db.shape[1] > 5000  # computed at full resolution
    assert result.features.phase.shape[1] <= plots.MAX_COLUMNS  # phase only at display resolution
    with pytest.raises(ValueError, match="full_phase"):
        export_features(result, tmp_path)
    for path in result.figures.values():
        with Image.open(path) as img:
            assert img.format == "PNG"
            assert img.size[0] == int(plots.FIG_WIDTH_IN * plots.DPI)


def test_export_has_npy_and_csv_for_every_matrix(tmp_path):
    result = render(load_audio((SR, sine())), tmp_path, SpectralParams(n_mels=40), full_phase=True)
    zip_path = export_features(result, tmp_path)
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        for matrix, values in result.features.matrices().items():
            assert f"npy/{matrix}.npy" in names and f"csv/{matrix}.csv" in names
            rows = zf.read(f"csv/{matrix}.csv").decode().strip().splitlines()
            assert len(rows) == values.shape[0] + 1  # header of frame times
            assert len(rows[1].split(",")) == values.shape[1] + 1  # row label + frames
        assert {f"figures/{p}.png" for p in PANELS} <= names
        assert "csv/spectrum.csv" in names and "facts.json" in names
    mel = np.load(tmp_path / "mel_db.npy")
    assert mel.shape[0] == 40


def test_redraw_render_skips_the_facts_and_draws_the_same_figures(tmp_path, monkeypatch):
    audio = load_audio((SR, np.stack([sine(), sine(660.0)], axis=1)))
    params = SpectralParams(n_fft=1024, hop_length=256, n_mels=64)
    full = render(audio, tmp_path / "full", params, cmap="viridis", freq_scale="linear")
    assert full.facts is not None and full.facts.channels == 2

    import pipelines.visualize as visualize

    def no_facts(_audio):
        raise AssertionError("a redraw must not compute the facts (loudness is the slow part)")

    monkeypatch.setattr(visualize, "audio_facts", no_facts)
    redraw = render(audio, tmp_path / "redraw", params, cmap="viridis", freq_scale="linear", with_facts=False)
    assert redraw.facts is None
    assert list(redraw.figures) == list(full.figures) == list(PANELS)
    for name in PANELS:  # same settings, same pixels (Gradio names files by content)
        assert redraw.figures[name].read_bytes() == full.figures[name].read_bytes(), name
    for name, m in full.features.matrices().items():
        np.testing.assert_array_equal(redraw.features.matrices()[name], m)
    with pytest.raises(ValueError, match="with_facts"):
        export_features(render(audio, tmp_path / "x", params, full_phase=True, with_facts=False), tmp_path / "x")
