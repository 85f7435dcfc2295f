"""Voice chat figures: time from the end of the user's speech to the first audio of the answer
(bar: median <= 3 s with the bundled engines), split into hearing (Whisper), the language model's
first sentence and its speech, and the language model's tokens per second.

Run: ``python benchmarks/bench_voice_chat.py``. The questions are the LibriVox sentences
(tests/data/librivox), answered by the bundled Gemma 3 270M base and spoken by bundled Piper. The
reference in the same run is Piper alone speaking the answer's first sentence.
"""

from __future__ import annotations

import statistics
import time

from _common import librivox_speech
from pipelines import speak as sp
from pipelines import voice_chat as vc
from pipelines.engines import llm as lm


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--language", default="auto", help="what the user speaks: auto (Whisper base detects) or en (tiny.en)"
    )
    language = ap.parse_args().language
    if not lm.BUNDLED.availability()[0]:
        raise SystemExit(f"the bundled language model is not installed: {lm.bundled_status()}")
    options = vc.VoiceChatOptions(model=lm.BUNDLED_KEY, max_tokens=60)
    clips = librivox_speech()
    list(vc.answer([], "Hello.", options, "en"))  # warm: load the model and the voice
    vc.transcribe_turn(clips[0], 16000, language)
    rows = []
    for y in clips:
        t0 = time.perf_counter()
        heard = vc.transcribe_turn(y, 16000, language)
        first = None
        for reply in vc.answer([], heard.text, options, heard.language):
            if first is None and reply.audio is not None:
                first = time.perf_counter() - t0
        usage = reply.stats
        first_sentence = reply.text.split(". ")[0][:200] or "Hello."
        s0 = time.perf_counter()
        sp.speak(first_sentence, "piper")
        piper = time.perf_counter() - s0
        rows.append((first or float("nan"), heard.seconds, usage["first_token_s"], usage["tokens_per_s"], piper))
        print(
            f"  end of speech -> first audio {rows[-1][0]:5.2f} s  (hearing {heard.seconds:4.2f} s, first token "
            f"{usage['first_token_s']:4.2f} s, {usage['tokens_per_s']:5.1f} tok/s; Piper alone on the first "
            f"sentence {piper:4.2f} s)  Q: {heard.text[:50]!r}  A: {reply.text[:60]!r}"
        )
    med = statistics.median(r[0] for r in rows)
    print(
        f"language {language}: median end of speech -> first audio: {med:.2f} s (bar <= 3 s: {'met' if med <= 3 else 'NOT met'}); "
        f"median tokens/s {statistics.median(r[3] for r in rows):.1f}; "
        f"median Piper-alone share {statistics.median(r[4] / r[0] for r in rows):.2f}"
    )


if __name__ == "__main__":
    main()
