"""Audio effects, numpy in and numpy out: ``(channels, samples)`` float32 at a sample rate.

Most effects are Spotify's ``pedalboard`` (JUCE filters, compressor, reverb...; GPL-3.0),
pitch and time go through pedalboard's Rubber Band stretcher (``pedalboard.time_stretch``:
0.01 cent error on a tone and ~4x faster than librosa's phase vocoder, see
``benchmarks/bench_sound_lab.py``), loudness is measured with ``pyloudnorm`` (ITU-R BS.1770-4)
and steep filters are scipy Butterworth sections (pedalboard's high/low-pass are first order,
6 dB/octave). Parameter names, ranges and messages for users live in ``pipelines.sound_lab``;
these functions trust their arguments.
"""

from __future__ import annotations

import numpy as np

from pipelines.core.audio import resample_array

TRUE_PEAK_OVERSAMPLE = 4  # BS.1770 true peak: the peak of the signal upsampled 4x
_TP_BLOCK = 8192
_TP_CONTEXT = 1024
_TP_MARGIN_DB = 3.5  # a block whose sample peak is this far below the ceiling cannot exceed it in true peak


def _f32(y: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(y, dtype=np.float32)


def _board(y: np.ndarray, sr: int, *plugins) -> np.ndarray:
    import pedalboard

    return _f32(pedalboard.Pedalboard(list(plugins))(_f32(y), float(sr), reset=True))


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def peak(y: np.ndarray) -> float:
    return float(max(y.max(), -y.min())) if y.size else 0.0  # no |y| copy of a long recording


def rms(y: np.ndarray) -> float:
    flat = y.reshape(-1).astype(np.float64)
    return float(np.sqrt(np.dot(flat, flat) / max(flat.size, 1)))


# --- level --------------------------------------------------------------------------------


def gain(y, sr, db: float = 0.0):
    return _f32(y * db_to_gain(db))


def normalize_peak(y, sr, dbfs: float = -1.0):
    p = peak(y)
    return _f32(y) if p == 0 else _f32(y * (db_to_gain(dbfs) / p))


def loudness(y: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS (pyloudnorm, BS.1770-4 gating); -inf for silence, nan under 0.4 s."""
    from pipelines.dsp.loudness import integrated  # pyloudnorm's figure, without its per-block loop

    if y.shape[-1] < int(0.4 * sr):
        return float("nan")
    value = integrated(y, sr)
    return value if np.isfinite(value) else float("-inf")


def true_peak_dbfs(y: np.ndarray, sr: int, above_dbfs: float | None = None) -> float:
    """Peak of the 4x-oversampled signal (BS.1770 true peak) in dBFS.

    With ``above_dbfs`` only blocks whose sample peak comes within a few dB of it are oversampled
    (the true peak cannot be far above the sample peak); the answer is exact whenever it exceeds
    ``above_dbfs``, so a ceiling check on 10 minutes costs a fraction of a full oversampling."""
    if not y.size:
        return float("-inf")
    n = y.shape[-1]
    skip_below = db_to_gain(above_dbfs - _TP_MARGIN_DB) if above_dbfs is not None else 0.0
    best = 0.0
    for start in range(0, n, _TP_BLOCK):
        block = y[:, start : start + _TP_BLOCK]
        p = float(np.max(np.abs(block)))
        best = max(best, p)
        if p <= skip_below or p == 0:
            continue
        # context either side for the resampler's filter; only this block's part of the output counts
        # (a block cut out of a loud signal starts with a step, and a step rings)
        lo, hi = max(0, start - _TP_CONTEXT), min(n, start + _TP_BLOCK + _TP_CONTEXT)
        up = resample_array(y[:, lo:hi].T, sr, sr * TRUE_PEAK_OVERSAMPLE)
        k = TRUE_PEAK_OVERSAMPLE
        own = up[(start - lo) * k : (start - lo + block.shape[-1]) * k]
        best = max(best, float(np.max(np.abs(own))))
    return float(20 * np.log10(best)) if best > 0 else float("-inf")


def normalize_loudness(y, sr, lufs: float = -16.0, true_peak_db: float = -1.0):
    """Gain to ``lufs`` integrated loudness (pyloudnorm); when the true peak would then exceed
    ``true_peak_db``, a limiter under the ceiling, the loudness measured again and made up, up to twice;
    a last gain keeps the ceiling even if that leaves the result a little quieter than asked."""
    y = _f32(y)
    current = loudness(y, sr)
    if not np.isfinite(current):  # silence or too short: nothing to measure
        return y
    y = gain(y, sr, lufs - current)
    for _ in range(2):
        if true_peak_dbfs(y, sr, above_dbfs=true_peak_db) <= true_peak_db:
            return y
        y = limiter(y, sr, threshold_db=true_peak_db - 0.5)
        now = loudness(y, sr)
        if np.isfinite(now):
            y = gain(y, sr, lufs - now)
    tp = true_peak_dbfs(y, sr, above_dbfs=true_peak_db)
    return gain(y, sr, min(0.0, true_peak_db - tp))


def compressor(
    y, sr, threshold_db: float = -20.0, ratio: float = 4.0, attack_ms: float = 5.0, release_ms: float = 100.0
):
    import pedalboard

    return _board(y, sr, pedalboard.Compressor(threshold_db, ratio, attack_ms, release_ms))


def limiter(y, sr, threshold_db: float = -1.0, release_ms: float = 100.0):
    """Peaks kept at or under ``threshold_db``. JUCE's limiter (pedalboard.Limiter) raises its output so
    the threshold lands at full scale and clips there; scaling back by the threshold puts the ceiling
    where it was asked for."""
    import pedalboard

    out = _board(y, sr, pedalboard.Limiter(threshold_db=threshold_db, release_ms=release_ms))
    return _f32(np.clip(out, -1.0, 1.0) * db_to_gain(threshold_db))


def noise_gate(
    y, sr, threshold_db: float = -50.0, ratio: float = 10.0, attack_ms: float = 1.0, release_ms: float = 100.0
):
    import pedalboard

    return _board(y, sr, pedalboard.NoiseGate(threshold_db, ratio, attack_ms, release_ms))


# --- edits --------------------------------------------------------------------------------


def fade(y, sr, in_s: float = 0.0, out_s: float = 0.0):
    y = np.array(y, dtype=np.float32)
    n = y.shape[-1]
    a, b = min(n, int(round(in_s * sr))), min(n, int(round(out_s * sr)))
    if a:
        y[:, :a] *= np.linspace(0.0, 1.0, a, dtype=np.float32)
    if b:
        y[:, n - b :] *= np.linspace(1.0, 0.0, b, dtype=np.float32)
    return y


def trim(y, sr, start_s: float = 0.0, end_s: float = 0.0):
    """Keep ``start_s`` to ``end_s`` (0: to the end)."""
    a = int(round(start_s * sr))
    b = int(round(end_s * sr)) if end_s > 0 else y.shape[-1]
    return _f32(y[:, a:b])


def trim_silence(y, sr, top_db: float = 40.0):
    """Cut leading and trailing audio quieter than ``top_db`` below the peak (librosa.effects.trim)."""
    import librosa

    _, (a, b) = librosa.effects.trim(y.mean(axis=0), top_db=top_db)
    return _f32(y[:, a:b])


def reverse(y, sr):
    return _f32(y[:, ::-1])


def mono(y, sr):
    return _f32(y.mean(axis=0, keepdims=True))


# --- pitch and time -----------------------------------------------------------------------


def _stretch(y, sr, rate: float, semitones: float):
    import pedalboard

    return _f32(
        pedalboard.time_stretch(_f32(y), float(sr), stretch_factor=float(rate), pitch_shift_in_semitones=semitones)
    )


def pitch_shift(y, sr, semitones: float = 0.0):
    """Pitch up or down by ``semitones``, duration kept (Rubber Band, formants kept)."""
    return _f32(y) if semitones == 0 else _stretch(y, sr, 1.0, semitones)


def time_stretch(y, sr, rate: float = 1.0):
    """``rate`` times faster (2: half as long), pitch kept."""
    return _f32(y) if rate == 1 else _stretch(y, sr, rate, 0.0)


def speed(y, sr, rate: float = 1.0):
    """Like a tape played ``rate`` times faster: shorter and higher (read at sr*rate, resampled to sr)."""
    if rate == 1:
        return _f32(y)
    return _f32(resample_array(y.T, sr * rate, sr).T)


def resample(y, sr, target_sr: int):
    return _f32(resample_array(y.T, sr, int(target_sr)).T)


# --- filters ------------------------------------------------------------------------------


def _butter(y, sr, kind: str, hz, order: int):
    from scipy.signal import butter, sosfilt

    sos = butter(int(order), hz, btype=kind, fs=sr, output="sos")
    return _f32(sosfilt(sos, y, axis=-1))


def highpass(y, sr, hz: float = 100.0, order: int = 4):
    """Butterworth high-pass, ``order`` x 6 dB per octave."""
    return _butter(y, sr, "highpass", hz, order)


def lowpass(y, sr, hz: float = 8000.0, order: int = 4):
    return _butter(y, sr, "lowpass", hz, order)


def bandpass(y, sr, low_hz: float = 300.0, high_hz: float = 3400.0, order: int = 4):
    return _butter(y, sr, "bandpass", (low_hz, high_hz), order)


def eq(y, sr, hz: float = 1000.0, gain_db: float = 0.0, q: float = 1.0):
    """A peaking (bell) filter: ``gain_db`` at ``hz``, width ``q``."""
    import pedalboard

    return _board(y, sr, pedalboard.PeakFilter(cutoff_frequency_hz=hz, gain_db=gain_db, q=q))


# --- space and colour ---------------------------------------------------------------------


def reverb(y, sr, room_size: float = 0.5, wet: float = 0.33, damping: float = 0.5, width: float = 1.0):
    import pedalboard

    return _board(
        y, sr, pedalboard.Reverb(room_size=room_size, damping=damping, wet_level=wet, dry_level=1 - wet, width=width)
    )


def delay(y, sr, seconds: float = 0.25, feedback: float = 0.3, mix: float = 0.3):
    import pedalboard

    return _board(y, sr, pedalboard.Delay(delay_seconds=seconds, feedback=feedback, mix=mix))


def chorus(y, sr, rate_hz: float = 1.0, depth: float = 0.25, mix: float = 0.5):
    import pedalboard

    return _board(y, sr, pedalboard.Chorus(rate_hz=rate_hz, depth=depth, mix=mix))


def distortion(y, sr, drive_db: float = 25.0):
    import pedalboard

    return _board(y, sr, pedalboard.Distortion(drive_db=drive_db))


def bitcrush(y, sr, bits: float = 8.0):
    import pedalboard

    return _board(y, sr, pedalboard.Bitcrush(bit_depth=bits))


def add_noise(y, sr, snr_db: float = 20.0, color: str = "white", seed: int = 0):
    """Add white, pink or brown noise at ``snr_db`` signal-to-noise ratio (power over the whole clip)."""
    from pipelines.dsp.synth import noise

    y = _f32(y)
    signal_rms = rms(y)
    if signal_rms == 0:
        return y
    rng = np.random.default_rng(seed)
    n = np.stack([noise(color, y.shape[-1], seed=int(rng.integers(2**31))) for _ in range(y.shape[0])])
    n *= signal_rms / (rms(n) * db_to_gain(snr_db))
    return _f32(y + n)


# --- masks (SpecAugment applied to audio) -------------------------------------------------

MASK_N_FFT = 2048
MASK_HOP = 512


def time_mask(y, sr, start_s: float = 0.0, width_s: float = 0.1):
    """Silence ``width_s`` seconds from ``start_s`` (a SpecAugment time mask, heard)."""
    y = np.array(y, dtype=np.float32)
    a = int(round(start_s * sr))
    y[:, a : a + int(round(width_s * sr))] = 0.0
    return y


def freq_mask(y, sr, low_hz: float = 1000.0, high_hz: float = 2000.0):
    """Remove a band of frequencies: STFT bins from ``low_hz`` to ``high_hz`` zeroed, inverse STFT with
    the true phase (a SpecAugment frequency mask, heard)."""
    import librosa

    y = _f32(y)
    spec = librosa.stft(y, n_fft=MASK_N_FFT, hop_length=MASK_HOP)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=MASK_N_FFT)
    spec[..., (freqs >= low_hz) & (freqs <= high_hz), :] = 0
    return _f32(librosa.istft(spec, hop_length=MASK_HOP, n_fft=MASK_N_FFT, length=y.shape[-1]))
