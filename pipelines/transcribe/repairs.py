"""Repairs after the main decode: passages Whisper skipped, and passages where it repeated itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pipelines.engines.whisper.segments import SegmentInfo, decode_again
from pipelines.transcribe.result import Transcript

LOOP_MIN_WORDS = 8  # a loop covers at least this many words ...
LOOP_MIN_REPEATS = 4  # ... of a phrase said this many times back to back (3 for phrases of 4+ words)
LOOP_MAX_PHRASE = 12  # words in the longest phrase looked for
LOOP_PAD_S = 0.5  # decoded again from a little before the loop


@dataclass
class Loop:
    first: int  # word index where the repetition starts
    stop: int  # word index after it
    phrase: str
    repeats: int


def find_loops(words: list[str]) -> list[Loop]:
    """Runs where a phrase of 1 to 12 words repeats back to back (Whisper's failure loop:
    "the the the ...", or one sentence over and over), compared without case or punctuation."""
    norm = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    loops, i = [], 0
    while i < len(norm):
        best = None
        for n in range(1, LOOP_MAX_PHRASE + 1):
            if i + 2 * n > len(norm):
                break
            k = 1
            while norm[i + k * n : i + (k + 1) * n] == norm[i : i + n]:
                k += 1
            enough = k >= LOOP_MIN_REPEATS or (k >= 3 and n >= 4)
            if enough and k * n >= LOOP_MIN_WORDS and (best is None or k * n > best.stop - best.first):
                best = Loop(i, i + k * n, " ".join(words[i : i + n]), k)
        if best:
            loops.append(best)
            i = best.stop
        else:
            i += 1
    return loops


def loop_words(segments: list[SegmentInfo]) -> int:
    """How many words of these segments are inside repetition loops."""
    return sum(lp.stop - lp.first for lp in find_loops(" ".join(s.text for s in segments).split()))


def fix_loops(model, x, out: Transcript, kwargs: dict) -> Iterator[None]:
    """Decode each looping passage again, without the previous text as prompt and with repeated
    4-token runs forbidden (what stops Whisper's loops); keep it when it repeats itself less."""
    words = [(k, w) for k, s in enumerate(out.segments) for w in s.text.split()]
    loops = find_loops([w for _, w in words])
    for lp in reversed(loops):  # from the end, so earlier segment indices stay valid
        a, b = words[lp.first][0], words[lp.stop - 1][0]
        lo = max(0.0, out.segments[a].start - LOOP_PAD_S)
        hi = out.segments[b + 1].start if b + 1 < len(out.segments) else out.duration
        yield
        no_repeat = max(4, kwargs.get("no_repeat_ngram_size") or 0)
        fresh = decode_again(model, x, lo, hi, kwargs, no_repeat_ngram_size=no_repeat)
        old = out.segments[a : b + 1]
        where = f"{lo:.1f}-{hi:.1f} s"
        if loop_words(fresh) < loop_words(old):
            out.segments[a : b + 1] = fresh
            out.loops_fixed.insert(
                0, f"The passage at {where} repeated '{lp.phrase}' {lp.repeats} times; it was decoded again."
            )
        else:
            out.loops_fixed.insert(
                0, f"The passage at {where} repeats '{lp.phrase}' {lp.repeats} times (also when decoded again)."
            )


GAP_RECHECK_S = 10.0  # a stretch this long with no words is decoded again on its own


def fill_skipped_gaps(model, x, out: Transcript, kwargs: dict) -> Iterator[None]:
    """Decode again, on its own, each stretch of 10 s or more that got no words. Whisper conditioned
    on its own earlier text can jump over a passage that repeats what was said before (seen: 24 s
    of speech skipped when a reading was heard twice). The VAD stays on, so a real silence costs
    only its voice check and gives nothing."""
    edges = [0.0] + [t for s in out.segments for t in (s.start, s.end)] + [out.duration]
    gaps = [(a, b) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= GAP_RECHECK_S]
    for lo, hi in reversed(gaps):  # from the end, so earlier segment indices stay valid
        yield
        fresh = [s for s in decode_again(model, x, lo, hi, kwargs) if s.start >= lo - 0.5 and s.end <= hi + 0.5]
        if fresh:
            at = sum(1 for s in out.segments if s.start < lo)
            out.segments[at:at] = fresh
