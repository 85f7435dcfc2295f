"""Live captions in a real browser: the page's microphone relay against Gradio's streaming microphone.

    python benchmarks/bench_live_browser.py [--seconds 20] [--runs idle,busy]

Chromium's simulated microphone plays the LibriVox sentence (assets/examples/speech_librivox.wav, 7.1 s,
looped) into the Live captions tab for ``--seconds``, then Stop. Two transports, in the same run:

- **relay** (the app now): the page records with an AudioWorklet and posts numbered pieces; the server
  puts them in order (``AudioInbox``); a timer shows the captions.
- **gradio-stream** (the previous transport): ``gr.Audio(streaming=True).stream(...)`` every 0.1 s into
  the same ``LiveSession``, captions returned by the handler (as the tab did before issue 29).

For each, idle and with one core kept busy by another process (``while True: pass``):

- audio received / sent: seconds the session received over seconds the browser captured (the relay
  counts its samples; for Gradio's stream, the wall time from its first piece to Stop);
- per-word lag: for each word of the final captions matched to the played speech (word ends from the
  offline tiny.en transcript of the file, looped), its first appearance on the page minus the time
  the microphone finished playing it; median and 90th percentile;
- WER of the final captions against the offline transcript of what was played.

The machine is shared: the load average is printed beside every row.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from conftest import CHROMIUM_FLAGS, SPEECH_WAV, free_port  # noqa: E402
from pipelines.formats.text_metrics import compare, normalize_text  # noqa: E402

# the captions' own text (.live-box), not the progress tracker Gradio keeps (invisible) in the block
LOG_JS = """(sel) => { window.__capLog = []; const el = document.querySelector(sel);
  const note = () => window.__capLog.push([Date.now() / 1000, el.querySelector('.live-box')?.innerText || '']);
  new MutationObserver(note).observe(el, {subtree: true, childList: true, characterData: true}); note(); }"""


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def source_words() -> tuple[list[tuple[str, float]], float]:
    """(word, end s) of the played file (offline tiny.en), and the file's length."""
    from pipelines.transcribe import TranscribeOptions, transcribe

    y, sr = sf.read(str(SPEECH_WAV), dtype="float32")
    t = transcribe(y, TranscribeOptions(model="whisper-tiny.en", language="en"), name="source")
    words = [(normalize_text(w.text), float(w.end)) for w in t.words]
    return [(w, e) for w, e in words if w], len(y) / sr


def played(words, length_s: float, seconds: float) -> list[tuple[str, float]]:
    """The words the looped file played in ``seconds``, with their end times."""
    out, k = [], 0
    while k * length_s < seconds:
        out += [(w, k * length_s + e) for w, e in words if k * length_s + e <= seconds]
        k += 1
    return out


def tokens(text: str) -> list[str]:
    return [t for t in (normalize_text(w) for w in text.split()) if t]


def lags(log, t0: float, heard: list[tuple[str, float]]) -> list[float]:
    """First appearance on the page minus the word's end in the played audio, for each matched word."""
    final = tokens(log[-1][1]) if log else []
    snaps = [(t, tokens(text)) for t, text in log]
    match = difflib.SequenceMatcher(None, final, [w for w, _ in heard], autojunk=False)
    out = []
    for a, b, n in match.get_matching_blocks():
        for i in range(n):
            j, (word, end) = a + i, heard[b + i]
            first = next((t for t, s in snaps if len(s) > j and s[j] == word), None)
            if first is not None:
                out.append(first - (t0 + end))
    return out


def old_app():
    """Gradio's streaming microphone into a LiveSession, as the tab was before issue 29."""
    import gradio as gr

    from pipelines.live_captions import LiveOptions, LiveSession
    from tabs.live_captions import captions_html

    stats = {}
    with gr.Blocks() as demo:
        mic = gr.Audio(
            sources=["microphone"],
            streaming=True,
            type="numpy",
            elem_id="old-audio",
            waveform_options=gr.WaveformOptions(show_recording_waveform=False),
        )
        captions = gr.HTML(captions_html(), elem_id="old-captions")
        state = gr.State(None)

        def on_chunk(chunk, live):
            if chunk is None:
                return gr.skip(), live
            if live is None:
                live = LiveSession(LiveOptions(), idle_s=30)
                stats["live"], stats["first"] = live, time.time() - 0.1
            live.feed(chunk[1], int(chunk[0]))
            cap = live.captioner
            changed = cap.version != getattr(live, "shown", -1)
            live.shown = cap.version
            return (captions_html(live.captions()) if changed else gr.skip()), live

        def on_stop(live):
            if live is None:
                return gr.skip(), live
            return captions_html(live.stop()), live

        mic.stream(on_chunk, [mic, state], [captions, state], stream_every=0.1, time_limit=300, concurrency_limit=None)
        mic.stop_recording(on_stop, [state], [captions, state])
    demo.queue(default_concurrency_limit=2)
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    return demo, stats


def run_relay(browser, url: str, seconds: float) -> dict:
    page = new_page(browser, url)
    page.get_by_role("tab", name="Live captions", exact=True).first.click()
    relay = page.locator("#live-relay")
    relay.wait_for(state="visible")
    page.evaluate(LOG_JS, "#live-captions")
    relay.locator(".relay-record").click()
    page.wait_for_function("() => document.querySelector('#live-relay .mic-relay')?.dataset.started")
    time.sleep(seconds)
    relay.locator(".relay-stop").click()
    page.wait_for_function(
        "() => (document.querySelector('#live-transcript textarea')?.value || '').length > 0", timeout=180_000
    )
    ds = relay.locator(".mic-relay").evaluate("e => ({...e.dataset})")
    status = page.locator("#live-status").inner_text()
    log = page.evaluate("() => window.__capLog")
    page.context.close()
    sent = int(ds["captured"]) / int(ds["rate"])
    received = int(ds["acked"]) / int(ds["rate"])  # acknowledged by the server's inbox, in order
    return dict(t0=int(ds["started"]) / 1000, sent=sent, received=received, log=log, status=status)


def run_old(browser, url: str, stats: dict, seconds: float) -> dict:
    page = new_page(browser, url, ready="#old-audio")
    page.evaluate(LOG_JS, "#old-captions")
    stats.clear()
    page.locator("#old-audio button.record-button").first.click()
    time.sleep(seconds)
    stopped = time.time()
    page.locator("#old-audio button.stop-button").first.click()
    live = stats.get("live")
    deadline = time.time() + 180
    while live is not None and not live.captions().done and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    log = page.evaluate("() => window.__capLog")
    page.context.close()
    if live is None:
        return dict(t0=stopped, sent=seconds, received=0.0, log=log, status="no piece arrived")
    return dict(
        t0=stats["first"],
        sent=stopped - stats["first"],
        received=live.captioner.audio_seconds,
        log=log,
        status="",
    )


def new_page(browser, url: str, ready: str = "#engines-footer"):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["microphone"])
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(ready, timeout=90_000)
    return page


def report(name: str, r: dict, words, length_s: float, seconds: float) -> None:
    heard = played(words, length_s, r["sent"])
    lag = lags(r["log"], r["t0"], heard)
    final = r["log"][-1][1] if r["log"] else ""
    wer = compare(" ".join(w for w, _ in heard), final).wer if heard else float("nan")
    med, p90 = (np.median(lag), np.percentile(lag, 90)) if lag else (float("nan"), float("nan"))
    received = r["received"] if r["received"] is not None else float("nan")
    print(
        f"  {name:24s} received/sent {received:5.1f}/{r['sent']:5.1f} s = {received / r['sent']:.1%}; "
        f"per-word lag median {med:.2f} s, p90 {p90:.2f} s over {len(lag)}/{len(heard)} words; "
        f"WER {wer:.1%}; {load()}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--runs", default="idle,busy")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    import app as app_module
    from pipelines.core.config import Settings

    words, length_s = source_words()
    settings = Settings(offline=True, port=free_port(), output_dir=Path(tempfile.mkdtemp()))
    demo = app_module.build_app(settings)
    app_module.launch(demo, settings, prevent_thread_lock=True, quiet=True)
    old, stats = old_app()
    print(f"Live captions in Chromium, {args.seconds:g} s of looped LibriVox speech per run; {os.cpu_count()} CPUs")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=CHROMIUM_FLAGS + [f"--use-file-for-fake-audio-capture={SPEECH_WAV}"],
        )
        run_relay(browser, demo.local_url, 3.0)  # warm: models loaded, page code cached
        for mode in [m.strip() for m in args.runs.split(",") if m.strip()]:
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if mode == "busy" else None
            try:
                print(f"{mode}{' (one core kept busy by another process)' if busy else ''}:", flush=True)
                report("relay (now)", run_relay(browser, demo.local_url, args.seconds), words, length_s, args.seconds)
                report(
                    "gradio-stream (before)",
                    run_old(browser, old.local_url, stats, args.seconds),
                    words,
                    length_s,
                    args.seconds,
                )
            finally:
                if busy is not None:
                    busy.kill()
                    busy.wait()
        browser.close()
    old.close()
    demo.close()


if __name__ == "__main__":
    main()
