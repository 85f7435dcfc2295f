"""What a voice does: pitch contour (pYIN), range in note names, voiced share, stability, pauses,
and a named mood heuristic. Numpy in, numpy out.

pYIN runs at 16 kHz with 20 ms frames and 20-cent pitch bins: the resolution a pitch contour of
speech needs, and four times fewer Viterbi states than librosa's default 10-cent bins. Long
recordings go through in 30 s blocks (each with 1 s of context either side, so a block's frames
see what a whole-file run would), which keeps pYIN's frame matrices at a few megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SR = 16000
FRAME = 1024  # 64 ms: two periods of the lowest pitch
HOP = 320  # 20 ms
FMIN, FMAX = 65.41, 1046.5  # C2 .. C6: low male speech to high singing
RESOLUTION = 0.2  # semitones per pitch bin
BLOCK_S = 30.0
CONTEXT_S = 1.0


@dataclass
class PitchTrack:
    times: np.ndarray  # (T,) frame centres, seconds
    f0: np.ndarray  # (T,) Hz, NaN where unvoiced
    voiced_prob: np.ndarray  # (T,) 0..1

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0)


@dataclass
class PitchSummary:
    median_hz: float
    low_hz: float  # 5th percentile of the voiced frames
    high_hz: float  # 95th percentile
    median_note: str
    low_note: str
    high_note: str
    range_semitones: float
    voiced_share: float  # voiced frames / all frames
    variability_semitones: float  # standard deviation of the contour: a flat or a lively voice
    stability_percent: float  # jitter-like: mean |f0 change| between neighbouring voiced frames, % of f0


@dataclass
class Pauses:
    starts: np.ndarray
    ends: np.ndarray

    @property
    def durations(self) -> np.ndarray:
        return self.ends - self.starts

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def total(self) -> float:
        return float(self.durations.sum()) if self.count else 0.0

    @property
    def longest(self) -> float:
        return float(self.durations.max()) if self.count else 0.0


def pitch_track(y16k: np.ndarray, fmin: float = FMIN, fmax: float = FMAX) -> PitchTrack:
    """pYIN f0 of mono 16 kHz audio, block by block."""
    import librosa

    y = np.asarray(y16k, dtype=np.float32)
    n_frames = 1 + len(y) // HOP
    block, ctx = int(BLOCK_S * SR) // HOP * HOP, int(CONTEXT_S * SR) // HOP * HOP
    f0s, probs = [], []
    for start in range(0, max(len(y), 1), block):
        lo, hi = max(0, start - ctx), min(len(y), start + block + ctx)
        f0, _, prob = librosa.pyin(
            y[lo:hi], fmin=fmin, fmax=fmax, sr=SR, frame_length=FRAME, hop_length=HOP, resolution=RESOLUTION
        )
        first = (start - lo) // HOP
        count = min(block // HOP, n_frames - start // HOP)
        f0s.append(f0[first : first + count])
        probs.append(prob[first : first + count])
    f0 = np.concatenate(f0s)[:n_frames]
    prob = np.concatenate(probs)[:n_frames]
    times = np.arange(len(f0)) * HOP / SR
    return PitchTrack(times, f0.astype(np.float32), prob.astype(np.float32))


def note_name(hz: float) -> str:
    import librosa

    return str(librosa.hz_to_note(hz, unicode=False)) if np.isfinite(hz) and hz > 0 else "-"


def summarize_pitch(track: PitchTrack) -> PitchSummary | None:
    """None when fewer than 10 frames are voiced (no voice to describe)."""
    f0 = track.f0[track.voiced].astype(np.float64)
    if len(f0) < 10:
        return None
    low, med, high = np.percentile(f0, [5, 50, 95])
    semis = 12 * np.log2(f0 / med)
    both = track.voiced[1:] & track.voiced[:-1]
    steps = np.abs(np.diff(track.f0.astype(np.float64)))[both] / track.f0[1:][both]
    return PitchSummary(
        median_hz=float(med),
        low_hz=float(low),
        high_hz=float(high),
        median_note=note_name(med),
        low_note=note_name(low),
        high_note=note_name(high),
        range_semitones=float(12 * np.log2(high / low)),
        voiced_share=float(track.voiced.mean()),
        variability_semitones=float(np.std(semis)),
        stability_percent=float(100 * np.mean(steps)) if len(steps) else 0.0,
    )


def pauses(speech_regions: np.ndarray, min_pause: float = 0.25) -> Pauses:
    """The gaps between speech regions ((n, 2) seconds) of at least ``min_pause`` seconds.
    Silence before the first and after the last word is not a pause."""
    r = np.asarray(speech_regions, float).reshape(-1, 2)
    if len(r) < 2:
        return Pauses(np.zeros(0), np.zeros(0))
    starts, ends = r[:-1, 1], r[1:, 0]
    keep = ends - starts >= min_pause
    return Pauses(starts[keep], ends[keep])


# --- a named heuristic, not a model ------------------------------------------------------------

MOOD_NAMES = {  # (arousal high?, valence high?) -> words
    (True, True): "excited / happy",
    (True, False): "tense / angry",
    (False, True): "calm / content",
    (False, False): "sad / tired",
}


def _scale(x: float, lo: float, hi: float) -> float:
    """x mapped linearly from [lo, hi] to [-1, 1], clipped."""
    return float(np.clip(2 * (x - lo) / (hi - lo) - 1, -1, 1))


def mood_heuristic(
    *,
    loudness_lufs: float,
    loudness_spread_lu: float,
    pitch_variability_semitones: float | None = None,
    pitch_median_hz: float | None = None,
    rate: float | None = None,
    rate_range: tuple[float, float] = (110.0, 190.0),
    major: bool | None = None,
    brightness_hz: float | None = None,
) -> dict:
    """Arousal and valence in [-1, 1] from features, as seed 004 describes it (a rule of thumb).

    Arousal: louder, livelier (loudness varies, pitch moves), faster (words a minute or BPM).
    Valence: major mode, brighter timbre and a lively pitch count as positive; the
    weakest part of any such rule. Returns both numbers, the words for the quadrant, and the
    contribution of each feature so the user sees why."""
    parts_a: dict[str, float] = {"loudness": _scale(loudness_lufs, -35.0, -12.0)}
    parts_a["loudness movement"] = _scale(loudness_spread_lu, 2.0, 12.0)
    parts_v: dict[str, float] = {}
    if pitch_variability_semitones is not None:
        parts_a["pitch movement"] = _scale(pitch_variability_semitones, 1.0, 5.0)
        parts_v["pitch movement"] = _scale(pitch_variability_semitones, 1.0, 5.0)
    if rate is not None:
        parts_a["pace"] = _scale(rate, *rate_range)
    if major is not None:
        parts_v["mode"] = 0.6 if major else -0.6
    if brightness_hz is not None:
        parts_v["brightness"] = _scale(brightness_hz, 1000.0, 3500.0)
    if rate is not None and major is not None:
        parts_v["tempo"] = _scale(rate, *rate_range) * 0.5
    arousal = float(np.mean(list(parts_a.values())))
    valence = float(np.mean(list(parts_v.values()))) if parts_v else 0.0
    return dict(
        arousal=round(arousal, 2),
        valence=round(valence, 2),
        words=MOOD_NAMES[(arousal >= 0, valence >= 0)],
        arousal_parts={k: round(v, 2) for k, v in parts_a.items()},
        valence_parts={k: round(v, 2) for k, v in parts_v.items()},
        method="heuristic (seed 004): loudness, pitch movement and pace for arousal; mode, brightness "
        "and pitch movement for valence. A rule of thumb, not an emotion model.",
    )
