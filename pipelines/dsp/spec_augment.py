"""SpecAugment (Park et al., 2019) on a mel spectrogram: time warping, frequency and time masks.

Numpy in, numpy out. Masked bins are set to exactly zero in the (power) mel spectrogram, and the
sound can be rebuilt from the masked spectrogram (librosa's mel inversion + Griffin-Lim) to hear
what a model trained on it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Mask:
    axis: str  # "time" (frames) or "freq" (mel bands)
    start: int
    width: int


@dataclass
class SpecAugmentResult:
    mel: np.ndarray  # (n_mels, frames) power, before
    augmented: np.ndarray  # after warping and masking
    masked: np.ndarray  # bool, True where a mask zeroed the bin
    masks: list[Mask] = field(default_factory=list)
    warp_from: int = 0  # the frame the warp moved ...
    warp_to: int = 0  # ... to here (equal: no warp)


def mel_power(y: np.ndarray, sr: int, n_mels: int = 80, n_fft: int = 1024, hop_length: int = 256) -> np.ndarray:
    import librosa

    return librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, power=2.0)


def time_warp(mel: np.ndarray, w: int, rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Move a random frame ``t0`` in [w, T-w) by 1 to ``w`` frames, stretching the time axis piecewise
    linearly on either side (the sparse-image-warp of the paper along time only)."""
    frames = mel.shape[1]
    if w <= 0 or frames <= 2 * w + 1:
        return mel, 0, 0
    t0 = int(rng.integers(w, frames - w))
    shift = int(rng.integers(1, w + 1)) * (1 if rng.random() < 0.5 else -1)  # never 0: a warp moves
    t1 = int(np.clip(t0 + shift, 1, frames - 2))
    out_t = np.arange(frames, dtype=np.float64)
    src = np.where(out_t <= t1, out_t * t0 / t1, t0 + (out_t - t1) * (frames - 1 - t0) / (frames - 1 - t1))
    warped = np.stack([np.interp(src, np.arange(frames), row) for row in mel])
    return warped.astype(mel.dtype), t0, t1


def spec_augment(
    mel: np.ndarray,
    *,
    time_masks: int = 2,
    time_width: int = 20,
    freq_masks: int = 2,
    freq_width: int = 10,
    warp: int = 0,
    seed: int = 0,
) -> SpecAugmentResult:
    """Warp, then zero ``freq_masks`` bands of up to ``freq_width`` mel bins and ``time_masks`` spans of
    up to ``time_width`` frames, each width drawn uniformly from 0 to its maximum (as in the paper)."""
    rng = np.random.default_rng(seed)
    n_mels, frames = mel.shape
    out, t0, t1 = time_warp(mel, warp, rng)
    out = out.copy()
    masked = np.zeros(mel.shape, dtype=bool)
    masks = []
    for axis, count, width, size in (
        ("freq", freq_masks, freq_width, n_mels),
        ("time", time_masks, time_width, frames),
    ):
        for _ in range(count):
            w = int(rng.integers(0, min(width, size) + 1))
            start = int(rng.integers(0, size - w + 1))
            masks.append(Mask(axis, start, w))
            if axis == "freq":
                masked[start : start + w, :] = True
            else:
                masked[:, start : start + w] = True
    out[masked] = 0.0
    return SpecAugmentResult(mel, out, masked, masks, t0, t1)


def mel_to_audio(mel: np.ndarray, sr: int, n_fft: int = 1024, hop_length: int = 256, n_iter: int = 32) -> np.ndarray:
    """Rebuild a sound from a power mel spectrogram (pseudo-inverse of the mel filters + Griffin-Lim)."""
    import librosa

    magnitude = librosa.feature.inverse.mel_to_stft(mel, sr=sr, n_fft=n_fft)
    y = librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=hop_length, n_fft=n_fft, random_state=0)
    return y.astype(np.float32)
