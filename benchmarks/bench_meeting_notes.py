"""Meeting notes figures: time per stage and real-time factor for a long meeting, extractive path
and bundled language model; and what the notes get right on the example meeting.

Run: ``python benchmarks/bench_meeting_notes.py [--minutes 10]``. The recording is the three-voice
example meeting (``assets/examples/meeting_three_voices.wav``) repeated to the length asked. The
reference measured in the same run is the Transcribe pipeline alone (Whisper base) on the same
audio: the ratio says what speakers and notes cost on top of a plain transcript.

Quality on the example meeting (the third voice says five known sentences): how many of the known
action items, decisions and next-meeting lines each path finds, and whether owners are right.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import soundfile as sf

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from pipelines import meeting_notes as mn
from pipelines.engines import llm as lm
from pipelines.transcribe import TranscribeOptions, transcribe

EXAMPLE = ROOT / "assets" / "examples" / "meeting_three_voices.wav"
KNOWN = {
    "action_items": ["send the budget report", "check the venue"],
    "decisions": ["move the launch to March"],
    "next_meeting": ["next Tuesday"],
}


def score(notes: mn.Notes) -> str:
    found, total = 0, 0
    for section, phrases in KNOWN.items():
        texts = " | ".join(i.text for i in notes.section(section)).lower()
        for p in phrases:
            total += 1
            found += p.lower() in texts
    owner = next((i.owner for i in notes.action_items if "budget" in i.text.lower()), "")
    return f"{found}/{total} known items found; budget owner: {owner or '(none)'}"


def run(y, sr, model: str) -> mn.MeetingOutcome:
    return mn.run(y, sr, tempfile.mkdtemp(), options=mn.MeetingNotesOptions(model=model))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    a = ap.parse_args()
    clip, sr = sf.read(str(EXAMPLE), dtype="float32")
    reps = max(1, int(np.ceil(a.minutes * 60 / (len(clip) / sr))))
    y = np.concatenate([clip] * reps)[: int(a.minutes * 60 * sr)]
    dur = len(y) / sr
    print(f"meeting: {dur / 60:.1f} min ({reps} x the example meeting)")

    # warm the models so the stage times are work, not loading
    run(clip, sr, lm.NONE)
    start = time.perf_counter()
    transcribe(y, TranscribeOptions(model=mn.WHISPER_KEY, language="auto", word_timestamps=True))
    reference = time.perf_counter() - start
    print(f"reference: Transcribe pipeline alone (Whisper base)   {reference:7.1f} s   RTF {reference / dur:.3f}")

    paths = [lm.NONE] + ([lm.BUNDLED_KEY] if lm.BUNDLED.availability()[0] else [])
    if len(paths) == 1:
        print("bundled language model not installed: extractive path only")
    for key in paths:
        out = run(y, sr, key)
        r = out.result
        total = sum(s.seconds for s in r.stages)
        print(f"\n{key}: {r.notes.method}")
        for s in r.stages:
            print(f"  {s.name:18s} {s.seconds:7.1f} s   RTF {s.seconds / dur:.3f}")
        print(f"  {'total':18s} {total:7.1f} s   RTF {total / dur:.3f}   = {total / reference:.2f} x the reference")
        if key != lm.NONE:
            u = r.usage
            print(
                f"  language model: {r.parts} part(s), {u.answers if u else 0} answer(s), "
                f"{u.completion_tokens if u else 0} tokens generated at {r.tokens_per_s:.1f} tokens/s; "
                f"reading {u.prompt_tokens if u else 0} prompt tokens took {u.first_token_s if u else 0:.1f} s"
            )
        short = run(clip, sr, key).result
        print(f"  on the example meeting: {score(short.notes)}")
        if key != lm.NONE:
            print("  its summary lines: " + " / ".join(i.text for i in short.notes.summary)[:400])


if __name__ == "__main__":
    main()
