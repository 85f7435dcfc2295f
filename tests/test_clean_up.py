"""Clean up pipeline: real denoisers on real speech with noise, real separation of speech over composed music."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import LIBRIVOX
from pipelines import clean_up as cu
from pipelines.core.audio import AudioInput, load_audio
from pipelines.core.audio_stream import MonoAudio
from pipelines.core.errors import UserError

SPEECH = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    n = min(len(ref), len(est))
    ref, est = ref[:n] - ref[:n].mean(), est[:n] - est[:n].mean()
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.sum(target**2) / np.sum((est - target) ** 2)))


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise = noise[: len(speech)] * np.sqrt(np.sum(speech**2) / np.sum(noise[: len(speech)] ** 2) / 10 ** (snr_db / 10))
    return (speech + noise).astype(np.float32)


def babble_noise(n: int, sr: int, seed: int = 0) -> np.ndarray:
    """Noise with a speech-like (pink-ish) spectrum: white noise through a 1/f shaping."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sr)
    spec /= np.sqrt(np.maximum(f, 50.0))
    return np.fft.irfft(spec, n).astype(np.float32)


@pytest.fixture(scope="module")
def speech48() -> np.ndarray:
    return load_audio(str(SPEECH), target_sr=cu.DENOISE_RATE).mono


@pytest.mark.parametrize("engine, min_gain_at_5db", [("deepfilternet3", 6.0), ("rnnoise", 3.0)])
def test_denoiser_raises_si_sdr(speech48, tmp_path, engine, min_gain_at_5db):
    noise = babble_noise(len(speech48), cu.DENOISE_RATE)
    gains = {}
    for snr in (0, 5, 10):
        noisy = mix_at_snr(speech48, noise, snr)
        r = cu.denoise(MonoAudio(noisy, cu.DENOISE_RATE), cu.DenoiseOptions(engine), tmp_path, f"{engine}{snr}")
        cleaned, sr = sf.read(r.wav_path, dtype="float32")
        assert sr == cu.DENOISE_RATE and len(cleaned) == len(noisy)  # delay compensated, nothing lost
        gains[snr] = si_sdr(speech48, cleaned) - si_sdr(speech48, noisy)
        assert not r.warnings, r.warnings
        assert r.removed_dbfs < r.input_dbfs and abs(r.snr_estimate_db - snr) < 6, r.summary()
    print(f"\n{engine} SI-SDR gain (dB) at 0/5/10 dB SNR: " + " / ".join(f"{gains[s]:.1f}" for s in (0, 5, 10)))
    assert gains[5] >= min_gain_at_5db
    assert all(g > 0 for g in gains.values())


def test_strength_limits_what_is_removed(speech48, tmp_path):
    noisy = mix_at_snr(speech48, babble_noise(len(speech48), cu.DENOISE_RATE), 5)
    clip = MonoAudio(noisy, cu.DENOISE_RATE)
    full = cu.denoise(clip, cu.DenoiseOptions(strength_db=100), tmp_path, "full")
    mild = cu.denoise(clip, cu.DenoiseOptions(strength_db=6), tmp_path, "mild")
    assert mild.removed_dbfs < full.removed_dbfs - 2  # less noise taken out
    assert "strength 6 dB" in mild.engine


def test_all_noise_recording_warns(tmp_path):
    noise = 0.1 * babble_noise(5 * cu.DENOISE_RATE, cu.DENOISE_RATE, seed=3)
    r = cu.denoise(MonoAudio(noise, cu.DENOISE_RATE), cu.DenoiseOptions(), tmp_path, "noise")
    assert any("all noise" in w for w in r.warnings), r.warnings


def test_long_file_streams_in_blocks_and_can_be_cancelled(tmp_path):
    noise = (0.05 * np.random.default_rng(1).standard_normal(35 * cu.DENOISE_RATE)).astype(np.float32)
    steps = cu.denoise_stream(MonoAudio(noise, cu.DENOISE_RATE), cu.DenoiseOptions("rnnoise"), tmp_path, "long")
    shares, stages = [], []
    for item in steps:
        shares.append(item.share)
        stages.append(item.stage)
        if item.share >= 0.5 and item.result is None:
            steps.close()  # what the tab's Cancel does
            break
    # A "Loading ..." stage at share 0 comes first only when no earlier test loaded the engine.
    loading = [i for i, stage in enumerate(stages) if stage.startswith("Loading")]
    assert loading in ([], [0]) and all(shares[i] == 0 for i in loading)
    work = shares[len(loading) :]
    assert 0 < work[0] < 0.5 and shares == sorted(shares)
    assert len([s for s in work if 0 < s < 1]) >= 2  # progress after each block


def test_bad_options_are_user_errors(speech48, tmp_path):
    clip = MonoAudio(speech48, cu.DENOISE_RATE)
    with pytest.raises(UserError, match="Unknown denoise engine"):
        cu.denoise(clip, cu.DenoiseOptions("nope"), tmp_path)
    with pytest.raises(UserError, match="Strength must be"):
        cu.denoise(clip, cu.DenoiseOptions(strength_db=0), tmp_path)
    audio = AudioInput(speech48[None, :], cu.DENOISE_RATE, "float")
    with pytest.raises(UserError, match="makes the stems"):
        cu.separate(audio, cu.SeparateOptions("hpss", "vocals"), tmp_path)
    with pytest.raises(UserError, match="separates up to"):
        cu.check_separate_length(None, cu.SEPARATE_MAX_SECONDS + 60)


@pytest.fixture(scope="module")
def speech_over_music(tmp_path_factory):
    from pipelines.compose import ComposeOptions, compose

    folder = tmp_path_factory.mktemp("music")
    music = compose("upbeat pop song with drums and bass", 8.0, options=ComposeOptions(seed=3), out_dir=folder)
    m, sr = sf.read(music.wav_path, dtype="float32", always_2d=True)
    speech = load_audio(str(SPEECH), target_sr=sr).mono
    n = min(len(speech), len(m))
    speech, m = speech[:n], m[:n].T
    m *= np.sqrt(np.sum(speech**2) / np.sum(m.mean(axis=0) ** 2))  # speech and music equally loud
    return speech, (speech[None, :] + m).astype(np.float32), sr


@pytest.mark.parametrize("engine, min_gain", [("spleeter-2stems", 4.0), ("repet-sim", None)])
def test_voice_stem_beats_the_mixture(speech_over_music, tmp_path, engine, min_gain):
    speech, mixture, sr = speech_over_music
    r = cu.separate(AudioInput(mixture, sr, "float"), cu.SeparateOptions(engine), tmp_path, engine)
    voice_name = cu.VOICE_STEM[engine]
    voice, vsr = sf.read(r.stems[voice_name], dtype="float32", always_2d=True)
    assert vsr == sr and abs(len(voice) - mixture.shape[1]) == 0
    base = si_sdr(speech, mixture.mean(axis=0))
    got = si_sdr(speech, voice.mean(axis=1))
    print(f"\n{engine}: voice stem SI-SDR {got:.1f} dB vs mixture {base:.1f} dB (gain {got - base:+.1f} dB)")
    assert r.zip_path.exists() and len(__import__("zipfile").ZipFile(r.zip_path).namelist()) == 2
    if min_gain is not None:
        assert got - base >= min_gain


def test_spleeter_blocks_join_without_a_seam(tmp_path):
    """A recording longer than one block: the crossfaded output matches the input's length and has no gap."""
    sr = 44100
    n = int(1.3 * cu.spleeter.BLOCK_SAMPLES)
    t = np.arange(n) / sr
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    r = cu.separate(AudioInput(np.stack([tone, tone]), sr, "float"), cu.SeparateOptions(), tmp_path, "long")
    acc = sf.read(r.stems["accompaniment"], dtype="float32")[0].mean(axis=1)
    voc = sf.read(r.stems["vocals"], dtype="float32")[0].mean(axis=1)
    assert len(acc) == n
    seam = cu.spleeter.BLOCK_SAMPLES - sr  # where the second block starts
    both = acc + voc
    around = both[seam - 2 * sr : seam + 2 * sr]
    frame_rms = np.sqrt((around[: len(around) // 1024 * 1024].reshape(-1, 1024) ** 2).mean(axis=1))
    assert frame_rms.min() > 0.5 * np.median(frame_rms)  # no dip where blocks meet


def test_demucs_engine_matches_the_installed_demucs_onnx():
    """No Demucs weights ship in any registry package (the ONNX files live on the model hub), so
    the hub engine's wiring is checked against the installed package: the repositories and stems
    it names, and the keyword arguments it passes, are the ones demucs-onnx knows."""
    import inspect

    import demucs_onnx
    from demucs_onnx import _hub

    from pipelines.engines import demucs

    for name, (repo, stems, _) in demucs.MODELS.items():
        info = _hub.MODEL_REGISTRY[name]
        assert info.repo == repo and tuple(info.sources) == stems and info.kind == "single"
        assert demucs.SPECS[name].engine == "hub" and demucs.SPECS[name].hub_id == repo
    params = inspect.signature(demucs_onnx.separate).parameters
    assert {"model", "providers", "progress"} <= set(params)
    assert "name" in inspect.signature(_hub.download_single_model).parameters
