"""Sounds made from numbers: tones, chords, noises, sweeps, layers, a drum loop (numpy out).

The example clips in ``assets/examples`` are made from these by ``scripts/make_examples.py``
(so they are ours to redistribute); tests use them as known signals.
"""

from __future__ import annotations

import numpy as np

SR = 44100
WAVES = ("sine", "square", "sawtooth", "triangle")
NOISE_COLORS = ("white", "pink", "brown")
SWEEP_METHODS = ("linear", "exponential")


def _t(seconds: float, sr: int = SR) -> np.ndarray:
    return np.arange(int(seconds * sr)) / sr


def sine(freq: float = 440.0, seconds: float = 2.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq * _t(seconds, sr))).astype(np.float32)


def chord(freqs=(261.63, 329.63, 392.0), seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    """A plucked-sounding chord: harmonics with exponential decay."""
    t = _t(seconds, sr)
    y = np.zeros_like(t)
    for f in freqs:
        for k, a in enumerate((1.0, 0.5, 0.25, 0.12), start=1):
            y += a * np.sin(2 * np.pi * f * k * t) * np.exp(-t * (1.5 + k))
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def stereo_sweeps(seconds: float = 4.0, sr: int = SR) -> np.ndarray:
    """(2, n): left sweeps 100 Hz -> 8 kHz, right sweeps down; log chirps."""
    from scipy.signal import chirp

    t = _t(seconds, sr)
    left = chirp(t, 100, seconds, 8000, method="logarithmic")
    right = chirp(t, 8000, seconds, 100, method="logarithmic")
    return (0.4 * np.stack([left, right])).astype(np.float32)


def drum_loop(bpm: float = 120.0, bars: int = 2, sr: int = SR, seed: int = 0) -> np.ndarray:
    """Kick, snare and hi-hat synthesised from sines and noise."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    y = np.zeros(int(bars * 4 * beat * sr) + sr // 2)

    def add(at: float, sound: np.ndarray) -> None:
        i = int(at * sr)
        y[i : i + len(sound)] += sound[: len(y) - i]

    tk = _t(0.35, sr)
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-tk * 30)) * tk) * np.exp(-tk * 9)
    ts = _t(0.2, sr)
    snare = (0.6 * rng.standard_normal(len(ts)) + 0.4 * np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts * 20)
    th = _t(0.05, sr)
    hat = rng.standard_normal(len(th)) * np.exp(-th * 80)
    hat = np.diff(hat, prepend=0.0)  # crude high-pass
    for b in range(bars * 4):
        add(b * beat, kick if b % 2 == 0 else snare)
        add(b * beat, 0.3 * hat)
        add(b * beat + beat / 2, 0.2 * hat)
    return (0.8 * y / np.max(np.abs(y))).astype(np.float32)


# --- the Sound lab's synthesizer ----------------------------------------------------------


def tone(
    wave: str = "sine", freq: float = 440.0, seconds: float = 2.0, sr: int = SR, amplitude: float = 0.5
) -> np.ndarray:
    """A sine, square, sawtooth or triangle wave of peak ``amplitude``."""
    from scipy.signal import sawtooth, square

    phase = 2 * np.pi * freq * _t(seconds, sr)
    shapes = {
        "sine": np.sin,
        "square": square,
        "sawtooth": sawtooth,
        "triangle": lambda p: sawtooth(p, width=0.5),
    }
    return (amplitude * shapes[wave](phase)).astype(np.float32)


def tones(freqs, wave: str = "sine", seconds: float = 2.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    """A sum of tones (a chord) scaled so its peak is ``amplitude``."""
    y = np.sum([tone(wave, f, seconds, sr, 1.0) for f in freqs], axis=0)
    top = float(np.max(np.abs(y))) if y.size else 0.0
    return (y * (amplitude / top if top else 0.0)).astype(np.float32)


def note_freqs(names: str) -> list[float]:
    """'A4 C#5 E5' -> their frequencies in Hz (scientific pitch notation, A4 = 440 Hz)."""
    import librosa

    return [float(librosa.note_to_hz(n)) for n in names.replace(",", " ").split()]


def noise(color: str = "white", n_samples: int = SR, seed: int = 0) -> np.ndarray:
    """Unit-RMS noise: white (flat), pink (-3 dB/octave) or brown (-6 dB/octave), shaped in the
    frequency domain."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n_samples)
    if color != "white" and n_samples > 1:
        spectrum = np.fft.rfft(white)
        f = np.fft.rfftfreq(n_samples)
        f[0] = f[1]  # no infinite DC gain
        spectrum /= np.sqrt(f) if color == "pink" else f
        spectrum[0] = 0.0
        white = np.fft.irfft(spectrum, n_samples)
    level = float(np.sqrt(np.mean(white**2))) or 1.0
    return (white / level).astype(np.float32)


def noise_clip(color: str = "white", seconds: float = 2.0, sr: int = SR, amplitude: float = 0.5, seed: int = 0):
    """Noise whose peak is ``amplitude``."""
    y = noise(color, int(seconds * sr), seed)
    top = float(np.max(np.abs(y))) if y.size else 0.0
    return (y * (amplitude / top if top else 0.0)).astype(np.float32)


def sweep(
    start_hz: float = 100.0,
    end_hz: float = 8000.0,
    seconds: float = 2.0,
    sr: int = SR,
    amplitude: float = 0.5,
    method: str = "exponential",
) -> np.ndarray:
    """A sine sweep, linear or exponential (logarithmic) in frequency."""
    from scipy.signal import chirp

    kind = "logarithmic" if method == "exponential" else "linear"
    return (amplitude * chirp(_t(seconds, sr), start_hz, seconds, end_hz, method=kind, phi=-90)).astype(np.float32)


def silence(seconds: float = 1.0, sr: int = SR) -> np.ndarray:
    return np.zeros(int(seconds * sr), dtype=np.float32)


def mix(layers) -> np.ndarray:
    """Sum mono layers (arrays, or ``(array, gain)`` pairs); shorter ones are padded with silence."""
    pairs = [(x, 1.0) if isinstance(x, np.ndarray) else x for x in layers]
    n = max((len(x) for x, _ in pairs), default=0)
    out = np.zeros(n, dtype=np.float32)
    for x, g in pairs:
        out[: len(x)] += g * x
    return out
