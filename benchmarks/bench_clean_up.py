"""Clean up: how much the denoisers and separators help, how fast they are, and whether cleaning helps
Whisper and diarization. One run prints every figure.

- SI-SDR gain (dB) and real-time factor of each denoiser on the five LibriVox clips mixed with
  speech-shaped (1/f) noise at 0, 5 and 10 dB SNR: DeepFilterNet3 (bundled default), RNNoise
  (bundled, light), and noisereduce's spectral gating (measured for comparison, not in the app).
- The bundled default through the app's pipeline (block-wise reading, delay alignment, level
  meters, spectrogram, WAV writing) against the same engine called directly on the whole array,
  in the same run. Bars: pipeline RTF <= 0.25 and <= 1.1x the direct call.
- Separation: SI-SDR of the voice stem against the clean speech, speech over music made by the
  composer at 0 dB, next to the mixture's own SI-SDR.
- WER of bundled Whisper tiny.en on noisy (0 and 5 dB) and music-backed speech with and without
  cleaning first, and DER of the bundled diarizer on pyannote's sample with noise / music.

    python benchmarks/bench_clean_up.py
    python benchmarks/bench_clean_up.py --speed-only   # only the pipeline-vs-engine timing (wall and CPU)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
warnings.filterwarnings("ignore", message="'uem' was approximated")  # pyannote.metrics, once per DER

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from _common import ROOT, librivox_wavs  # noqa: E402
from pipelines import clean_up as cu  # noqa: E402
from pipelines.core.audio import AudioInput, load_audio, resample_array  # noqa: E402
from pipelines.core.audio_stream import MonoAudio  # noqa: E402

SNRS = (0, 5, 10)
RTF_BAR = 0.25
OVERHEAD_BAR = 1.1


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    n = min(len(ref), len(est))
    ref, est = ref[:n] - ref[:n].mean(), est[:n] - est[:n].mean()
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.sum(target**2) / np.sum((est - target) ** 2)))


def speech_noise(n: int, sr: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n)) / np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / sr), 50.0))
    return np.fft.irfft(spec, n).astype(np.float32)


def mix(speech: np.ndarray, other: np.ndarray, snr_db: float) -> np.ndarray:
    other = other[: len(speech)]
    return (speech + other * np.sqrt(np.sum(speech**2) / np.sum(other**2) / 10 ** (snr_db / 10))).astype(np.float32)


def timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - start, time.process_time() - cpu


def noisereduce_or_none():
    try:
        import noisereduce

        return noisereduce
    except ImportError:
        return None


def denoisers(speech: np.ndarray, tmp: Path, speed_only: bool = False) -> None:
    sr = cu.DENOISE_RATE
    seconds = len(speech) / sr
    noise = speech_noise(len(speech), sr)
    if not speed_only:
        gains(speech, noise, seconds, tmp)
    speed(speech, noise, seconds, tmp)


def gains(speech: np.ndarray, noise: np.ndarray, seconds: float, tmp: Path) -> None:
    sr = cu.DENOISE_RATE
    nr = noisereduce_or_none()
    print(f"\n== Noise suppression: {seconds:.1f} s of LibriVox speech + 1/f noise (SI-SDR gain in dB; RTF wall/CPU)")
    for snr in SNRS:
        noisy = mix(speech, noise, snr)
        base = si_sdr(speech, noisy)
        row = [f"SNR {snr:2d} dB (input SI-SDR {base:5.1f})"]
        for key in cu.DENOISERS:
            r, wall, cpu = timed(lambda k=key, x=noisy: cu.denoise(MonoAudio(x, sr), cu.DenoiseOptions(k), tmp, k))
            out = sf.read(r.wav_path, dtype="float32")[0]
            row.append(f"{key} {si_sdr(speech, out) - base:+5.1f} dB, RTF {r.rtf:.3f}/{cpu / seconds:.3f}")
        if nr is not None:
            out, wall, cpu = timed(lambda x=noisy: nr.reduce_noise(y=x, sr=sr, stationary=False))
            row.append(
                f"noisereduce {si_sdr(speech, out) - base:+5.1f} dB, RTF {wall / seconds:.3f}/{cpu / seconds:.3f}"
            )
        print("  " + " | ".join(row))
    if nr is None:
        print("  (noisereduce not installed: pip install -r requirements/clean_up.txt to compare it)")


def speed(speech: np.ndarray, noise: np.ndarray, seconds: float, tmp: Path) -> None:
    """The bundled default: pipeline vs the engine alone, alternated, best of 3 each."""
    sr = cu.DENOISE_RATE
    load_start = os.getloadavg()[0]
    from pipelines.engines.deepfilter import DeepFilterStream

    noisy = mix(speech, noise, 5)
    padded = np.pad(noisy, (0, -len(noisy) % 480))

    def direct():
        s = DeepFilterStream()
        s.process(padded)
        s.close()

    runs_direct, runs_pipe, runs_pipe_cpu, runs_direct_cpu = [], [], [], []
    for _ in range(3):
        _, w, c = timed(direct)
        runs_direct.append(w)
        runs_direct_cpu.append(c)
        r, w, c = timed(lambda: cu.denoise(MonoAudio(noisy, sr), cu.DenoiseOptions(), tmp, "pipe"))
        runs_pipe.append(r.compute_seconds)
        runs_pipe_cpu.append(r.cpu_seconds)
    d, p = min(runs_direct), min(runs_pipe)
    dc, pc = min(runs_direct_cpu), min(runs_pipe_cpu)
    print(f"\nDeepFilterNet3, {seconds:.1f} s at 5 dB SNR, best of 3 alternated (drawing the spectrograms excluded):")
    for what, pipe, direct_s in (("wall", p, d), ("CPU", pc, dc)):
        rtf, ratio = pipe / seconds, pipe / direct_s
        print(
            f"  {what:4s} time: pipeline RTF {rtf:.3f} (bar <= {RTF_BAR}: {'PASS' if rtf <= RTF_BAR else 'FAIL'}), "
            f"engine called directly RTF {direct_s / seconds:.3f}, pipeline / direct {ratio:.2f}x "
            f"(bar <= {OVERHEAD_BAR}x: {'PASS' if ratio <= OVERHEAD_BAR else 'FAIL'})"
        )
    print(
        f"  load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end on {os.cpu_count()} CPUs "
        "(wall-time figures are only fair below 2; CPU time is fair at any load)"
    )


def music_for(seconds: float, tmp: Path) -> tuple[np.ndarray, int]:
    from pipelines.compose import ComposeOptions, compose

    r = compose("upbeat pop song with drums and bass", min(seconds, 120), options=ComposeOptions(seed=3), out_dir=tmp)
    m, sr = sf.read(r.wav_path, dtype="float32", always_2d=True)
    reps = int(np.ceil(seconds * sr / len(m)))
    return np.tile(m.T, (1, reps)), sr


def separation(speech16: np.ndarray, tmp: Path) -> None:
    music, sr = music_for(len(speech16) / 16000 + 1, tmp)
    speech = resample_array(speech16, 16000, sr)
    m = music[:, : len(speech)]
    m = m * np.sqrt(np.sum(speech**2) / np.sum(m.mean(axis=0) ** 2))
    mixture = (speech[None, :] + m).astype(np.float32)
    base = si_sdr(speech, mixture.mean(axis=0))
    print(
        f"\n== Separation: {len(speech) / sr:.1f} s of speech over composed music at 0 dB (mixture SI-SDR {base:.1f} dB)"
    )
    for key in (cu.spleeter.KEY, cu.librosa_separation.REPET_KEY):
        r, wall, cpu = timed(lambda k=key: cu.separate(AudioInput(mixture, sr, "float"), cu.SeparateOptions(k), tmp, k))
        voice = sf.read(r.stems[cu.VOICE_STEM[key]], dtype="float32", always_2d=True)[0].mean(axis=1)
        got = si_sdr(speech, voice)
        print(
            f"  {key:16s} voice stem SI-SDR {got:5.1f} dB ({got - base:+.1f} dB), RTF {wall / (len(speech) / sr):.2f}"
        )


def transcribe_wer(tmp: Path) -> None:
    from pipelines.formats.text_metrics import compare, normalize_text
    from pipelines.transcribe import TranscribeOptions, transcribe

    clips = [(load_audio(w, target_sr=48000).mono, w.with_suffix(".txt").read_text()) for w in librivox_wavs()]
    refs = " ".join(normalize_text(r) for _, r in clips)
    music, msr = music_for(12, tmp)
    music48 = resample_array(music.mean(axis=0), msr, 48000)
    noise = speech_noise(48000 * 15, 48000, seed=7)

    def wer(condition, mode, strength=100.0):
        hyps = []
        for i, (y, _) in enumerate(clips):
            x = condition(y)
            if mode != "off":
                path, _ = cu.clean_for_speech(MonoAudio(x, 48000), mode, tmp, f"w{i}", strength_db=strength)
                x = load_audio(str(path), target_sr=48000).mono
            t = transcribe(resample_array(x, 48000, 16000), TranscribeOptions(language="en", word_timestamps=False))
            hyps.append(normalize_text(t.text))
        return compare(refs, " ".join(hyps)).wer

    print("\n== Whisper tiny.en WER on the 5 LibriVox clips, without / with cleaning first")
    conditions = {
        "clean speech": (lambda y: y, [("denoise", 12.0)]),
        "noise at 5 dB SNR": (lambda y: mix(y, noise, 5), [("denoise", 100.0), ("denoise", 12.0)]),
        "noise at 0 dB SNR": (lambda y: mix(y, noise, 0), [("denoise", 100.0), ("denoise", 12.0)]),
        "music at 0 dB": (lambda y: mix(y, music48, 0), [("voice only", 100.0), ("denoise", 100.0), ("denoise", 12.0)]),
    }
    for label, (condition, modes) in conditions.items():
        a = wer(condition, "off")
        for mode, strength in modes:
            b = wer(condition, mode, strength)
            verdict = "helps" if b < a - 0.005 else ("hurts" if b > a + 0.005 else "no change")
            how = mode if mode != "denoise" else f"denoise, strength {strength:g} dB"
            print(f"  {label:18s} WER {a:6.1%} -> {b:6.1%} with '{how}' ({verdict})")


def diarize_der(tmp: Path) -> None:
    from pipelines.diarize import DiarizeOptions, diarize, read_rttm
    from pipelines.diarize import diarization_error_rate as der

    sample = ROOT / "tests" / "data" / "pyannote" / "sample.wav"
    y16, _ = sf.read(sample, dtype="float32")
    ref = read_rttm(sample.with_suffix(".rttm").read_text())
    y = resample_array(y16, 16000, 48000)
    music, msr = music_for(len(y16) / 16000 + 1, tmp)
    music48 = resample_array(music.mean(axis=0), msr, 48000)
    print("\n== Bundled diarization DER on pyannote's sample (2 speakers), without / with cleaning first")

    def score(x, mode):
        if mode != "off":
            path, _ = cu.clean_for_speech(MonoAudio(x, 48000), mode, tmp, "d")
            x = load_audio(str(path), target_sr=48000).mono
        res = diarize(resample_array(x, 48000, 16000), 16000, DiarizeOptions(num_speakers=2))
        return der(ref, res.turns)

    for label, x, modes in (
        ("noise at 5 dB SNR", mix(y, speech_noise(len(y), 48000, 9), 5), ("denoise",)),
        ("music at 0 dB", mix(y, music48, 0), ("voice only", "denoise")),
    ):
        base = score(x, "off")
        for mode in modes:
            how = mode if mode != "denoise" else f"denoise, strength {cu.SPEECH_STRENGTH_DB:g} dB (the option's)"
            print(f"  {label:18s} DER {base:6.1%} -> {score(x, mode):6.1%} with '{how}'")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed-only", action="store_true", help="only the pipeline-vs-engine timing")
    args = ap.parse_args()
    speech16 = np.concatenate([load_audio(w, target_sr=16000).mono for w in librivox_wavs()])
    speech48 = np.concatenate([load_audio(w, target_sr=48000).mono for w in librivox_wavs()])
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        denoisers(speech48, tmp, args.speed_only)
        if args.speed_only:
            return 0
        separation(speech16, tmp)
        transcribe_wer(tmp)
        diarize_der(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
