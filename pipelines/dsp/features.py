"""Signal facts and spectral features (seeds 000, 003, 004): numpy in, numpy out.

Everything is computed at full resolution; drawing at screen resolution is the job of
``plots.py``. The STFT is computed once and the mel spectrogram and STFT chroma reuse its
power, so a render costs one transform however many panels it shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from pipelines.core.audio import AudioInput, sample_stats
from pipelines.core.errors import UserError

WINDOWS = ("hann", "hamming", "blackman", "bartlett", "boxcar")
CHROMA_KINDS = ("stft", "cqt", "cens")
TUNING_MAX_SECONDS = 60.0  # tuning is estimated from at most this much audio (it rarely drifts)
SILENCE_FRAME_DBFS = -50.0  # a 20 ms frame quieter than this counts as silence
DB_FLOOR = -120.0


@dataclass
class SpectralParams:
    n_fft: int = 2048
    hop_length: int = 512
    window: str = "hann"
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = 0.0  # 0 or None: half the sample rate
    n_mfcc: int = 13
    cmvn: bool = False
    chroma: str = "stft"

    def checked(self, sr: int) -> SpectralParams:
        """Validated copy with fmax resolved; raises ValueError with a user-facing message."""
        nyquist = sr / 2
        if self.n_fft < 16 or self.n_fft > 65536:
            raise UserError(f"n_fft must be between 16 and 65536, got {self.n_fft}.")
        if not 1 <= self.hop_length <= self.n_fft:
            raise UserError(f"Hop length must be between 1 and n_fft ({self.n_fft}), got {self.hop_length}.")
        if self.window not in WINDOWS:
            raise UserError(f"Unknown window '{self.window}'; choose one of {', '.join(WINDOWS)}.")
        if self.chroma not in CHROMA_KINDS:
            raise UserError(f"Unknown chroma kind '{self.chroma}'; choose one of {', '.join(CHROMA_KINDS)}.")
        if not 1 <= self.n_mels <= 512:
            raise UserError(f"Number of mel bands must be between 1 and 512, got {self.n_mels}.")
        if not 1 <= self.n_mfcc <= self.n_mels:
            raise UserError(f"Number of MFCCs must be between 1 and the number of mel bands ({self.n_mels}).")
        fmax = nyquist if not self.fmax or self.fmax > nyquist else float(self.fmax)
        fmin = max(0.0, float(self.fmin or 0.0))
        if fmin >= fmax:
            raise UserError(f"fmin ({fmin:.0f} Hz) must be below fmax ({fmax:.0f} Hz).")
        return SpectralParams(
            int(self.n_fft),
            int(self.hop_length),
            self.window,
            int(self.n_mels),
            fmin,
            fmax,
            int(self.n_mfcc),
            bool(self.cmvn),
            self.chroma,
        )


@dataclass
class AudioFacts:
    sample_rate: int
    channels: int
    duration_s: float
    samples: int
    sample_format: str
    peak_dbfs: float
    rms_dbfs: float
    loudness_lufs: float | None  # None when too short for BS.1770 (under 0.4 s)
    clipped_share: float
    silence_share: float
    loudness_note: str = ""  # what the loudness measured when not every channel (5.1: LFE left out)

    def as_rows(self) -> list[tuple[str, str]]:
        def db(v: float) -> str:
            return "-inf" if not np.isfinite(v) else f"{v:.1f}"

        return [
            ("Sample rate", f"{self.sample_rate} Hz"),
            (
                "Channels",
                f"{self.channels} ({'mono' if self.channels == 1 else 'stereo' if self.channels == 2 else 'multi'})",
            ),
            ("Duration", f"{self.duration_s:.3f} s"),
            ("Samples", f"{self.samples}"),
            ("Sample format", self.sample_format),
            ("Peak", f"{db(self.peak_dbfs)} dBFS"),
            ("RMS", f"{db(self.rms_dbfs)} dBFS"),
            (
                "Integrated loudness",
                "too short (< 0.4 s)"
                if self.loudness_lufs is None
                else f"{db(self.loudness_lufs)} LUFS" + (f" ({self.loudness_note})" if self.loudness_note else ""),
            ),
            ("Clipped samples", f"{self.clipped_share:.3%}"),
            ("Silence", f"{self.silence_share:.1%}"),
        ]


def to_db(x: float | np.ndarray) -> float | np.ndarray:
    with np.errstate(divide="ignore"):
        return 20 * np.log10(x)


def audio_facts(audio: AudioInput) -> AudioFacts:
    from pipelines.dsp.loudness import integrated as integrated_loudness

    ch = audio.channels
    stats = sample_stats(ch)  # blockwise: no full-size copies of long recordings
    flat = ch.reshape(-1)
    rms = float(np.sqrt(float(np.dot(flat, flat)) / max(flat.size, 1)))
    peak = stats.peak
    loudness, note = None, ""
    if audio.duration >= 0.4 and audio.n_channels > 5:  # pyloudnorm takes five channels at most
        from pipelines.dsp.features_stream import LoudnessMeter

        meter = LoudnessMeter(audio.sr, audio.n_channels)
        meter.feed(ch.T)
        loudness, note = meter.integrated(), meter.note
    elif audio.duration >= 0.4:
        value = integrated_loudness(ch, audio.sr)  # ITU-R BS.1770-4 with gating, pyloudnorm's filters
        loudness = value if np.isfinite(value) else float("-inf")
    return AudioFacts(
        sample_rate=audio.sr,
        channels=audio.n_channels,
        duration_s=audio.duration,
        samples=audio.n_samples,
        sample_format=audio.sample_format,
        peak_dbfs=float(to_db(peak)),
        rms_dbfs=float(to_db(rms)),
        loudness_lufs=loudness,
        clipped_share=stats.clipped / max(ch.size, 1),
        silence_share=silence_share(audio.mono, audio.sr),
        loudness_note=note,
    )


def silence_share(y: np.ndarray, sr: int, frame_s: float = 0.02, threshold_dbfs: float = SILENCE_FRAME_DBFS) -> float:
    """Share of 20 ms frames whose RMS is below the threshold."""
    frame = max(1, int(sr * frame_s))
    n = len(y) // frame
    if n == 0:
        return float(to_db(np.sqrt(np.mean(y**2)) + 1e-20) < threshold_dbfs)
    frames = y[: n * frame].reshape(n, frame)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    return float(np.mean(to_db(rms + 1e-20) < threshold_dbfs))


def spectrum(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed FFT of the whole signal (seed 000): (frequencies in Hz, magnitude in dB re max)."""
    import scipy.fft  # here, not at start-up: 15 MB that a server which only transcribes never needs

    n = len(y)
    windowed = y * np.hanning(n).astype(np.float32)
    nfft = scipy.fft.next_fast_len(n, real=True)
    mag = np.abs(scipy.fft.rfft(windowed, n=nfft, workers=-1))
    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    ref = mag.max() if mag.max() > 0 else 1.0
    db = np.maximum(to_db(np.maximum(mag, 1e-20) / ref), DB_FLOOR)
    return freqs, db.astype(np.float32)


@dataclass
class Features:
    """Every matrix a Visualize render shows; frames run along the last axis."""

    sr: int
    params: SpectralParams
    stft_db: np.ndarray  # (1 + n_fft/2, frames), dB re max
    phase: np.ndarray  # (1 + n_fft/2, frames // phase_step), radians
    mel_db: np.ndarray  # (n_mels, frames), dB re max
    mfcc: np.ndarray  # (3 * n_mfcc, frames): MFCC, delta, delta-delta (CMVN optional)
    chroma: np.ndarray  # (12, frames)
    spectrum_freqs: np.ndarray
    spectrum_db: np.ndarray
    phase_step: int = 1  # >1: phase kept for every phase_step-th frame only (display)
    frame_step: int = 1  # >1: every column pools frame_step frames (a long recording, display resolution)

    @property
    def frequencies(self) -> np.ndarray:
        import librosa

        return librosa.fft_frequencies(sr=self.sr, n_fft=self.params.n_fft)

    @property
    def mel_frequencies(self) -> np.ndarray:
        import librosa

        return librosa.mel_frequencies(n_mels=self.params.n_mels, fmin=self.params.fmin, fmax=self.params.fmax)

    def times(self) -> np.ndarray:
        """Start time (s) of every STFT frame."""
        import librosa

        frames = np.arange(self.stft_db.shape[1]) * self.frame_step
        return librosa.frames_to_time(frames, sr=self.sr, hop_length=self.params.hop_length)

    def matrices(self) -> dict[str, np.ndarray]:
        return {
            "stft_db": self.stft_db,
            "phase": self.phase,
            "mel_db": self.mel_db,
            "mfcc_delta_delta2": self.mfcc,
            f"chroma_{self.params.chroma}": self.chroma,
        }


def stft(y: np.ndarray, p: SpectralParams) -> np.ndarray:
    import librosa

    return librosa.stft(y, n_fft=p.n_fft, hop_length=p.hop_length, window=p.window, center=True)


def mfcc_with_deltas(mel_db: np.ndarray, n_mfcc: int = 13, cmvn: bool = False) -> np.ndarray:
    """Seed 004's recipe: MFCC + delta + delta-delta stacked (13 -> 39 dims), optional CMVN."""
    import librosa

    coeffs = librosa.feature.mfcc(S=mel_db, n_mfcc=n_mfcc)
    width = min(9, coeffs.shape[1] if coeffs.shape[1] % 2 else coeffs.shape[1] - 1)
    if width >= 3:
        d1 = librosa.feature.delta(coeffs, width=width, order=1)
        d2 = librosa.feature.delta(coeffs, width=width, order=2)
    else:  # too few frames to differentiate
        d1 = np.zeros_like(coeffs)
        d2 = np.zeros_like(coeffs)
    stacked = np.vstack([coeffs, d1, d2]).astype(np.float32)
    return cmvn_normalize(stacked) if cmvn else stacked


def cmvn_normalize(x: np.ndarray) -> np.ndarray:
    """Cepstral mean and variance normalisation per coefficient over time."""
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    return ((x - mean) / np.where(std > 1e-8, std, 1.0)).astype(np.float32)


def chroma(y: np.ndarray, sr: int, p: SpectralParams, power: np.ndarray) -> np.ndarray:
    """Chroma of kind ``p.chroma``; STFT chroma reuses ``power`` (|STFT|^2 of y), the CQT kinds use y."""
    import librosa

    if p.chroma == "stft":
        frames = max(1, int(TUNING_MAX_SECONDS * sr / p.hop_length))
        with warnings.catch_warnings():  # silent input: "empty frequency set", tuning 0 is right
            warnings.simplefilter("ignore", UserWarning)
            tuning = librosa.estimate_tuning(S=power[:, :frames], sr=sr, n_fft=p.n_fft)
        return librosa.feature.chroma_stft(S=power, sr=sr, n_fft=p.n_fft, hop_length=p.hop_length, tuning=tuning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tuning = librosa.estimate_tuning(y=y[: int(TUNING_MAX_SECONDS * sr)], sr=sr)
    if p.chroma == "cqt":
        return librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=p.hop_length, tuning=tuning)
    return librosa.feature.chroma_cens(y=y, sr=sr, hop_length=p.hop_length, tuning=tuning)


def _match_frames(m: np.ndarray, n: int) -> np.ndarray:
    """CQT-based chroma can differ from the STFT by a frame; align for shared time axes."""
    if m.shape[1] == n:
        return m
    if m.shape[1] > n:
        return m[:, :n]
    return np.pad(m, ((0, 0), (0, n - m.shape[1])), mode="edge")


def compute_features(
    y: np.ndarray, sr: int, params: SpectralParams | None = None, phase_columns: int | None = None
) -> Features:
    """All matrices at full resolution; the phase too unless ``phase_columns`` caps it (for display:
    np.angle over every frame of a long recording costs as much as the STFT itself)."""
    import librosa

    p = (params or SpectralParams()).checked(sr)
    y = np.ascontiguousarray(y, dtype=np.float32)
    spec = stft(y, p)
    mag = np.abs(spec)
    phase_step = max(1, int(np.ceil(spec.shape[1] / phase_columns))) if phase_columns else 1
    phase = np.angle(spec[:, ::phase_step]).astype(np.float32)
    del spec
    power = mag**2
    top = float(mag.max()) or 1.0
    stft_db = np.maximum(librosa.amplitude_to_db(mag, ref=top, top_db=None), DB_FLOOR).astype(np.float32)
    del mag
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=p.n_mels, fmin=p.fmin, fmax=p.fmax)
    mel_db = np.maximum(librosa.power_to_db(mel, ref=float(mel.max()) or 1.0, top_db=None), DB_FLOOR).astype(np.float32)
    mfcc = mfcc_with_deltas(mel_db, p.n_mfcc, p.cmvn)
    chroma_m = _match_frames(chroma(y, sr, p, power=power), stft_db.shape[1]).astype(np.float32)
    freqs, spec_db = spectrum(y, sr)
    return Features(sr, p, stft_db, phase, mel_db, mfcc, chroma_m, freqs, spec_db, phase_step)


@dataclass
class PhaseLesson:
    sr: int
    original: np.ndarray
    magnitude_only: np.ndarray  # Griffin-Lim from |STFT|
    magnitude_and_phase: np.ndarray  # inverse STFT with the true phase
    seconds_used: float
    griffinlim_error_db: float  # spectral convergence of Griffin-Lim, dB (lower is closer)
    istft_error_db: float  # reconstruction error of the inverse STFT, dB re signal


def phase_lesson(
    y: np.ndarray, sr: int, params: SpectralParams | None = None, n_iter: int = 32, max_seconds: float = 15.0
) -> PhaseLesson:
    """Seed 003: rebuild a sound from magnitude alone (Griffin-Lim) and from magnitude + phase."""
    import librosa

    p = (params or SpectralParams()).checked(sr)
    y = np.ascontiguousarray(y[: int(max_seconds * sr)], dtype=np.float32)
    spec = stft(y, p)
    mag = np.abs(spec)
    kwargs = dict(hop_length=p.hop_length, n_fft=p.n_fft, window=p.window, length=len(y))
    with_phase = librosa.istft(spec, **kwargs)
    magnitude_only = librosa.griffinlim(mag, n_iter=n_iter, random_state=0, **kwargs)
    rebuilt_mag = np.abs(stft(magnitude_only, p))
    sc = np.linalg.norm(rebuilt_mag - mag) / max(np.linalg.norm(mag), 1e-12)
    err = np.linalg.norm(with_phase - y) / max(np.linalg.norm(y), 1e-12)
    return PhaseLesson(
        sr,
        y,
        magnitude_only.astype(np.float32),
        with_phase.astype(np.float32),
        len(y) / sr,
        float(to_db(max(sc, 1e-12))),
        float(to_db(max(err, 1e-12))),
    )
