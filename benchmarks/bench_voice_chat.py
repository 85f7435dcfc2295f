"""Voice chat figures: time from the end of the user's speech to the first audio of the answer
(bar: median <= 3 s with the bundled engines), split by stage, and the language model's tokens/s.

Run: ``python benchmarks/bench_voice_chat.py [--language en|auto]``. The questions are the LibriVox
sentences (tests/data/librivox), fed in 0.1-s chunks at real-time pace, answered by the bundled Gemma 3
270M base and spoken by bundled Piper.

Two paths on the same clips, in the same run:
- **live** (the streaming microphone): the turn is transcribed while it is spoken
  (``TurnListener``), its end is the Silero-VAD pause (``turn_pause_s``), the answer's first clause
  is spoken as soon as it is written. End of speech = the end of the clip's last speech (VAD).
- **whole turn** (the reference: press to talk, as before): the whole recording is transcribed after
  it ends, then answered, first *sentence* spoken. End of speech = the end of the recording.
Stages: pause (waiting for the turn to end), hearing (decoding after the turn ended), first token,
first piece (first clause/sentence written), speech (Piper on it). CPU seconds of this process are
printed beside wall seconds, with the load average: the machine is shared.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from _common import librivox_speech
from pipelines import voice_chat as vc
from pipelines.engines import llm as lm
from pipelines.engines.silero_vad import speech_regions

SR = 16000
CHUNK = 1600  # 0.1 s


def live_turn(y: np.ndarray, options: vc.VoiceChatOptions, language: str) -> dict:
    listener = vc.TurnListener(language, options.turn_pause_s)
    regions = speech_regions(y)
    speech_end = float(regions[-1, 1]) if len(regions) else len(y) / SR
    padded = np.concatenate([y, np.zeros(int(4 * SR), np.float32)])  # silence after the question
    start, end_wall = time.perf_counter(), None
    for i in range(0, len(padded), CHUNK):
        wait = start + i / SR - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        listener.feed(padded[i : i + CHUNK], SR)
        if end_wall is None and (i + CHUNK) / SR >= speech_end:
            end_wall = max(time.perf_counter(), start + speech_end)  # the last word has been spoken
            cpu0 = time.process_time()
        if i / SR > speech_end and listener.turn_over():
            break
    turn_over = time.perf_counter()
    heard = listener.heard()
    heard_at = time.perf_counter()
    return answer_turn(
        heard, options, end_wall, cpu0, turn_over - end_wall, heard_at - turn_over, time.process_time() - cpu0
    )


def whole_turn(y: np.ndarray, options: vc.VoiceChatOptions, language: str) -> dict:
    start = time.perf_counter()
    time.sleep(len(y) / SR)  # the user speaks (nothing is done meanwhile), then presses stop
    end_wall, cpu0 = time.perf_counter(), time.process_time()
    heard = vc.transcribe_turn(y, SR, language)
    del start
    return answer_turn(heard, options, end_wall, cpu0, 0.0, heard.seconds, time.process_time() - cpu0)


def answer_turn(heard, options, end_wall, cpu0, pause_s, hearing_s, hearing_cpu) -> dict:
    t_answer = time.perf_counter()
    first, reply = None, None
    for reply in vc.answer([], heard.text, options, heard.language):
        if first is None and reply.audio is not None:
            first = time.perf_counter() - end_wall
            cpu = time.process_time() - cpu0
    st = reply.stats
    return dict(
        total=first if first is not None else float("nan"),
        cpu=cpu if first is not None else float("nan"),
        hearing_cpu=hearing_cpu,  # CPU seconds from the end of speech to the text (pause and hearing)
        pause=pause_s,
        hearing=hearing_s,
        first_token=st["first_token_s"],
        first_piece=st["first_piece_s"],
        speech=st["first_audio_s"] - st["first_piece_s"],
        answer_start=t_answer - end_wall,
        tok_s=st["tokens_per_s"],
        q=heard.text,
        a=reply.text,
    )


def show(name: str, r: dict) -> None:
    print(
        f"  {name:10s} end of speech -> first audio {r['total']:5.2f} s wall, {r['cpu']:5.2f} s CPU  "
        f"(pause {r['pause']:4.2f}, hearing {r['hearing']:4.2f}, first token {r['first_token']:4.2f}, "
        f"first piece {r['first_piece']:4.2f}, speech {r['speech']:4.2f}; {r['tok_s']:5.1f} tok/s; "
        f"load {os.getloadavg()[0]:.1f})  Q: {r['q'][:40]!r}  A: {r['a'][:50]!r}"
    )


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--language", default="en", help="what the user speaks: en (tiny.en) or auto (Whisper base)")
    language = ap.parse_args().language
    if not lm.BUNDLED.availability()[0]:
        raise SystemExit(f"the bundled language model is not installed: {lm.bundled_status()}")
    live_opts = vc.VoiceChatOptions(model=lm.BUNDLED_KEY, max_tokens=60)
    ref_opts = vc.VoiceChatOptions(model=lm.BUNDLED_KEY, max_tokens=60, first_clause_words=0)
    clips = librivox_speech()
    list(vc.answer([], "Hello.", live_opts, "en"))  # warm: load the model and the voice
    vc.transcribe_turn(clips[0], SR, language)
    vc.TurnListener(language).feed(clips[0][:SR], SR)
    print(f"language {language}; load average at start {os.getloadavg()}; cores {os.cpu_count()}")
    live, whole = [], []
    for y in clips:
        live.append(live_turn(y, live_opts, language))
        show("live", live[-1])
        whole.append(whole_turn(y, ref_opts, language))
        show("whole turn", whole[-1])

    def med(rows, k):
        return statistics.median(r[k] for r in rows)

    for name, rows in (("live", live), ("whole turn", whole)):
        stages = ", ".join(
            f"{k} {med(rows, k):.2f}" for k in ("pause", "hearing", "first_token", "first_piece", "speech")
        )
        print(
            f"{name}: median end of speech -> first audio {med(rows, 'total'):.2f} s wall, {med(rows, 'cpu'):.2f} s CPU "
            f"({med(rows, 'hearing_cpu'):.2f} s CPU to the text; medians: {stages}); median {med(rows, 'tok_s'):.1f} tokens/s"
        )
    m = med(live, "total")
    print(
        f"live / whole turn: {m / med(whole, 'total'):.2f}x; bar median <= 3 s: {'met' if m <= 3 else 'NOT met'} "
        f"(load average at end {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
