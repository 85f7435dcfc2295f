"""Visualize's features of a long recording, block by block, reduced to display resolution as they go.

``compute_features`` holds every matrix at full resolution: for 30 minutes of 44.1 kHz audio the
STFT alone is over 1 GB. :class:`StreamAnalyzer` takes the recording a block at a time
(``feed``), computes the STFT frames each block completes, and pools them straight away into at
most ``max_columns`` columns (max for the dB spectrograms, mean for MFCC and chroma, one frame a
column for the phase), as ``plots.reduce_columns`` does for short clips. The waveform is kept as a
per-pixel min/max envelope, the facts (peak, RMS, clipping, silence, BS.1770 loudness) as running
sums. Memory is then bounded by the display size and the block size, not by the recording.

What differs from the full-resolution path, for long recordings only: the matrices hold one
column per ``frame_step`` frames; the MFCCs come from mel dB floored at -100 dB re full scale
(the full path floors at -120 dB re the loudest bin, which needs the whole file first); deltas
are taken within blocks; CMVN normalises the shown columns; the spectrum is a Welch average of
65536-point Hann FFTs instead of one FFT of the whole signal.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np

from pipelines.core.audio import CLIP_LEVEL, SampleStats, sample_stats
from pipelines.dsp.features import (
    DB_FLOOR,
    SILENCE_FRAME_DBFS,
    TUNING_MAX_SECONDS,
    Features,
    SpectralParams,
    cmvn_normalize,
    mfcc_with_deltas,
    to_db,
)

WELCH_FFT = 65536
LOUDNESS_BLOCK_S = 0.4  # BS.1770 gating block; 75 % overlap -> 100 ms steps
MAX_LOUDNESS_CHANNELS = 5


def loudness_weights(n_channels: int) -> tuple[np.ndarray, str]:
    """BS.1770 channel weights and a note saying what was measured.

    Up to five channels: L, R, C, Ls, Rs (weights 1, 1, 1, 1.41, 1.41), as pyloudnorm. Six
    channels are read as 5.1 (L, R, C, LFE, Ls, Rs): the LFE is left out, as BS.1770 says. Seven
    or more: the first five channels are measured (the layout is not known), the rest left out.
    """
    if n_channels <= MAX_LOUDNESS_CHANNELS:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41][:n_channels]), ""
    if n_channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41]), "5.1: LFE (channel 4) left out"
    w = np.zeros(n_channels)
    w[:5] = [1.0, 1.0, 1.0, 1.41, 1.41]
    return w, f"first 5 of {n_channels} channels"


class LoudnessMeter:
    """ITU-R BS.1770-4 integrated loudness (pyloudnorm's K-weighting and gating), fed in blocks."""

    def __init__(self, sr: int, n_channels: int):
        import pyloudnorm
        import scipy.signal

        self._lfilter = scipy.signal.lfilter
        meter = pyloudnorm.Meter(sr)
        self.stages = [(f.b, f.a, f.passband_gain) for f in meter._filters.values()]
        self.zi = [[np.zeros(max(len(b), len(a)) - 1) for (b, a, _) in self.stages] for _ in range(n_channels)]
        self.sr = sr
        self.seg = int(round(LOUDNESS_BLOCK_S / 4 * sr))
        self.weights, self.note = loudness_weights(n_channels)
        self.carry = np.zeros((0, n_channels))
        self.segments: list[np.ndarray] = []  # per 100 ms: sum of squares per channel
        self.n = 0

    def feed(self, block: np.ndarray) -> None:
        """block: (frames, channels) float32."""
        x = block.astype(np.float64)
        for ch in range(x.shape[1]):
            for k, (b, a, gain) in enumerate(self.stages):
                y, self.zi[ch][k] = self._lfilter(b, a, x[:, ch], zi=self.zi[ch][k])
                x[:, ch] = gain * y
        self.n += len(x)
        x = np.concatenate([self.carry, x]) if len(self.carry) else x
        full = (len(x) // self.seg) * self.seg
        if full:
            self.segments.append(np.square(x[:full]).reshape(-1, self.seg, x.shape[1]).sum(axis=1))
        self.carry = x[full:]

    def integrated(self) -> float | None:
        if self.n / self.sr < LOUDNESS_BLOCK_S or not self.segments:
            return None
        seg = np.concatenate(self.segments)  # (n_segments, channels)
        n_blocks = int(np.round((self.n / self.sr - LOUDNESS_BLOCK_S) / (LOUDNESS_BLOCK_S / 4))) + 1
        n_blocks = max(1, min(n_blocks, len(seg) - 3))
        z = (seg[:n_blocks] + seg[1 : n_blocks + 1] + seg[2 : n_blocks + 2] + seg[3 : n_blocks + 3]) / (4 * self.seg)
        with np.errstate(divide="ignore"):
            lj = -0.691 + 10 * np.log10(z @ self.weights)
            gated = z[lj >= -70.0]
            if not len(gated):
                return float("-inf")
            gamma_r = -0.691 + 10 * np.log10(gated.mean(axis=0) @ self.weights) - 10.0
            keep = z[(lj > gamma_r) & (lj > -70.0)]
            if not len(keep):
                return float("-inf")
            value = -0.691 + 10 * np.log10(keep.mean(axis=0) @ self.weights)
        return float(value) if np.isfinite(value) else float("-inf")


class _Pool:
    """Columns of ``step`` frames: running max or sum (for a mean), grown as frames arrive."""

    def __init__(self, rows: int, step: int, how: str, cols: int):
        self.step, self.how = step, how
        fill = -np.inf if how == "max" else 0.0
        self.m = np.full((rows, cols), fill, np.float64)
        self.count = np.zeros(cols, np.int64)

    def add(self, first_frame: int, m: np.ndarray) -> None:
        cols = (first_frame + np.arange(m.shape[1])) // self.step
        if cols[-1] >= self.m.shape[1]:
            grow = cols[-1] + 1 - self.m.shape[1]
            fill = -np.inf if self.how == "max" else 0.0
            self.m = np.concatenate([self.m, np.full((self.m.shape[0], grow), fill)], axis=1)
            self.count = np.concatenate([self.count, np.zeros(grow, np.int64)])
        starts = np.flatnonzero(np.r_[True, np.diff(cols) > 0])
        ids = cols[starts]
        if self.how == "max":
            self.m[:, ids] = np.maximum(self.m[:, ids], np.maximum.reduceat(m, starts, axis=1))
        else:
            self.m[:, ids] += np.add.reduceat(m.astype(np.float64), starts, axis=1)
        self.count[ids] += np.diff(np.r_[starts, m.shape[1]])

    def result(self) -> np.ndarray:
        used = int(np.count_nonzero(self.count))
        m = self.m[:, :used]
        return m if self.how == "max" else m / self.count[:used]


class StreamAnalyzer:
    """Feed (frames, channels) float32 blocks of one recording, then ``finish``."""

    def __init__(
        self,
        sr: int,
        n_channels: int,
        n_samples_hint: int,
        params: SpectralParams | None = None,
        *,
        head: np.ndarray | None = None,
        max_columns: int = 1000,
        envelope_bins: int = 2000,
    ):
        p = (params or SpectralParams()).checked(sr)
        self.p, self.sr, self.n_channels = p, sr, n_channels
        n_frames = 1 + max(n_samples_hint, 1) // p.hop_length
        self.step = max(1, int(np.ceil(n_frames / max_columns)))
        cols = int(np.ceil(n_frames / self.step)) + 1
        n_bins = 1 + p.n_fft // 2
        self.stft = _Pool(n_bins, self.step, "max", cols)
        self.mel = _Pool(p.n_mels, self.step, "max", cols)
        self.mfcc = _Pool(3 * p.n_mfcc, self.step, "mean", cols)
        self.chroma = _Pool(12, self.step, "mean", cols)
        self.phase = np.zeros((n_bins, 0), np.float32)
        self.phase_cols: list[np.ndarray] = []
        self.mel_basis = librosa.filters.mel(sr=sr, n_fft=p.n_fft, n_mels=p.n_mels, fmin=p.fmin, fmax=p.fmax)
        self.tuning = self._tuning(head if head is not None else np.zeros(0, np.float32))
        # chroma CQT/CENS need context around each frame
        self.margin = (
            0 if p.chroma == "stft" else p.hop_length * int(np.ceil(max(2 * sr, 25 * p.hop_length) / p.hop_length))
        )
        # mono buffer: samples of the centre-padded signal from index buf_start
        self.buf = np.zeros(p.n_fft // 2, np.float32)
        self.buf_start = 0
        self.next_frame = 0
        self.n = 0
        self.chunk_frames = max(self.step, 2048)
        # waveform envelope
        self.env_step = max(1, max(n_samples_hint, 1) // envelope_bins)
        self.env_lo = np.full((n_channels, envelope_bins + 2), np.inf, np.float32)
        self.env_hi = np.full((n_channels, envelope_bins + 2), -np.inf, np.float32)
        # facts
        self.stats = SampleStats()
        self.sumsq = 0.0
        self.loudness = LoudnessMeter(sr, n_channels)
        self.sil_frame = max(1, int(sr * 0.02))
        self.sil_carry = np.zeros(0, np.float32)
        self.sil_total = self.sil_quiet = 0
        self.welch_carry = np.zeros(0, np.float32)
        self.welch_sum = np.zeros(WELCH_FFT // 2 + 1)
        self.welch_n = 0
        self.welch_window = np.hanning(WELCH_FFT).astype(np.float32)

    def _tuning(self, head: np.ndarray) -> float:
        p, sr = self.p, self.sr
        head = np.ascontiguousarray(head[: int(TUNING_MAX_SECONDS * sr)], dtype=np.float32)
        if len(head) < p.n_fft:
            return 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if p.chroma == "stft":
                power = np.abs(librosa.stft(head, n_fft=p.n_fft, hop_length=p.hop_length, window=p.window)) ** 2
                return float(librosa.estimate_tuning(S=power, sr=sr, n_fft=p.n_fft))
            return float(librosa.estimate_tuning(y=head, sr=sr))

    # --- feeding ----------------------------------------------------------------------

    def feed(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if not len(block):
            return
        self._envelope(block)
        self.stats += sample_stats(block)
        flat = block.reshape(-1).astype(np.float64)
        self.sumsq += float(np.dot(flat, flat))
        del flat
        self.loudness.feed(block)
        mono = block[:, 0].copy() if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
        self.n += len(mono)
        self._silence(mono)
        self._welch(mono)
        self.buf = np.concatenate([self.buf, mono])
        self._frames(final=False)

    def _envelope(self, block: np.ndarray) -> None:
        pos = self.n + np.arange(len(block))
        bins = np.minimum(pos // self.env_step, self.env_lo.shape[1] - 1)
        starts = np.flatnonzero(np.r_[True, np.diff(bins) > 0])
        ids = bins[starts]
        self.env_lo[:, ids] = np.minimum(self.env_lo[:, ids], np.minimum.reduceat(block, starts, axis=0).T)
        self.env_hi[:, ids] = np.maximum(self.env_hi[:, ids], np.maximum.reduceat(block, starts, axis=0).T)

    def _silence(self, mono: np.ndarray) -> None:
        x = np.concatenate([self.sil_carry, mono]) if len(self.sil_carry) else mono
        n = len(x) // self.sil_frame
        if n:
            frames = x[: n * self.sil_frame].reshape(n, self.sil_frame)
            rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
            self.sil_quiet += int(np.count_nonzero(to_db(rms + 1e-20) < SILENCE_FRAME_DBFS))
            self.sil_total += n
        self.sil_carry = x[n * self.sil_frame :].copy()

    def _welch(self, mono: np.ndarray) -> None:
        x = np.concatenate([self.welch_carry, mono]) if len(self.welch_carry) else mono
        k = len(x) // WELCH_FFT
        if k:
            seg = x[: k * WELCH_FFT].reshape(k, WELCH_FFT) * self.welch_window
            self.welch_sum += (np.abs(np.fft.rfft(seg, axis=1)) ** 2).sum(axis=0)
            self.welch_n += k
        self.welch_carry = x[k * WELCH_FFT :].copy()

    def _frames(self, final: bool) -> None:
        p = self.p
        total_frames = 1 + self.n // p.hop_length if final else None
        while True:
            end = self.buf_start + len(self.buf)  # padded index one past the last sample held
            avail = (end - p.n_fft - self.margin) // p.hop_length + 1 if not final else total_frames
            avail = min(avail, total_frames) if final else avail
            count = avail - self.next_frame
            if count <= 0 or (not final and count < self.chunk_frames):
                return
            count = min(count, self.chunk_frames)
            self._chunk(self.next_frame, count, final)
            self.next_frame += count
            keep_from = self.next_frame * p.hop_length - self.margin  # padded index still needed
            drop = max(0, keep_from - self.buf_start)
            if drop:
                self.buf = self.buf[drop:].copy()
                self.buf_start += drop

    def _chunk(self, f0: int, count: int, final: bool) -> None:
        p = self.p
        lo = f0 * p.hop_length - self.buf_start
        hi = lo + (count - 1) * p.hop_length + p.n_fft
        seg = self.buf[lo:hi]
        if len(seg) < hi - lo:
            seg = np.pad(seg, (0, hi - lo - len(seg)))
        spec = librosa.stft(seg, n_fft=p.n_fft, hop_length=p.hop_length, window=p.window, center=False)
        picks = np.flatnonzero((f0 + np.arange(spec.shape[1])) % self.step == 0)
        if len(picks):
            self.phase_cols.append(np.angle(spec[:, picks]).astype(np.float32))
        mag = np.abs(spec)
        del spec
        self.stft.add(f0, mag)
        power = mag**2
        del mag
        mel = self.mel_basis @ power
        self.mel.add(f0, mel)
        mel_db = 10 * np.log10(np.maximum(mel, 1e-10))
        self.mfcc.add(f0, mfcc_with_deltas(mel_db.astype(np.float32), p.n_mfcc, False))
        self.chroma.add(f0, self._chroma(f0, count, power))

    def _chroma(self, f0: int, count: int, power: np.ndarray) -> np.ndarray:
        p, sr = self.p, self.sr
        if p.chroma == "stft":
            return librosa.feature.chroma_stft(
                S=power, sr=sr, n_fft=p.n_fft, hop_length=p.hop_length, tuning=self.tuning
            )
        # samples of y (unpadded index = padded - n_fft//2) around the chunk's frame centres
        half = p.n_fft // 2
        a = max(0, f0 * p.hop_length - self.margin)
        b = (f0 + count - 1) * p.hop_length + self.margin + 1
        ya = self.buf[max(0, a + half - self.buf_start) : max(0, b + half - self.buf_start)]
        ya = ya[: max(0, min(len(ya), self.n - a))]
        fn = librosa.feature.chroma_cqt if p.chroma == "cqt" else librosa.feature.chroma_cens
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            c = fn(y=np.ascontiguousarray(ya), sr=sr, hop_length=p.hop_length, tuning=self.tuning)
        first = f0 - a // p.hop_length
        c = c[:, first : first + count]
        if c.shape[1] < count:
            c = np.pad(c, ((0, 0), (0, count - c.shape[1])), mode="edge")
        return c

    # --- results ----------------------------------------------------------------------

    def finish(self) -> tuple[Features, dict]:
        p = self.p
        self.buf = np.concatenate([self.buf, np.zeros(p.n_fft // 2 + self.margin, np.float32)])
        self._frames(final=True)
        stft_max = self.stft.result()
        top = float(stft_max.max()) or 1.0
        stft_db = np.maximum(librosa.amplitude_to_db(stft_max, ref=top, top_db=None), DB_FLOOR).astype(np.float32)
        mel_max = self.mel.result()
        mel_db = np.maximum(librosa.power_to_db(mel_max, ref=float(mel_max.max()) or 1.0, top_db=None), DB_FLOOR)
        mfcc = self.mfcc.result()
        # the full path's mel dB is re the loudest band: a constant shift, which moves c0 only
        # (orthonormal DCT-II: c0 = sum / sqrt(n_mels)); deltas do not change
        mfcc[0] -= 10 * np.log10(max(float(mel_max.max()), 1e-10)) * np.sqrt(p.n_mels)
        mfcc = mfcc.astype(np.float32)
        mfcc = cmvn_normalize(mfcc) if p.cmvn else mfcc
        chroma_m = self.chroma.result().astype(np.float32)
        phase = np.concatenate(self.phase_cols, axis=1) if self.phase_cols else np.zeros((stft_db.shape[0], 0))
        phase = phase[:, : stft_db.shape[1]].astype(np.float32)
        if self.welch_n == 0 and len(self.welch_carry):
            self._welch(np.zeros(WELCH_FFT - len(self.welch_carry), np.float32))
        mag = np.sqrt(self.welch_sum / max(self.welch_n, 1))
        ref = mag.max() if mag.max() > 0 else 1.0
        spec_db = np.maximum(to_db(np.maximum(mag, 1e-20) / ref), DB_FLOOR).astype(np.float32)
        freqs = np.fft.rfftfreq(WELCH_FFT, 1.0 / self.sr)
        feats = Features(
            self.sr, p, stft_db, phase, mel_db.astype(np.float32), mfcc, chroma_m, freqs, spec_db, self.step, self.step
        )
        used = int(np.count_nonzero(np.isfinite(self.env_lo[0])))
        n_values = self.n * self.n_channels
        if len(self.sil_carry) and self.sil_total == 0:
            self._silence(np.zeros(0, np.float32))
        facts = {
            "stats": self.stats,
            "n_samples": self.n,
            "rms": float(np.sqrt(self.sumsq / max(n_values, 1))),
            "loudness": self.loudness.integrated(),
            "loudness_note": self.loudness.note,
            "clipped_share": self.stats.clipped / max(n_values, 1),
            "silence_share": self.sil_quiet / max(self.sil_total, 1),
            "envelope": ((np.arange(used) + 0.5) * self.env_step, self.env_lo[:, :used], self.env_hi[:, :used]),
        }
        return feats, facts


__all__ = ["StreamAnalyzer", "LoudnessMeter", "loudness_weights", "CLIP_LEVEL"]
