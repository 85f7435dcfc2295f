"""Classify and Zero-shot speed on a 10 s clip, against references measured in the same run.

    python benchmarks/bench_classify.py [--seconds 10] [--repeats 15]

Prints the best of N runs (models already loaded: what every request after the first costs;
the minimum, because on a shared machine the other runs measure the neighbours) and ratios:

- YAMNet front end (numpy) / librosa's mel spectrogram of the same recipe (the reference
  front end; below 1.0 means ours is faster);
- YAMNet whole (resample + front end + ONNX) / the ONNX engine alone on ready patches
  (what our wrapping adds); bar: at most 0.2 s for 10 s;
- offline zero-shot whole / YAMNet whole (what label matching adds); bar: at most 0.5 s;
- BirdNET whole / the LiteRT interpreter alone; language ID once.

It also prints the one-off costs: loading each model and embedding the 521 class names.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines import (
    classify,
    zero_shot,  # noqa: E402
)
from pipelines.core.audio import AudioInput, load_audio, resample_mono  # noqa: E402
from pipelines.core.registry import REGISTRY  # noqa: E402
from pipelines.engines import birdnet, minilm, yamnet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def clip(seconds: float) -> AudioInput:
    """Speech (LibriVox) then music (the project's drum loop) at 44.1 kHz, as an upload would be."""
    speech = load_audio(ROOT / "assets/examples/speech_librivox.wav", target_sr=44100).mono
    drums = load_audio(ROOT / "assets/examples/drum_loop.wav").mono
    y = np.concatenate([speech, np.tile(drums, 4)])[: int(seconds * 44100)]
    return AudioInput(y[None, :].astype(np.float32), 44100, "FLOAT", "bench.wav")


def best_time(fn, repeats: int) -> float:
    fn()  # warm caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--repeats", type=int, default=15)
    a = p.parse_args()
    import librosa

    audio = clip(a.seconds)
    y16 = resample_mono(audio, yamnet.SAMPLE_RATE)
    print(f"clip: {audio.duration:.1f} s at {audio.sr} Hz (speech, then drums)")

    print("\none-off costs (first use)")
    print(f"  load YAMNet int8 ONNX          {once(lambda: REGISTRY.get(yamnet.MODEL_KEY)):7.3f} s")
    print(f"  load BirdNET TFLite            {once(lambda: REGISTRY.get(birdnet.MODEL_KEY)):7.3f} s")
    print(f"  load MiniLM sentence model     {once(lambda: REGISTRY.get(minilm.MODEL_KEY)):7.3f} s")
    emb = REGISTRY.get(minilm.MODEL_KEY)
    print(
        f"  embed 521 AudioSet names       {once(lambda: emb.encode(list(yamnet.class_names()))):7.3f} s"
        " (then cached in memory and on disk)"
    )
    print(f"  load Whisper base              {once(lambda: classify.get_whisper(classify.LANGUAGE_MODEL_KEY)):7.3f} s")

    model = REGISTRY.get(yamnet.MODEL_KEY)
    patches = yamnet.log_mel_patches(y16)
    t_front = best_time(lambda: yamnet.log_mel_patches(y16), a.repeats)
    t_librosa = best_time(
        lambda: librosa.feature.melspectrogram(
            y=y16,
            sr=16000,
            n_fft=512,
            hop_length=160,
            win_length=400,
            window="hann",
            center=False,
            power=1.0,
            n_mels=64,
            fmin=125,
            fmax=7500,
            htk=True,
            norm=None,
        ),
        a.repeats,
    )
    t_engine = best_time(lambda: model.logits(patches), a.repeats)
    t_yamnet = best_time(lambda: classify.classify(audio, "sound-events"), a.repeats)
    t_zero = best_time(lambda: zero_shot.zero_shot(audio, zero_shot.SEED_LABELS, engine="offline"), a.repeats)
    bird = REGISTRY.get(birdnet.MODEL_KEY)
    chunks = birdnet.chunk(resample_mono(audio, birdnet.SAMPLE_RATE))
    t_bird_engine = best_time(lambda: bird.logits(chunks), max(3, a.repeats // 2))
    t_bird = best_time(lambda: classify.classify(audio, "birds"), max(3, a.repeats // 2))
    t_lang = best_time(lambda: classify.classify(audio, "language"), 3)

    print(f"\nbest of {a.repeats} runs, models loaded ({len(patches)} YAMNet patches, {len(chunks)} BirdNET chunks)")
    rows = [
        ("YAMNet front end (numpy)", t_front, "librosa mel, same recipe", t_librosa),
        ("YAMNet whole, front end included", t_yamnet, "ONNX engine alone", t_engine),
        ("offline zero-shot, 2 labels", t_zero, "YAMNet whole", t_yamnet),
        ("BirdNET whole", t_bird, "LiteRT interpreter alone", t_bird_engine),
    ]
    for name, ours, ref_name, ref in rows:
        print(f"  {name:34s} {ours:7.3f} s   ratio {ours / ref:5.2f} vs {ref_name} ({ref:.3f} s)")
    print(f"  {'spoken language (Whisper base)':34s} {t_lang:7.3f} s")
    print(
        f"\nbars: YAMNet whole {t_yamnet:.3f} s <= 0.2 s: {'PASS' if t_yamnet <= 0.2 else 'FAIL'}; "
        f"offline zero-shot {t_zero:.3f} s <= 0.5 s: {'PASS' if t_zero <= 0.5 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
