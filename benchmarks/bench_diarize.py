"""Diarization speed and memory on 2 CPU threads, against the recipe it replaces.

Prints, for the bundled engine (diarization alone: VAD + embeddings + clustering + clean-up,
models already loaded):
- real-time factor (processing seconds / audio seconds) on pyannote's 30 s sample and on a
  3-minute conversation made of the sample and LibriVox clips (the bar: <= 0.25 on 2 cores);
- the same work done the seed/DESIGN way (``VoiceEncoder.embed_utterance`` called once per
  1.5 s window, each window's mel computed on its own) measured in this run, as a ratio;
- peak resident memory of a fresh process that loads the models and diarizes 3 minutes, next
  to the same process before diarizing (each in its own subprocess, VmHWM from /proc).

    python benchmarks/bench_diarize.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

THREADS = 2
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from eval_diarize import conversation  # noqa: E402  (same folder)

from _common import ROOT, proc_mb

SAMPLE = ROOT / "tests" / "data" / "pyannote" / "sample.wav"


def best_of(fn, repeats: int = 3) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of that run): CPU time shows the cost when the shared
    machine is busy with other work."""
    runs = []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(runs)


def seed_way(y: np.ndarray, window_s: float = 1.5, step_s: float = 0.25) -> np.ndarray:
    """DESIGN.md's measured recipe as first written: VAD, then embed_utterance per window."""
    from pipelines.diarize import ENCODER_KEY, REGISTRY
    from pipelines.engines.silero_vad import speech_regions

    encoder = REGISTRY.get(ENCODER_KEY)
    embeds = []
    for a, b in speech_regions(y):
        t = a
        while t + window_s <= b or t == a:
            embeds.append(encoder.embed_utterance(y[int(t * 16000) : int((t + window_s) * 16000)]))
            t += step_s
    return np.array(embeds)


def memory_child(mode: str) -> None:
    import torch

    torch.set_num_threads(THREADS)
    from pipelines.diarize import ENCODER_KEY, REGISTRY, diarize

    REGISTRY.get(ENCODER_KEY)
    REGISTRY.get("silero-vad")
    if mode == "diarize":
        diarize(conversation(180.0))
    print(json.dumps({"peak_mb": proc_mb("VmHWM")}))


def peak_mb(mode: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--memory", mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]


def main() -> None:
    import torch

    torch.set_num_threads(THREADS)
    from pipelines.diarize import ENCODER_KEY, REGISTRY, DiarizeOptions, diarize

    REGISTRY.get(ENCODER_KEY)
    sample = sf.read(SAMPLE, dtype="float32")[0]
    long = conversation(180.0)
    diarize(sample)  # warm-up
    print(f"threads: {torch.get_num_threads()} (torch), cores seen: {os.cpu_count()}")
    for name, y, opts in (
        ("sample.wav 30 s, auto", sample, DiarizeOptions()),
        ("sample.wav 30 s, 2 given", sample, DiarizeOptions(num_speakers=2)),
        ("conversation 180 s, auto", long, DiarizeOptions()),
    ):
        t, cpu = best_of(lambda y=y, opts=opts: diarize(y, options=opts))
        print(
            f"  bundled diarization, {name:26s}: {t:6.2f} s  RTF {t / (len(y) / 16000):.3f}  "
            f"(CPU {cpu:.2f} s = {cpu / THREADS / (len(y) / 16000):.3f} of 2 cores x audio time)"
        )
    t_ours, _ = best_of(lambda: diarize(sample, options=DiarizeOptions(num_speakers=2)))
    t_seed, _ = best_of(lambda: seed_way(sample), repeats=1)
    print(
        f"  seed way (embed_utterance per window, embeddings only), sample.wav: {t_seed:6.2f} s  RTF {t_seed / 30:.3f}"
    )
    print(f"  speed-up of the whole bundled diarization over the seed way's embeddings alone: {t_seed / t_ours:.1f}x")
    idle, busy = peak_mb("load"), peak_mb("diarize")
    print(
        f"peak RSS: models loaded {idle:.0f} MB; after diarizing 180 s {busy:.0f} MB "
        f"(+{busy - idle:.0f} MB for the work)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        memory_child(sys.argv[2])
    else:
        main()
