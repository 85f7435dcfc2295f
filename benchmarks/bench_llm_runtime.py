"""Runtimes for the bundled Gemma 3 270M GGUF, measured in one run on the same prompt: load time,
time to the first token (reading the prompt), tokens per second after it, and peak memory.

Run: ``python benchmarks/bench_llm_runtime.py [--threads N] [--tokens 64]``. Each runtime runs in
its own process (so its peak RSS is its own) through the app's own path (``AUDIO_STUDIO_LLM_RUNTIME``,
the registry's loader, ``complete`` streaming), greedy, with the same prompt (the voice-chat preamble
and a question, about 80 tokens). Runtimes that are not installed are listed as such. The reference
is ``llama-cpp-python`` (llama.cpp built from source on this machine, the optional
``requirements/llm-native.txt``); the default is ``xllamacpp`` (llama.cpp prebuilt in a wheel,
``requirements/llm.txt``).

Looked at and left out (2026-12-05): ``llama-cpp-py-sync`` (cffi over a prebuilt llama.cpp; its
"manylinux2014" wheel needs glibc 2.38, Debian 12 has 2.36), ``onnxruntime-genai`` (a wheel exists,
but it runs its own ONNX exports, not this GGUF), ``ctransformers`` (last release 2023, no Gemma 3),
transformers' GGUF path (about 9 tokens/s against llama.cpp's 60, measured before).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _common import ROOT, proc_mb

RUNTIMES = ("llama_cpp", "xllamacpp")  # AUDIO_STUDIO_LLM_RUNTIME values
QUESTION = "Why is the sky blue during the day and red at sunset?"


def run(runtime: str, n: int) -> dict:
    """The app's own path: the registry loads the bundled model on the chosen runtime, then
    ``complete`` streams the answer to the voice-chat prompt."""
    os.environ["AUDIO_STUDIO_LLM_RUNTIME"] = runtime
    from pipelines.engines import llm as lm

    t0 = time.perf_counter()
    model = lm.get(lm.BUNDLED_KEY)
    load = time.perf_counter() - t0
    prompt = lm.base_chat_prompt([{"role": "user", "content": QUESTION}])
    text, times = "", []
    t0 = time.perf_counter()
    for piece in model.complete(prompt, max_tokens=n, stop=(), temperature=0.0):
        times.append(time.perf_counter() - t0)
        text += piece
    return dict(load_s=load, times=times, text=text, runtime=type(model).__name__)


def child(name: str, threads: int, n: int) -> None:
    os.environ["AUDIO_STUDIO_LLM_THREADS"] = str(threads)
    before = proc_mb("VmRSS")
    got = run(name, n)
    times = got.pop("times")
    first = times[0] if times else float("nan")
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")
    print(
        json.dumps(
            dict(
                got,
                first_token_s=first,
                tokens=len(times),
                tokens_per_s=rate,
                peak_mb=proc_mb("VmHWM"),
                model_mb=proc_mb("VmHWM") - before,
            )
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--child", choices=RUNTIMES)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.threads, args.tokens)
        return
    print(f"load average {os.getloadavg()[0]:.2f}, {args.threads} thread(s), {args.tokens} tokens, greedy")
    rows = {}
    for name in RUNTIMES:
        p = subprocess.run(
            [sys.executable, __file__, "--child", name, "--threads", str(args.threads), "--tokens", str(args.tokens)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
        if p.returncode or not lines:
            why = (p.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name:10s} not run: {why[:120]}")
            continue
        rows[name] = r = json.loads(lines[-1])
        print(
            f"{name:10s} load {r['load_s']:5.2f} s  first token {r['first_token_s']:5.2f} s  "
            f"{r['tokens_per_s']:6.1f} tokens/s  peak RSS {r['peak_mb']:5.0f} MB  -> {r['text'][:60]!r}"
        )
    ref = rows.get("llama_cpp")
    for name, r in rows.items():
        if ref and name != "llama_cpp":
            print(
                f"{name}: {r['tokens_per_s'] / ref['tokens_per_s']:.2f}x llama-cpp-python's tokens/s, first token "
                f"{r['first_token_s'] / ref['first_token_s']:.2f}x its time, peak RSS {r['peak_mb'] - ref['peak_mb']:+.0f} MB"
            )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
