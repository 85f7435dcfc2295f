"""Sound lab: effects on known signals measured with real libraries, chains, SpecAugment, augmentation."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest

from pipelines.core.audio import AudioInput
from pipelines.core.errors import UserError
from pipelines.dsp import effects as fx
from pipelines.dsp import synth
from pipelines.dsp.spec_augment import mel_power, spec_augment
from pipelines.sound_lab import (
    PRESETS,
    AugmentOptions,
    SpecAugmentOptions,
    apply_chain,
    chain_json,
    chain_text,
    parse_chain,
    plan_chain,
    run_augment,
    run_effects,
    run_spec_augment,
    synthesize,
)

SR = 44100


def f0(y: np.ndarray, sr: int = SR) -> float:
    """The strongest frequency of the middle of y (Hann FFT, parabolic peak interpolation)."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    mid = y[len(y) // 4 : 3 * len(y) // 4]
    mag = np.abs(np.fft.rfft(mid * np.hanning(len(mid))))
    k = int(np.argmax(mag[1:-1])) + 1
    a, b, c = np.log(mag[k - 1 : k + 2] + 1e-20)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(mid)


def level_at(y: np.ndarray, hz: float, sr: int = SR) -> float:
    """dB of the spectrum's peak within 5 % of hz."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)[sr // 2 :]  # past the filter's start-up
    mag = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    band = (freqs > hz * 0.95) & (freqs < hz * 1.05)
    return float(20 * np.log10(mag[band].max()))


def tone(hz=220.0, seconds=2.0):
    return synth.sine(hz, seconds)[None, :]


def run(y, chain, sr=SR):
    return apply_chain(y, sr, parse_chain(chain)).channels


def test_pitch_shift_octave_doubles_f0_and_keeps_duration():
    y = tone(220.0)
    out = run(y, "pitch_shift(semitones=12)")
    assert out.shape == y.shape
    assert f0(out) == pytest.approx(440.0, rel=0.005)


def test_time_stretch_2_halves_duration_and_keeps_f0():
    y = tone(220.0, 4.0)
    out = run(y, "time_stretch(rate=2)")
    assert out.shape[1] == pytest.approx(y.shape[1] / 2, abs=SR * 0.01)
    assert f0(out) == pytest.approx(220.0, rel=0.005)


def test_speed_changes_both_like_a_tape():
    out = run(tone(220.0, 2.0), "speed(rate=2)")
    assert out.shape[1] == pytest.approx(SR, abs=2)
    assert f0(out) == pytest.approx(440.0, rel=0.005)


def test_normalize_loudness_measures_minus_23_lufs_with_pyloudnorm():
    import pyloudnorm

    y = np.stack([synth.chord(seconds=4.0), synth.chord(seconds=4.0) * 0.5])  # stereo, quiet
    out = run(y, "normalize_loudness(lufs=-23)")
    measured = pyloudnorm.Meter(SR).integrated_loudness(out.T.astype(np.float64))
    assert measured == pytest.approx(-23, abs=0.5)


def test_normalize_loudness_keeps_the_true_peak_ceiling():
    drums = synth.drum_loop()[None, :]  # peaky: -9 LUFS would push peaks far over full scale
    out = run(drums, "normalize_loudness(lufs=-9, true_peak_db=-1)")
    assert fx.true_peak_dbfs(out, SR) <= -0.9


def test_highpass_1000_lowers_100_hz_by_at_least_30_db():
    y = tone(100.0, 3.0)
    out = run(y, "highpass(hz=1000)")
    assert level_at(y, 100) - level_at(out, 100) >= 30


def test_add_noise_snr_10_db_measured():
    y = tone(440.0, 3.0)
    for color in ("white", "pink", "brown"):
        out = run(y, f"add_noise(snr_db=10, color={color}, seed=3)")
        noise = out - y
        snr = 10 * np.log10(np.sum(y.astype(np.float64) ** 2) / np.sum(noise.astype(np.float64) ** 2))
        assert snr == pytest.approx(10, abs=0.5), color


def test_pink_and_brown_noise_slopes():
    def slope(color):
        y = synth.noise(color, SR * 4, seed=1)
        mag2 = np.abs(np.fft.rfft(y)) ** 2
        freqs = np.fft.rfftfreq(len(y), 1 / SR)
        lo, hi = mag2[(freqs > 100) & (freqs < 200)].mean(), mag2[(freqs > 1600) & (freqs < 3200)].mean()
        return 10 * np.log10(hi / lo) / 4  # dB per octave (4 octaves apart)

    assert slope("white") == pytest.approx(0, abs=0.5)
    assert slope("pink") == pytest.approx(-3, abs=0.6)
    assert slope("brown") == pytest.approx(-6, abs=0.6)


def test_spec_augment_mask_zeroes_exactly_the_masked_bins():
    y = synth.chord(seconds=3.0) + 0.01 * synth.noise("white", SR * 3, seed=0)
    mel = mel_power(y, SR, n_mels=80)
    assert (mel > 0).all()
    r = spec_augment(mel, time_masks=2, time_width=30, freq_masks=2, freq_width=12, seed=7)
    expected = np.zeros(mel.shape, dtype=bool)
    for m in r.masks:
        if m.axis == "freq":
            expected[m.start : m.start + m.width] = True
        else:
            expected[:, m.start : m.start + m.width] = True
    assert expected.any()
    assert (r.masked == expected).all()
    assert (r.augmented[expected] == 0).all()
    assert (r.augmented[~expected] == mel[~expected]).all()  # nothing else touched (no warp)
    again = spec_augment(mel, time_masks=2, time_width=30, freq_masks=2, freq_width=12, seed=7)
    assert (again.augmented == r.augmented).all()


def test_time_warp_moves_a_frame_and_keeps_the_shape():
    mel = mel_power(synth.chord(seconds=3.0), SR)
    r = spec_augment(mel, time_masks=0, freq_masks=0, warp=20, seed=1)
    assert r.augmented.shape == mel.shape and r.warp_from != r.warp_to
    assert np.allclose(r.augmented[:, 0], mel[:, 0]) and np.allclose(r.augmented[:, -1], mel[:, -1])


def test_text_and_json_chains_give_identical_audio():
    text = "highpass(hz=120) | compressor(threshold_db=-20, ratio=4) | reverb(room_size=0.3, wet=0.2) | normalize_loudness(lufs=-16)"
    steps = parse_chain(text)
    as_json = chain_json(steps)
    assert as_json.startswith('[{"effect": "highpass", "hz": 120.0')
    y = np.stack([synth.chord(), synth.chord()[::-1].copy()])
    a = apply_chain(y, SR, steps).channels
    b = apply_chain(y, SR, parse_chain(as_json)).channels
    assert np.array_equal(a, b)
    assert chain_text(parse_chain(chain_text(steps))) == chain_text(steps)  # the saved form pastes back


def test_every_preset_parses_and_runs():
    y = synth.chord(seconds=1.5)[None, :]
    for name, chain in PRESETS.items():
        out = apply_chain(y, SR, parse_chain(chain))
        assert out.channels.shape[1] > 0 and fx.peak(out.channels) <= 1.0, name


@pytest.mark.parametrize(
    "chain, words",
    [
        ("wobble(depth=3)", ["Unknown effect 'wobble'", "highpass"]),
        ("highpass()", ["highpass needs hz", "10 to 96000 Hz"]),
        ("gain(db=100)", ["gain: db", "-60 to 60 dB", "100"]),
        ("compressor(treshold_db=-20)", ["compressor has no parameter 'treshold_db'", "threshold_db"]),
        ("highpass(hz=120", ["not of the form"]),
        ("gain(db=3) | | mono()", ["Step 2", "empty"]),
        ('[{"effect": "gain", "db": 3', ["not valid JSON"]),
        ('[{"db": 3}]', ['"effect"']),
        ("add_noise(snr_db=10, color=purple)", ["add_noise: color", "white, pink, brown"]),
        ("resample(sr=8000.5)", ["whole number"]),
        ("bandpass(low_hz=3000, high_hz=300)", ["low_hz (3000) must be below high_hz (300)"]),
    ],
)
def test_bad_chains_say_what_is_wrong(chain, words):
    with pytest.raises(UserError) as info:
        plan_chain(parse_chain(chain), SR, SR * 2, 1800)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_too_long_a_result_is_refused_before_the_work_starts():
    long = np.zeros((1, SR * 60 * 20), dtype=np.float32)  # 20 minutes; 0.1x would be 200 minutes
    with pytest.raises(UserError, match="would make 3.3 h of audio; the limit is 30.0 min"):
        apply_chain(long, SR, parse_chain("time_stretch(rate=0.1)"), max_seconds=1800)


def test_a_clipping_result_is_limited_and_said_so():
    result = apply_chain(tone(440.0), SR, parse_chain("gain(db=12)"))
    assert fx.peak(result.channels) <= 1.0 and result.limited
    assert "would clip" in result.warnings[0] and "limiter" in result.warnings[0]


def test_a_silent_result_is_said_so():
    result = apply_chain(tone(440.0), SR, parse_chain("gain(db=-60) | gain(db=-60)"))
    assert any("silent" in w for w in result.warnings)


def test_synthesize_tones_chords_noise_sweeps_layers():
    y = synthesize('chord(notes="A4 C#5 E5")', seconds=1.0)
    assert len(y) == SR and f0(y) == pytest.approx(440.0, rel=0.01) or f0(y) == pytest.approx(554.37, rel=0.01)
    mag = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    top3 = sorted(freqs[np.argsort(mag)[-3:]])
    assert top3 == pytest.approx([440.0, 554.37, 659.26], abs=1.5)
    square = synthesize("square(hz=100, amplitude=0.8)", seconds=1.0)
    assert np.max(np.abs(square)) == pytest.approx(0.8, abs=1e-3)
    mixed = synthesize("sine(hz=440, amplitude=0.5) + noise(color=pink, amplitude=0.1, seconds=2)", seconds=1.0)
    assert len(mixed) == 2 * SR  # the longest layer sets the length
    sweep = synthesize("sweep(start_hz=100, end_hz=1000, method=linear)", seconds=2.0, sample_rate=16000)
    assert f0(sweep[: 16000 // 4], 16000) < 200 and f0(sweep[-16000 // 4 :], 16000) > 850
    with pytest.raises(UserError, match="chord: could not read"):
        synthesize('chord(notes="H9 x")')
    with pytest.raises(UserError, match="Unknown layer 'beep'"):
        synthesize("beep()")


def test_run_effects_gives_before_after_files_and_facts(tmp_path):
    audio = AudioInput(np.stack([synth.chord(), synth.chord()]), SR, "FLOAT", "chord.wav")
    r = run_effects(audio, "gain(db=-6) | reverse()", tmp_path)
    assert r.before.wav.exists() and r.after.wav.name == "chord-sound-lab.wav"
    assert r.after.facts.peak_dbfs == pytest.approx(r.before.facts.peak_dbfs - 6, abs=0.1)
    assert r.after.waveform.stat().st_size > 1000 and r.after.spectrogram.stat().st_size > 1000


def test_run_spec_augment_rebuilds_sound(tmp_path):
    import soundfile as sf

    audio = AudioInput(synth.chord(seconds=2.0)[None, :], SR, "FLOAT", "chord.wav")
    r = run_spec_augment(audio, SpecAugmentOptions(seed=1), tmp_path)
    y, sr = sf.read(r.rebuilt_wav)
    assert sr == SR and abs(len(y) - 2 * SR) < 512 and np.max(np.abs(y)) > 0.1
    assert "Masks (bins set to zero): freq" in r.description


def test_augment_zip_manifest_reproducible_from_the_seed(tmp_path):
    clips = [
        AudioInput(synth.chord(seconds=1.5)[None, :], SR, "FLOAT", "chord.wav"),
        AudioInput(synth.sine(330, 1.0)[None, :], SR, "FLOAT", "tone.wav"),
    ]
    a = run_augment(clips, AugmentOptions(variants=2, seed=5), tmp_path / "a")
    b = run_augment(clips, AugmentOptions(variants=2, seed=5), tmp_path / "b")
    c = run_augment(clips, AugmentOptions(variants=2, seed=6), tmp_path / "c")
    with zipfile.ZipFile(a.zip_path) as za, zipfile.ZipFile(b.zip_path) as zb:
        assert sorted(za.namelist()) == sorted(
            ["chord_aug01.wav", "chord_aug02.wav", "tone_aug01.wav", "tone_aug02.wav", "manifest.csv"]
        )
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name
        rows = list(csv.DictReader(io.StringIO(za.read("manifest.csv").decode())))
    assert [r["source"] for r in rows] == ["chord.wav", "chord.wav", "tone.wav", "tone.wav"]
    assert all("pitch_shift(semitones=" in r["chain"] and "add_noise(" in r["chain"] for r in rows)
    assert [r["chain"] for r in a.rows] != [r["chain"] for r in c.rows]
    # the manifest's chain reproduces the file
    import soundfile as sf

    with zipfile.ZipFile(a.zip_path) as za:
        stored, _ = sf.read(io.BytesIO(za.read("tone_aug01.wav")), dtype="float32")
    again = apply_chain(clips[1].channels, SR, parse_chain(rows[2]["chain"])).channels[0]
    assert np.max(np.abs(stored - again)) < 1e-4  # 16-bit rounding only


def test_augment_limits_are_checked_before_the_work():
    clip = AudioInput(np.zeros((1, SR * 60), dtype=np.float32) + 0.1, SR, "FLOAT", "minute.wav")
    with pytest.raises(UserError, match="would make .* the limit is"):
        run_augment([clip] * 3, AugmentOptions(variants=20), "/nonexistent/never-written", max_total_seconds=600)
    with pytest.raises(UserError, match="speed_min"):
        run_augment([clip], AugmentOptions(speed_min=1.5, speed_max=1.0), "/nonexistent")
