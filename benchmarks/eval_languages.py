"""Other languages through the app against faster-whisper alone (issue 30, item 2).

    python benchmarks/eval_languages.py [--langs es,fr] [--no-english]

Recorded speech only: the Asterisk telephone prompts in tests/data/asterisk (Spanish, French,
Italian, Russian; 6 each, 8 kHz) and the LibriVox clips in tests/data/librivox (English), with the
language left to detect. For each language it prints pooled WER and CER (errors summed over the
clips, accents removed on both sides) and language-ID accuracy of

- the app: ``pipelines.transcribe.transcribe`` with its defaults (model auto, language auto), and
- the engine: Whisper base through faster-whisper called directly (beam 5, ``vad_filter=True``,
  its own language detection),

in the same run, and the ratios app / engine (WER and CER: <= 1 is as good or better).
``--engine-word-timestamps`` gives the engine the app's default ``word_timestamps=True``.

Measured 2026-12-05 (load average 13): Spanish, French, Russian and English equal to the engine
(WER 15.0, 19.3, 21.9, 1.4 %), language ID 100 % for both; Italian 18.9 % against 17.4 % from one
prompt, where the app's word timestamps (on by default, for subtitles and karaoke) make Whisper
start its next window at the last word's end (faster-whisper's own rule with word timestamps):
its last two words are decoded again differently. The engine with word timestamps writes the
app's words.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.core.audio import load_audio  # noqa: E402
from pipelines.engines.whisper import get_whisper  # noqa: E402
from pipelines.formats.text_metrics import compare, normalize_text  # noqa: E402
from pipelines.transcribe import SAMPLE_RATE, transcribe  # noqa: E402

ASTERISK = ROOT / "tests" / "data" / "asterisk"
LIBRIVOX = ROOT / "tests" / "data" / "librivox"


def plain(text: str) -> str:
    """normalize_text, then accents removed (the Spanish transcripts are written without them)."""
    decomposed = unicodedata.normalize("NFKD", normalize_text(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clips(langs: set[str] | None, english: bool) -> list[tuple[str, str, Path, str]]:
    """(language, name, path, reference) for each clip."""
    out = []
    with open(ASTERISK / "transcripts.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if langs is None or row["language"] in langs:
                out.append((row["language"], row["file"], ASTERISK / row["file"], row["text"]))
    if english:
        for wav in sorted(LIBRIVOX.glob("*.wav")):
            out.append(("en", wav.stem[-4:], wav, wav.with_suffix(".txt").read_text()))
    return out


def engine_alone(model, audio, word_timestamps: bool = False) -> tuple[str, str]:
    """faster-whisper called directly: beam 5, its VAD on, the language detected by itself."""
    segments, info = model.transcribe(audio, beam_size=5, vad_filter=True, word_timestamps=word_timestamps)
    return " ".join(s.text.strip() for s in segments), info.language


def pooled(refs: list[str], hyps: list[str]):
    return compare(" ".join(plain(r) for r in refs), " ".join(plain(h) or "" for h in hyps))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--langs", default="", help="comma-separated codes among es,fr,it,ru (default: all)")
    ap.add_argument("--no-english", action="store_true", help="leave out the LibriVox clips")
    ap.add_argument("--engine-word-timestamps", action="store_true", help="the engine with word_timestamps=True")
    args = ap.parse_args(argv)
    langs = {c.strip() for c in args.langs.split(",") if c.strip()} or None
    data = clips(langs, english=not args.no_english)
    model = get_whisper("whisper-base")
    rows: dict[str, dict[str, list]] = {}
    t_app = t_raw = 0.0
    for lang, name, path, ref in data:
        audio = load_audio(path, target_sr=SAMPLE_RATE).mono
        t0 = time.perf_counter()
        t = transcribe(audio)
        t1 = time.perf_counter()
        raw_text, raw_lang = engine_alone(model, audio, args.engine_word_timestamps)
        t2 = time.perf_counter()
        t_app, t_raw = t_app + t1 - t0, t_raw + t2 - t1
        r = rows.setdefault(lang, {"ref": [], "app": [], "raw": [], "app_id": [], "raw_id": []})
        r["ref"].append(ref)
        r["app"].append(t.text)
        r["raw"].append(raw_text)
        r["app_id"].append(t.language == lang)
        r["raw_id"].append(raw_lang == lang)
        print(
            f"  {lang} {name:32s} app [{t.language}] WER {compare(plain(ref), plain(t.text) or '').wer:6.1%} | "
            f"engine [{raw_lang}] WER {compare(plain(ref), plain(raw_text) or '').wer:6.1%}",
            flush=True,
        )
        print(f"      app:    {t.text}\n      engine: {raw_text}", flush=True)
    print(
        f"\n{'lang':4s} {'clips':>5s} {'app WER':>8s} {'eng WER':>8s} {'ratio':>6s} "
        f"{'app CER':>8s} {'eng CER':>8s} {'ratio':>6s} {'app ID':>7s} {'eng ID':>7s}"
    )
    worse = []
    all_app_id, all_raw_id = [], []
    for lang, r in rows.items():
        app, raw = pooled(r["ref"], r["app"]), pooled(r["ref"], r["raw"])
        app_id, raw_id = sum(r["app_id"]) / len(r["ref"]), sum(r["raw_id"]) / len(r["ref"])
        all_app_id += r["app_id"]
        all_raw_id += r["raw_id"]
        wr = app.wer / raw.wer if raw.wer else float("inf") if app.wer else 1.0
        cr = app.cer / raw.cer if raw.cer else float("inf") if app.cer else 1.0
        print(
            f"{lang:4s} {len(r['ref']):5d} {app.wer:8.1%} {raw.wer:8.1%} {wr:6.2f} "
            f"{app.cer:8.1%} {raw.cer:8.1%} {cr:6.2f} {app_id:7.0%} {raw_id:7.0%}"
        )
        if app.wer > raw.wer + 1e-9 or app_id < raw_id:
            worse.append(lang)
    print(
        f"language ID over all clips: app {sum(all_app_id) / len(all_app_id):.0%}, "
        f"engine {sum(all_raw_id) / len(all_raw_id):.0%}"
    )
    print(
        f"time: app {t_app:.1f} s, engine {t_raw:.1f} s (ratio {t_app / max(t_raw, 1e-9):.2f}); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("worse than the engine alone in: " + (", ".join(worse) if worse else "none"))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
