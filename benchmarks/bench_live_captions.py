"""Live captions: per-word caption lag, real-time factor, final WER and simultaneous streams.

    python benchmarks/bench_live_captions.py [--clips 5] [--streams 1,2,3,4]

The LibriVox sentences, joined (about 36 s), resampled to 48 kHz as the browser sends them, are
fed to ``LiveCaptioner`` in 100-ms chunks at real-time pace (``replay_realtime``: a chunk is fed
once its time has come, so a slow decode makes chunks queue up, as in the tab's worker thread).

1. Caption lag: for every word of the final transcript, the time from the word's end in the fed
   audio to its first appearance as text (tentative or confirmed). Median and 90th percentile,
   for tiny.en (bars: median <= 1.0 s, p90 <= 2.0 s) and for base; also how long confirmation takes.
   Reference measured in the same run: the same policy decoding a full 30-s window every time
   (what ``WhisperModel.transcribe`` does), so the ratio shows what the short window buys.
2. Real-time factor of the live decoding (decode time / audio time).
3. Final WER against offline WER of the same model on the same audio (``transcribe``, beam 5).
4. Simultaneous streams: N streams of tiny.en in threads at once (as N visitors); a stream keeps
   up when its p90 lag is <= 2 s and its lag does not grow (last third's median lag within 0.5 s of
   the first third's). Prints the largest N that keeps up.

The machine is shared: the load average before and after each part is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np
import soxr

from _common import librivox_speech, librivox_wavs
from pipelines.formats.text_metrics import compare
from pipelines.live_captions import LiveCaptioner, LiveOptions, replay_realtime
from pipelines.transcribe import TranscribeOptions, transcribe

RATE = 48000  # what the browser streams


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load average {a:.1f} {b:.1f} {c:.1f}"


def stats(lags: list[float]) -> tuple[float, float]:
    return (float(np.median(lags)), float(np.percentile(lags, 90))) if lags else (float("nan"), float("nan"))


def confirm_delays(replay) -> list[float]:
    """For every final word: when it was first shown as confirmed, minus its end in the audio."""
    out = []
    for w in replay.final.confirmed:
        for t, cap in replay.history:
            if any(c.key == w.key and abs(c.end - w.end) < 0.05 for c in cap.confirmed):
                out.append(t - w.end)
                break
    return out


def growth(replay) -> float:
    """Median lag of the last third of the words minus that of the first third (s)."""
    words = replay.final.confirmed
    pairs = [(w.end, replay.first_seen(w)) for w in words]
    lags = [seen - end for end, seen in pairs if seen is not None]
    third = max(1, len(lags) // 3)
    return float(np.median(lags[-third:]) - np.median(lags[:third])) if lags else float("nan")


def offline_wer(speech: list[np.ndarray], ref: str, model: str) -> tuple[float, float]:
    """Offline WER (beam 5, the Transcribe tab's defaults): on the joined recording, and clip by clip."""
    options = TranscribeOptions(model=model, language="en")
    joined = compare(ref, transcribe(np.concatenate(speech), options).text).wer
    per_clip = compare(ref, " ".join(transcribe(x, options).text for x in speech)).wer
    return joined, per_clip


def run_one(audio48, ref: str, options: LiveOptions, label: str, offline: tuple[float, float] | None = None) -> dict:
    cap = LiveCaptioner(options)  # model loaded before the clock starts
    print(f"  [{label}] {load()} before", flush=True)
    r = replay_realtime(audio48, RATE, captioner=cap)
    med, p90 = stats(r.lags())
    cmed, cp90 = stats(confirm_delays(r))
    wer = compare(ref, r.final.confirmed_text).wer
    row = dict(label=label, median=med, p90=p90, confirm_median=cmed, confirm_p90=cp90, rtf=r.final.rtf, wer=wer)
    line = (
        f"  [{label}] lag median {med:.2f} s, p90 {p90:.2f} s; confirmed after median {cmed:.2f} s, p90 {cp90:.2f} s; "
        f"RTF {r.final.rtf:.3f}; {r.final.decodes} decodes; WER {wer:.1%}"
    )
    if offline is not None:
        line += (
            f" (offline on the same recording {offline[0]:.1%}: {(wer - offline[0]) * 100:+.1f} points; "
            f"offline clip by clip {offline[1]:.1%}: {(wer - offline[1]) * 100:+.1f} points)"
        )
    print(line + f"; stable confirmed text: {r.confirmed_never_changed()}; {load()} after", flush=True)
    return row


def streams_at_once(audio48, n: int) -> list[dict]:
    caps = [LiveCaptioner(LiveOptions()) for _ in range(n)]
    results: list = [None] * n

    def go(i: int) -> None:
        time.sleep(0.05 * i)
        results[i] = replay_realtime(audio48, RATE, captioner=caps[i])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = []
    for r in results:
        med, p90 = stats(r.lags())
        rows.append(dict(median=med, p90=p90, growth=growth(r), rtf=r.final.rtf))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=5)
    ap.add_argument("--streams", default="1,2,3,4")
    ap.add_argument("--skip-base", action="store_true")
    args = ap.parse_args()
    speech = librivox_speech()[: args.clips]
    x = np.concatenate(speech)
    ref = " ".join(w.with_suffix(".txt").read_text().strip() for w in librivox_wavs()[: args.clips])
    audio48 = soxr.resample(x, 16000, RATE).astype(np.float32)
    print(
        f"Live captions on {len(x) / 16000:.1f} s of LibriVox speech, 100-ms chunks at 48 kHz, real time; {os.cpu_count()} CPUs"
    )

    print("1-3. Lag, real-time factor, WER (one stream)")
    off_tiny = offline_wer(speech, ref, "whisper-tiny.en")
    tiny = run_one(audio48, ref, LiveOptions(), "tiny.en, short window", off_tiny)
    full = run_one(audio48, ref, LiveOptions(short_window=False), "tiny.en, 30-s window every decode (reference)")
    print(
        f"  short window vs 30-s window: median lag x{tiny['median'] / full['median']:.2f}, "
        f"p90 x{tiny['p90'] / full['p90']:.2f}, RTF x{tiny['rtf'] / full['rtf']:.2f}"
    )
    ok = tiny["median"] <= 1.0 and tiny["p90"] <= 2.0
    print(f"  bars (tiny.en: median <= 1.0 s, p90 <= 2.0 s): {'met' if ok else 'NOT met'}")
    if not args.skip_base:
        off_base = offline_wer(speech, ref, "whisper-base")
        run_one(audio48, ref, LiveOptions(model="whisper-base", language="en"), "base", off_base)

    print("4. Simultaneous tiny.en streams (threads in this process, as the tab's visitors)")
    best = 0
    for n in [int(s) for s in args.streams.split(",") if s.strip()]:
        before = load()
        rows = streams_at_once(audio48, n)
        keeps = all(r["p90"] <= 2.0 and r["growth"] <= 0.5 for r in rows)
        best = n if keeps and best == n - 1 or (keeps and n == 1) else best
        worst = max(rows, key=lambda r: r["p90"])
        print(
            f"  {n} at once: lag median {np.median([r['median'] for r in rows]):.2f} s, worst p90 {worst['p90']:.2f} s, "
            f"lag growth (last third - first third) max {max(r['growth'] for r in rows):+.2f} s, "
            f"RTF each {np.mean([r['rtf'] for r in rows]):.3f}: {'keeps up' if keeps else 'falls behind'} "
            f"({before} before, {load()} after)",
            flush=True,
        )
    print(f"  streams this machine keeps up with now: {best}")


if __name__ == "__main__":
    main()
