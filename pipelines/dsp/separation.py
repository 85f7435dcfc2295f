"""Separation without a trained model: librosa's harmonic/percussive split and REPET-SIM.

- :func:`hpss`: median filtering across time (harmonic: steady tones) and across frequency
  (percussive: clicks, drum hits) of the spectrogram, soft masks (Fitzgerald 2010, librosa).
- :func:`repet_sim`: the "vocal separation" of librosa's gallery (Rafii & Pardo 2012): frames
  that resemble other frames (nearest neighbours by cosine similarity, at least 2 s apart) are
  the repeating accompaniment; what does not repeat is the foreground, usually the voice.

Both take mono float32 and return arrays of the same length. Neither knows what a voice is.
"""

from __future__ import annotations

import numpy as np

N_FFT = 2048
HOP = 512


def hpss(y: np.ndarray, margin: float = 1.0) -> dict[str, np.ndarray]:
    import librosa

    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP)
    harmonic, percussive = librosa.decompose.hpss(stft, margin=margin)
    return {
        "harmonic": librosa.istft(harmonic, hop_length=HOP, length=len(y)).astype(np.float32),
        "percussive": librosa.istft(percussive, hop_length=HOP, length=len(y)).astype(np.float32),
    }


def repet_sim(y: np.ndarray, sr: int, min_gap_s: float = 2.0) -> dict[str, np.ndarray]:
    import librosa

    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP)
    mag, phase = librosa.magphase(stft)
    width = int(librosa.time_to_frames(min_gap_s, sr=sr, hop_length=HOP))
    if mag.shape[1] <= 2 * width + 1:
        width = max(1, mag.shape[1] // 3)
    repeating = librosa.decompose.nn_filter(mag, aggregate=np.median, metric="cosine", width=width)
    repeating = np.minimum(mag, repeating)
    voice_mask = librosa.util.softmask(mag - repeating, 10 * repeating, power=2)
    music_mask = librosa.util.softmask(repeating, 2 * (mag - repeating), power=2)
    return {
        "foreground": librosa.istft(voice_mask * stft, hop_length=HOP, length=len(y)).astype(np.float32),
        "background": librosa.istft(music_mask * stft, hop_length=HOP, length=len(y)).astype(np.float32),
    }
