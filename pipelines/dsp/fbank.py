"""Kaldi-style log mel filterbank features (``compute-fbank-feats``), numpy in and numpy out.

The speaker-embedding models trained with Kaldi's front end (CAM++ from 3D-Speaker, WeSpeaker)
take these features. Kaldi's defaults as ``torchaudio.compliance.kaldi.fbank`` writes them:
25 ms frames every 10 ms with no padding at the edges (``snip_edges``), each frame's mean removed,
pre-emphasis 0.97 (the first sample against itself), Povey window (Hann to the power 0.85),
FFT padded to a power of two, power spectrum, triangular filters equally spaced on the mel scale
``1127 ln(1 + f / 700)`` from 20 Hz to Nyquist, natural log floored at float32's epsilon.
No dither. ``tests/test_speakers.py`` checks this against torchaudio's pure-Python version.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

FRAME_MS = 25.0
SHIFT_MS = 10.0
PREEMPHASIS = 0.97
LOW_HZ = 20.0
EPS = float(np.finfo(np.float32).eps)


def _mel(f: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


@lru_cache(maxsize=8)
def mel_banks(n_mels: int, n_fft: int, sr: int, low_hz: float = LOW_HZ) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, Kaldi's layout (the Nyquist bin gets no weight)."""
    high_hz = sr / 2
    mel_low, mel_high = _mel(low_hz), _mel(high_hz)
    delta = (mel_high - mel_low) / (n_mels + 1)
    bins = _mel(np.arange(n_fft // 2) * sr / n_fft)
    left = mel_low + delta * np.arange(n_mels)[:, None]
    centre, right = left + delta, left + 2 * delta
    up = (bins[None] - left) / (centre - left)
    down = (right - bins[None]) / (right - centre)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.pad(banks, ((0, 0), (0, 1))).astype(np.float32)


@lru_cache(maxsize=4)
def povey_window(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))) ** 0.85


def num_frames(n_samples: int, sr: int = 16_000) -> int:
    """Frames Kaldi makes of ``n_samples`` (0 when shorter than one frame)."""
    length, shift = int(sr * FRAME_MS / 1000), int(sr * SHIFT_MS / 1000)
    return 0 if n_samples < length else 1 + (n_samples - length) // shift


def fbank(y: np.ndarray, sr: int = 16_000, *, n_mels: int = 80, mean_norm: bool = True) -> np.ndarray:
    """(frames, n_mels) float32 log mel energies of mono ``y``; with ``mean_norm`` each band's mean
    over the clip is removed (what CAM++ was trained with). Fewer samples than a frame: (0, n_mels)."""
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    length, shift = int(sr * FRAME_MS / 1000), int(sr * SHIFT_MS / 1000)
    count = num_frames(len(y), sr)
    if count == 0:
        return np.zeros((0, n_mels), np.float32)
    n_fft = 1 << (length - 1).bit_length()
    frames = np.lib.stride_tricks.as_strided(y, (count, length), (y.strides[0] * shift, y.strides[0])).astype(
        np.float64
    )
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames = frames - PREEMPHASIS * np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    frames = frames * povey_window(length)
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    energies = power.astype(np.float32) @ mel_banks(n_mels, n_fft, sr).T
    feats = np.log(np.maximum(energies, EPS))
    if mean_norm:
        feats = feats - feats.mean(axis=0, keepdims=True)
    return feats.astype(np.float32)
