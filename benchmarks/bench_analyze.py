"""Figures for the Analyze tab, printed as ratios against references measured in the same run.

Run: ``python benchmarks/bench_analyze.py [--seconds 20] [--seeds 2] [--long-minutes 10] [--skip-speed] [--memory-only]``

1. Accuracy: tempo and key measured on the bundled composer's pieces (all 9 styles, known tempo
   and key) against what the composer chose. Tempo counts when within 2 % (and separately when
   within 5 % of the tempo, its double or its half); key when the name is the same.
2. Speed: the Analyze measurements (R128 loudness, onset envelope, tempo, beats, onsets, metre,
   chroma, key, chords, pYIN pitch) on 30 s and on a 10-minute file, against librosa's own calls
   for the same measurements (``beat_track``, ``onset_detect``, ``chroma_stft``, ``pyin`` at its
   defaults) plus pyloudnorm's integrated loudness. Bar: at most 1.2x. Also the peak memory
   (tracemalloc) of Analyze on the long file (``--memory-only`` for just that; add
   ``--reference-memory`` for librosa's too, which is slow and needs ~2 GB).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.core.audio import resample_array  # noqa: E402
from pipelines.dsp import loudness as loud  # noqa: E402
from pipelines.dsp import music, voice  # noqa: E402
from pipelines.engines.rule_composer import STYLES, compose_piece  # noqa: E402
from pipelines.engines.soundfont import render_piece  # noqa: E402


def style_prompt(name: str) -> str:
    return STYLES[name].words[0]


def accuracy(seconds: float, seeds: int) -> None:
    rows = []
    for name in STYLES:
        for seed in range(seeds):
            piece = compose_piece(style_prompt(name), seconds, seed)
            audio, sr = render_piece(piece)
            y22 = resample_array(audio.mean(axis=0), sr, music.SR)
            r = music.rhythm(y22)
            k = music.key(music.chroma(y22))
            rows.append((name, seed, piece.plan.bpm, r.bpm, r.confidence, piece.plan.key_name, k.name, k.ranking[1][0]))
    print(f"{'style':11s} seed  BPM  heard  conf  2%  5%/oct  key        heard      runner-up")
    t2 = t5 = kk = 0
    for name, seed, bpm, heard, conf, key, hkey, runner in rows:
        ok2 = abs(heard - bpm) <= 0.02 * bpm
        ok5 = music.tempo_matches(heard, bpm)
        okk = key == hkey
        t2, t5, kk = t2 + ok2, t5 + ok5, kk + okk
        print(
            f"{name:11s} {seed:4d} {bpm:4.0f} {heard:6.1f} {conf:5.2f} {'yes' if ok2 else 'NO ':3s} "
            f"{'yes' if ok5 else 'NO ':6s} {key:10s} {hkey:10s} {runner}"
        )
    n = len(rows)
    print(
        f"\nTempo within 2 %: {t2}/{n} ({t2 / n:.0%}); within 5 % or an octave: {t5}/{n} ({t5 / n:.0%}); "
        f"key exact: {kk}/{n} ({kk / n:.0%}) over {len(STYLES)} styles x {seeds} seeds"
    )


def ours(channels: np.ndarray, sr: int) -> None:
    mono = channels.mean(axis=0)
    loud.measure(channels, sr)
    y22 = resample_array(mono, sr, music.SR)
    r = music.rhythm(y22)
    c = music.chroma(y22)
    music.key(c)
    music.chords(c, r.beat_times, len(y22) / music.SR)
    voice.pitch_track(resample_array(mono, sr, voice.SR))


def librosa_reference(channels: np.ndarray, sr: int) -> None:
    import librosa
    import pyloudnorm

    mono = channels.mean(axis=0)
    pyloudnorm.Meter(sr).integrated_loudness(channels.T.astype(np.float64))
    y22 = resample_array(mono, sr, 22050)
    librosa.beat.beat_track(y=y22, sr=22050)
    librosa.onset.onset_detect(y=y22, sr=22050)
    librosa.feature.chroma_stft(y=y22, sr=22050)
    librosa.pyin(y22, fmin=voice.FMIN, fmax=voice.FMAX, sr=22050)


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def speed(long_minutes: float, reference_memory: bool = False) -> None:
    piece = compose_piece("upbeat synth pop", 30, 1)
    audio, sr = render_piece(piece)
    audio = audio.astype(np.float32)
    short = audio[:, : 30 * sr]
    warm = audio[:, : 5 * sr]
    ours(warm, sr)  # numba compiles pYIN's and the beat tracker's kernels once
    librosa_reference(warm, sr)
    reps = int(np.ceil(long_minutes * 60 / (short.shape[1] / sr)))
    long = np.tile(short, (1, reps))[:, : int(long_minutes * 60 * sr)]
    print(f"\n{'input':10s} {'Analyze':>9s} {'librosa+pyloudnorm':>19s} {'ratio':>6s}  (bar <= 1.2x)")
    for label, x in (("30 s", short), (f"{long_minutes:g} min", long)):
        a = timed(ours, x, sr)
        b = timed(librosa_reference, x, sr)
        print(f"{label:10s} {a:8.2f}s {b:18.2f}s {a / b:6.2f}x  {'ok' if a / b <= 1.2 else 'OVER'}")
    memory(long, sr, reference_memory)


def memory(long: np.ndarray, sr: int, reference_memory: bool) -> None:
    minutes = long.shape[1] / sr / 60
    print(f"\nPeak memory on {minutes:g} min (tracemalloc, beyond the {long.nbytes / 1e6:.0f} MB of samples):")
    print(f"  Analyze: {peak_mb(ours, long, sr):.0f} MB", flush=True)
    if reference_memory:  # slow (pYIN over the whole file) and large: only when asked
        print(f"  librosa+pyloudnorm: {peak_mb(librosa_reference, long, sr):.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help="only the peak memory of Analyze on the long file")
    ap.add_argument("--reference-memory", action="store_true", help="also librosa's peak memory (slow, ~2 GB)")
    args = ap.parse_args()
    if args.memory_only:
        audio, sr = render_piece(compose_piece("upbeat synth pop", 30, 1))
        reps = int(np.ceil(args.long_minutes * 2))
        memory(np.tile(audio.astype(np.float32), (1, reps))[:, : int(args.long_minutes * 60 * sr)], sr, False)
        return
    accuracy(args.seconds, args.seeds)
    if not args.skip_speed:
        speed(args.long_minutes, args.reference_memory)


if __name__ == "__main__":
    main()
