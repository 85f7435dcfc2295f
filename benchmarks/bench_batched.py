"""faster-whisper's BatchedInferencePipeline against sequential decoding on long recordings, in one run.

    python benchmarks/bench_batched.py [--minutes 10,30] [--model whisper-tiny.en] [--batch-size 8]

Each recording is assembled from the repository's speech exactly as eval_long_transcribe.py
does (the LibriVox reader and pyannote's two telephone speakers, seeded order, pauses of 0.3 to
8 s over a faint noise floor), so its reference text is known. Then, with the same loaded model
(int8, the app's CPU threads) and the app's options for English (beam 5, VAD filter, word
timestamps):

- sequential: what the app runs, ``pipelines.transcribe.transcribe`` (one faster-whisper call
  over the whole recording, prompts carried from window to window);
- batched: ``BatchedInferencePipeline(model).transcribe(x, batch_size=...)``: the VAD's speech
  cut into ~30-s chunks decoded ``batch_size`` at a time (no prompt carried between chunks).

It prints, per length, both wall times, their ratio and both WERs (the shared normalisation of
pipelines/formats/text_metrics.py). Batched is worth using in the app only if it is faster at a
WER no worse (within 0.3 points, the long-form bar) on this machine.

Measured 2026-12-01 (2 cores, tiny.en, batch 8, one run): 11.0 min, sequential 43.9 s WER 13.49 %,
batched 18.0 s WER 23.09 % (0.41x the time, +9.6 points); 30.8 min (load 12), sequential 192 s
WER 10.90 %, batched 378 s WER 19.57 % (1.97x, +8.7 points). Batched loses words (no prompt
carried across chunks), so the app keeps sequential decoding.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
from eval_long_transcribe import assemble

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from pipelines.engines.whisper import DEFAULT_CPU_THREADS, get_whisper  # noqa: E402
from pipelines.formats.text_metrics import compare  # noqa: E402
from pipelines.transcribe import SAMPLE_RATE, TranscribeOptions, transcribe  # noqa: E402

OPTIONS = dict(language="en", beam_size=5, vad_filter=True, word_timestamps=True)
EQUAL_WER_POINTS = 0.3


def sequential(x, key: str) -> tuple[str, float]:
    t0 = time.perf_counter()
    text = transcribe(x, TranscribeOptions(model=key, **OPTIONS)).text
    return text, time.perf_counter() - t0


def batched(x, key: str, batch_size: int) -> tuple[str, float]:
    from faster_whisper import BatchedInferencePipeline

    pipe = BatchedInferencePipeline(get_whisper(key))
    t0 = time.perf_counter()
    segments, _ = pipe.transcribe(x, batch_size=batch_size, **OPTIONS)
    text = " ".join(s.text.strip() for s in segments)
    return text, time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", default="10,30")
    p.add_argument("--model", default="whisper-tiny.en")
    p.add_argument("--batch-size", type=int, default=8)
    args = p.parse_args()
    print(
        f"model {args.model}, int8, {DEFAULT_CPU_THREADS} CPU threads, batch size {args.batch_size}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    get_whisper(args.model)  # loaded once, outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in (float(m) for m in args.minutes.split(",")):
            path = Path(tmp) / f"long-{minutes:g}.wav"
            ref = assemble(minutes, 0, path)
            x, sr = sf.read(str(path), dtype="float32")
            assert sr == SAMPLE_RATE
            seq_text, seq_s = sequential(x, args.model)
            bat_text, bat_s = batched(x, args.model, args.batch_size)
            seq, bat = compare(ref, seq_text), compare(ref, bat_text)
            gap = (bat.wer - seq.wer) * 100
            use = bat_s < seq_s and gap <= EQUAL_WER_POINTS
            print(
                f"{len(x) / SAMPLE_RATE / 60:.1f} min: sequential {seq_s:.1f} s (RTF {seq_s / (len(x) / sr):.3f}) "
                f"WER {seq.wer:.2%}; batched {bat_s:.1f} s (RTF {bat_s / (len(x) / sr):.3f}) WER {bat.wer:.2%}; "
                f"batched / sequential time {bat_s / seq_s:.2f}x, WER {gap:+.2f} points; "
                f"batched {'faster at equal WER' if use else 'not better'} here "
                f"(load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
