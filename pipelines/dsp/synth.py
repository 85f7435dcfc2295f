"""Test signals made from numbers: tones, chords, sweeps, a drum loop (numpy out).

The example clips in ``assets/examples`` are made from these by ``scripts/make_examples.py``
(so they are ours to redistribute); tests use them as known signals.
"""

from __future__ import annotations

import numpy as np

SR = 44100


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
