"""What Whisper wrote: a segment with its words, converted from faster-whisper's, the rule that
sets aside what is more likely not speech, and decoding a passage again on its own."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipelines.engines.whisper.model import SAMPLE_RATE, transcribe_whole
from pipelines.formats.subtitles import TimedText

# A segment the model finds more likely silence than speech, and decoded without confidence, is
# left out (Whisper's "You" on a chord: 89 % no speech, log-prob -0.94); a confident one only
# when silence is very likely. Real speech before a pause can read 58 % no speech at -0.51.
NO_SPEECH_DROP = 0.5
NO_SPEECH_DROP_LOGPROB = -0.7
NO_SPEECH_SURE = 0.8


@dataclass
class SegmentInfo:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[TimedText] = field(default_factory=list)  # each with Whisper's probability


def segment_from(seg, offset: float = 0.0) -> SegmentInfo:
    return SegmentInfo(
        float(seg.start) + offset,
        float(seg.end) + offset,
        seg.text.strip(),
        float(seg.avg_logprob),
        float(seg.no_speech_prob),
        [
            TimedText(float(w.start) + offset, float(w.end) + offset, w.word, probability=float(w.probability))
            for w in (seg.words or [])
        ],
    )


def not_speech(s: SegmentInfo) -> bool:
    unsure = s.no_speech_prob > NO_SPEECH_DROP and s.avg_logprob < NO_SPEECH_DROP_LOGPROB
    return not s.text or unsure or s.no_speech_prob > NO_SPEECH_SURE


def decode_again(model, x, lo: float, hi: float, kwargs: dict, **changes) -> list[SegmentInfo]:
    """The speech segments of ``x[lo:hi]`` (seconds) decoded on their own, without the previous
    text as prompt, in the recording's times; ``changes`` override further decoding options."""
    again = dict(kwargs, condition_on_previous_text=False, initial_prompt=None, **changes)
    part = np.asarray(x[int(lo * SAMPLE_RATE) : int(hi * SAMPLE_RATE)], dtype=np.float32)
    segments, _ = transcribe_whole(model, part, **again)
    return [s for s in (segment_from(seg, lo) for seg in segments) if not not_speech(s)]
