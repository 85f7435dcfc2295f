"""Visualize: all panels for a 30 s 44.1 kHz stereo clip and a 10-minute clip, against the
seed documents' way (librosa features + librosa.display waveshow/specshow + savefig) in the
same run.

    python benchmarks/bench_visualize.py [--long-minutes 10] [--repeats 3]

Prints seconds for each and the ratio (ours / seed way; below 1.0 means faster). Bars from
the foundation issue: no slower than the seed way, and at most 1.5 s server time for 30 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import librosa  # noqa: E402
import librosa.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import soundfile as sf  # noqa: E402

from pipelines.core.audio import load_audio  # noqa: E402
from pipelines.dsp.synth import chord, drum_loop, stereo_sweeps  # noqa: E402
from pipelines.visualize import render  # noqa: E402

SR = 44100


def make_clip(seconds: float) -> np.ndarray:
    """(n, 2) stereo music-like test signal: chords and drums left, sweeps right, some noise."""
    n = int(seconds * SR)
    music = np.tile(chord(seconds=3.0), int(np.ceil(n / (3 * SR))))[:n]
    drums = np.tile(drum_loop(), int(np.ceil(n / len(drum_loop()))))[:n]
    sweeps = np.tile(stereo_sweeps()[0], int(np.ceil(n / (4 * SR))))[:n]
    noise = 0.01 * np.random.default_rng(0).standard_normal(n)
    return np.stack([0.5 * music + 0.4 * drums + noise, 0.6 * sweeps + noise], 1).astype(np.float32)


def seed_way(path: Path, out: Path) -> None:
    """What seeds 000/003/004 do in a notebook, saving each figure as PNG."""
    y_st, sr = librosa.load(path, sr=None, mono=False)
    y = librosa.to_mono(y_st)
    figs = []
    fig = plt.figure(figsize=(16, 4))
    librosa.display.waveshow(y_st, sr=sr)
    figs.append(fig)
    window = np.hanning(len(y))
    amp_db = librosa.amplitude_to_db(np.abs(np.fft.rfft(y * window)), ref=np.max)
    fig = plt.figure(figsize=(16, 4))
    plt.plot(librosa.fft_frequencies(sr=sr, n_fft=len(y)), amp_db)
    plt.xscale("log")
    figs.append(fig)
    spec = librosa.stft(y)
    for data, kw in (
        (librosa.amplitude_to_db(np.abs(spec), ref=np.max), dict(y_axis="log")),
        (np.angle(spec), dict(y_axis="log")),
    ):
        fig = plt.figure(figsize=(16, 4))
        librosa.display.specshow(data, sr=sr, x_axis="time", **kw)
        plt.colorbar()
        figs.append(fig)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=128), ref=np.max)
    fig = plt.figure(figsize=(16, 4))
    librosa.display.specshow(mel_db, sr=sr, x_axis="time", y_axis="mel")
    plt.colorbar()
    figs.append(fig)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
    full = np.vstack([mfcc, librosa.feature.delta(mfcc), librosa.feature.delta(mfcc, order=2)])
    fig = plt.figure(figsize=(16, 4))
    librosa.display.specshow(full, sr=sr, x_axis="time")
    plt.colorbar()
    figs.append(fig)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    fig = plt.figure(figsize=(16, 4))
    librosa.display.specshow(chroma, sr=sr, x_axis="time", y_axis="chroma")
    plt.colorbar()
    figs.append(fig)
    for i, fig in enumerate(figs):
        fig.savefig(out / f"seed_{i}.png")
        plt.close(fig)


def ours(path: Path, out: Path) -> None:
    render(load_audio(path, max_seconds=None), out)


def best_of(fn, path: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            fn(path, Path(tmp))
            times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-minutes", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        short, long_ = tmp / "clip30s.wav", tmp / "clip_long.wav"
        sf.write(short, make_clip(30), SR, subtype="PCM_16")
        sf.write(long_, make_clip(args.long_minutes * 60), SR, subtype="PCM_16")
        ours(short, tmp), seed_way(short, tmp)  # warm-up: imports, font cache, numba
        print(f"{'clip':<22}{'ours (s)':>10}{'seed way (s)':>14}{'ratio':>8}")
        for label, path, repeats in (
            ("30 s stereo 44.1 kHz", short, args.repeats),
            (f"{args.long_minutes:g} min stereo 44.1 kHz", long_, 1),
        ):
            a = best_of(ours, path, repeats)
            b = best_of(seed_way, path, repeats)
            print(f"{label:<22}{a:>10.2f}{b:>14.2f}{a / b:>8.2f}", flush=True)
            if path is short:
                print(f"  bar: 30 s clip at most 1.5 s server time -> {'PASS' if a <= 1.5 else 'FAIL'} ({a:.2f} s)")
            print(f"  bar: no slower than the seed way -> {'PASS' if a <= b else 'FAIL'} (ratio {a / b:.2f})")


if __name__ == "__main__":
    main()
