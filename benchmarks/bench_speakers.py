"""Speaker figures, each beside its reference measured in the same run.

1. DER (collar 0.25 s, overlapped speech counted) of pyannote.audio offline against the bundled
   (resemblyzer) pipeline, on pyannote's sample.wav and on the overlapping conversation built from
   the repository's real voices (tests/conversation_audio.py). The ratio offline / bundled.
2. Verification equal error rate over every pair of 2 s pieces of real voices: the LibriVox reader,
   pyannote's Diane and Sheila (repository), and the Cate Blanchett and Heath Ledger clips that ship
   in the installed gradio package (read from there, not copied). Same- and different-speaker trials
   are counted, with the threshold at the EER and the false-accept / false-reject rates at the app's
   threshold (pipelines/speakers.py SpeakersOptions.threshold).
3. Identification: share of the conversation's speech time named right when the reader and Sheila
   are enrolled from other clips than the ones in it (Diane must come out "unknown").

    python benchmarks/bench_speakers.py
"""

from __future__ import annotations

import os
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np

from _common import ROOT

sys.path.insert(0, str(ROOT / "tests"))
GRADIO_AUDIO = "gradio/media_assets/audio"
PIECE_S = 2.0


def der_figures() -> None:
    import soundfile as sf

    import conversation_audio as ca
    from pipelines import diarize as dz
    from pipelines.formats.der import diarization_error_rate as der
    from pipelines.formats.rttm import read_rttm

    y, sr = sf.read(str(ROOT / "tests/data/pyannote/sample.wav"), dtype="float32")
    sample_ref = read_rttm((ROOT / "tests/data/pyannote/sample.rttm").read_text())
    conv = ca.build()
    print(f"conversation: {len(conv.audio) / sr:.1f} s, {conv.overlap_s:.1f} s of overlapped speech (reference)")
    for name, audio, ref in [("sample.wav", y, sample_ref), ("overlapping conversation", conv.audio, conv.reference)]:
        figures = {}
        for engine, fn in [("pyannote offline", dz.diarize_offline), ("bundled", dz.diarize)]:
            fn(audio[: sr * 10], sr)  # warm: models loaded before timing
            t0 = time.perf_counter()
            result = fn(audio, sr)
            seconds = time.perf_counter() - t0
            figures[engine] = der(ref, result.turns)
            print(
                f"  {name:26s} {engine:17s} DER {100 * figures[engine]:5.1f} %  speakers {len(result.speakers)}"
                f"  RTF {seconds / (len(audio) / sr):.2f}"
            )
        print(f"  {name:26s} DER offline / bundled = {figures['pyannote offline'] / max(figures['bundled'], 1e-9):.2f}")


def voices() -> dict[str, list[np.ndarray]]:
    """Speaker -> 2 s pieces of their speech (VAD), 16 kHz."""
    import importlib.util

    import librosa

    import conversation_audio as ca
    from pipelines.speakers import speech_of

    clips: dict[str, list[np.ndarray]] = {}
    for name, (speaker, _load) in ca.CLIPS.items():
        clips.setdefault(speaker, []).append(ca.clip(name))
    spec = importlib.util.find_spec("gradio")
    if spec is not None:
        folder = Path(spec.origin).parent / "media_assets" / "audio"
        for speaker, files in [("cate", ["cate_blanch.mp3", "cate_blanch_2.mp3"]), ("heath", ["heath_ledger.mp3"])]:
            for f in files:
                if (folder / f).is_file():
                    clips.setdefault(speaker, []).append(librosa.load(str(folder / f), sr=16000)[0])
    pieces: dict[str, list[np.ndarray]] = {}
    n = int(PIECE_S * 16000)
    for speaker, ys in clips.items():
        for y in ys:
            speech, _ = speech_of(y, 16000)
            pieces.setdefault(speaker, []).extend(speech[i : i + n] for i in range(0, len(speech) - n + 1, n))
    return pieces


def eer(same: np.ndarray, diff: np.ndarray) -> tuple[float, float]:
    """(equal error rate, threshold there) from same- and different-speaker scores."""
    gap, rate, at = 2.0, 1.0, 0.0
    for t in np.unique(np.concatenate([same, diff])):
        frr, far = float(np.mean(same < t)), float(np.mean(diff >= t))
        if abs(frr - far) < gap:
            gap, rate, at = abs(frr - far), (frr + far) / 2, float(t)
    return rate, at


def verification_figures() -> None:
    from pipelines.engines import campplus
    from pipelines.speakers import SpeakersOptions, unit

    pieces = voices()
    prints = [(s, unit(campplus.embed(p))) for s, ps in pieces.items() for p in ps]
    same, diff = [], []
    for (sa, a), (sb, b) in combinations(prints, 2):
        (same if sa == sb else diff).append(float(np.dot(a, b)))
    same, diff = np.array(same), np.array(diff)
    rate, at = eer(same, diff)
    threshold = SpeakersOptions().threshold
    print(
        f"verification: {len(pieces)} speakers ({', '.join(f'{s} {len(p)}' for s, p in pieces.items())} pieces"
        f" of {PIECE_S:g} s), {len(same)} same + {len(diff)} different trials"
    )
    print(
        f"  EER {100 * rate:.1f} % (threshold there {at:.3f}); mean score same {same.mean():.3f}, different {diff.mean():.3f}"
    )
    print(
        f"  at the app's threshold {threshold}: false accepts {100 * np.mean(diff >= threshold):.1f} %,"
        f" false rejects {100 * np.mean(same < threshold):.1f} %"
    )


def identification_figures() -> None:
    import conversation_audio as ca
    from pipelines import diarize as dz
    from pipelines import speakers as sp

    conv = ca.build(ca.KNOWN_TEST)
    known = sp.KnownVoices()
    for speaker, names in ca.ENROLL.items():
        for clip in names:
            known, _ = sp.enroll(known, speaker, ca.clip(clip))
    expected = {ca.READER: ca.READER, ca.SHEILA: ca.SHEILA, ca.DIANE: "unknown 1"}
    for engine, fn in [("pyannote offline", dz.diarize_offline), ("bundled", dz.diarize)]:
        result = fn(conv.audio, conv.sr)
        names = sp.name_speakers(conv.audio, conv.sr, result.turns, known)
        right = total = 0.0
        for ref in conv.reference:
            total += ref.duration
            for t in result.turns:
                ov = min(ref.end, t.end) - max(ref.start, t.start)
                if ov > 0 and names[t.speaker] == expected[ref.speaker]:
                    right += ov
        print(
            f"  identification ({engine}): {100 * min(right, total) / total:.1f} % of speech time named right; {names}"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    print(f"load average {os.getloadavg()[0]:.1f}")
    der_figures()
    verification_figures()
    print("identification (reader and Sheila enrolled from other clips, Diane unknown):")
    identification_figures()
