"""Transcription quality: WER on the LibriVox clips with the bundled Whisper models.

    python benchmarks/eval_transcribe.py

Prints per-clip and pooled WER/CER (errors summed over all clips, after the shared
normalisation in pipelines/text_metrics.py) for Whisper tiny.en and base, through the app's
own pipeline (pipelines.transcribe with the app's defaults), and the same for faster-whisper
called directly (beam 5, no VAD) as the reference. Also language ID + translation of a German
sentence spoken by Debian espeak-ng. Bars (issue 3): tiny.en <= 6 %, base <= 3 %.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.core.audio import load_audio  # noqa: E402
from pipelines.engines.whisper import get_whisper  # noqa: E402
from pipelines.formats.text_metrics import compare, normalize_text  # noqa: E402
from pipelines.transcribe import SAMPLE_RATE, TranscribeOptions, transcribe  # noqa: E402

BARS = {"whisper-tiny.en": 0.06, "whisper-base": 0.03}
GERMAN = "Guten Morgen, ich heiße Anna. Heute ist das Wetter schön und wir gehen mit den Kindern in den Park."


def clips() -> list[tuple[str, object, str]]:
    out = []
    for wav in sorted((ROOT / "tests" / "data" / "librivox").glob("*.wav")):
        out.append((wav.stem[-4:], load_audio(wav, target_sr=SAMPLE_RATE).mono, wav.with_suffix(".txt").read_text()))
    return out


def pooled(refs: list[str], hyps: list[str]):
    # One comparison over the joined texts = errors summed over clips / reference words summed.
    return compare(" ".join(normalize_text(r) for r in refs), " ".join(normalize_text(h) for h in hyps))


def main() -> int:
    data = clips()
    refs = [r for _, _, r in data]
    ok = True
    print(f"{len(data)} LibriVox clips, {sum(len(normalize_text(r).split()) for r in refs)} reference words")
    for key, bar in BARS.items():
        app_hyps, raw_hyps = [], []
        for name, audio, ref in data:
            t = transcribe(audio, TranscribeOptions(model=key, language="en"))
            segs, _ = get_whisper(key).transcribe(audio, language="en", beam_size=5)
            raw = " ".join(s.text.strip() for s in segs)
            app_hyps.append(t.text)
            raw_hyps.append(raw)
            print(f"  {key:16s} clip {name}: WER {compare(ref, t.text).wer:6.1%}  | {t.text}")
        app, raw = pooled(refs, app_hyps), pooled(refs, raw_hyps)
        verdict = "PASS" if app.wer <= bar else "FAIL"
        ok &= app.wer <= bar
        print(
            f"{key}: app WER {app.wer:.2%} (CER {app.cer:.2%}); faster-whisper direct WER {raw.wer:.2%}; "
            f"bar <= {bar:.0%}: {verdict}"
        )

    exe = shutil.which("espeak-ng")
    if exe:
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "de.wav"
            subprocess.run([exe, "-v", "de", "-s", "125", "-w", str(wav), GERMAN], check=True, capture_output=True)
            audio = load_audio(wav, target_sr=SAMPLE_RATE).mono
            t = transcribe(audio, TranscribeOptions(word_timestamps=False))
            tr = transcribe(audio, TranscribeOptions(task="translate", word_timestamps=False))
        top = ", ".join(f"{c} {p:.0%}" for c, p in t.top_languages)
        print(
            f"German (espeak-ng, synthetic): detected {top}; WER {compare(GERMAN, t.text).wer:.1%}; "
            f"translation: {tr.text}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
