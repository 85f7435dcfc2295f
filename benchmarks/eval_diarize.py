"""Diarization quality: DER on pyannote's two-speaker sample.wav, and one-speaker checks.

Scored with pyannote.metrics' DiarizationErrorRate (collar 0.25 s, overlap scored) against
the sample's own RTTM. Prints DER with the count fixed at two and estimated (auto), and the
number of speakers auto finds on one-voice LibriVox recordings (24.7 s, x4, each clip) and
on mixes of the sample with the LibriVox reader (three voices, up to 3 minutes).

    python benchmarks/eval_diarize.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.diarize import DiarizeOptions, diarize  # noqa: E402
from pipelines.formats.der import diarization_error_rate as der  # noqa: E402
from pipelines.formats.rttm import read_rttm  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "pyannote" / "sample.wav"
LIBRIVOX = ROOT / "tests" / "data" / "librivox"
COLLAR = 0.25


def conversation(seconds: float) -> np.ndarray:
    """sample.wav and the LibriVox clips in turn, repeated up to ``seconds``: three voices."""
    parts = [sf.read(SAMPLE, dtype="float32")[0]] + [
        sf.read(p, dtype="float32")[0] for p in sorted(LIBRIVOX.glob("*.wav"))
    ]
    out, i = [], 0
    while sum(map(len, out)) < seconds * 16000:
        out.append(parts[i % len(parts)])
        i += 1
    return np.concatenate(out)[: int(seconds * 16000)]


def librivox_one_speaker() -> np.ndarray:
    return np.concatenate([sf.read(p, dtype="float32")[0] for p in sorted(LIBRIVOX.glob("*.wav"))])


def main() -> None:
    y, sr = sf.read(SAMPLE, dtype="float32")
    ref = read_rttm(SAMPLE.with_suffix(".rttm").read_text())
    print(f"sample.wav: {len(y) / sr:.1f} s, reference speakers: {len({t.speaker for t in ref})}")
    for label, opts in (("fixed 2", DiarizeOptions(num_speakers=2)), ("auto", DiarizeOptions())):
        res = diarize(y, sr, opts)
        print(
            f"  DER {label:8s} = {100 * der(ref, res.turns):5.1f} %  (collar {COLLAR} s; "
            f"{len(res.speakers)} speakers; {res.how})"
        )
    one = librivox_one_speaker()
    res = diarize(one, 16000, DiarizeOptions())
    print(
        f"one-speaker LibriVox ({len(one) / 16000:.1f} s, 5 clips joined), auto: {len(res.speakers)} speaker(s) "
        f"({res.how})"
    )
    for label, mix, truth in (
        ("sample + LibriVox reader (54.7 s)", np.concatenate([y, one]), 3),
        ("LibriVox reader x4 (98.9 s)", np.tile(one, 4), 1),
        ("conversation: sample, reader, sample, ... (180 s)", conversation(180.0), 3),
    ):
        r = diarize(mix, 16000, DiarizeOptions())
        print(f"{label}, auto: {len(r.speakers)} speaker(s), truth {truth} ({r.how})")
    for p in sorted(LIBRIVOX.glob("*.wav")):
        clip, _ = sf.read(p, dtype="float32")
        r = diarize(clip, 16000, DiarizeOptions())
        print(f"  {p.name} ({len(clip) / 16000:.1f} s), auto: {len(r.speakers)} speaker(s)")


if __name__ == "__main__":
    main()
