"""Hands-free voice chat in a real browser: the page's microphone relay against Gradio's streaming microphone.

    python benchmarks/bench_voice_browser.py [--turns 3] [--runs idle,busy]

Chromium's simulated microphone plays a question (the LibriVox sentence, 7.1 s) then 2.5 s of silence, in
a loop. The Voice chat tab (alone, answering through the stand-in language-model server of the tests,
so the figure is the app's own part: transport, turn-taking, hearing, speech synthesis) is built twice in
one process: as it is now (the relay), and as it was before issue 29 (``gr.Audio(streaming=True)``, the
tab's source at commit 50fe1f3, read from git). For each, idle and with one core kept busy:

- end of speech to first audio: when the first spoken sentence of the answer is ready on the server,
  minus the time the question ended in the played audio (from pressing Record; the question's last word
  ends at its offline tiny.en time), median over ``--turns`` visits (each a new page: Record, the
  first answer, Stop);
- the question heard: WER of each turn's words against the sentence;
- audio received / sent (the relay's own counts; Gradio's stream has none).

The machine is shared: the load average is printed beside every row.
"""

from __future__ import annotations

import argparse
import importlib.util
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

from llm_server import StandIn  # noqa: E402

from conftest import CHROMIUM_FLAGS, SPEECH_WAV, free_port  # noqa: E402
from pipelines import voice_chat as vc  # noqa: E402
from pipelines.formats.text_metrics import compare  # noqa: E402

SENTENCE = (
    "and mr john dashwood had then leisure to consider how much there might be prudently in his power to do for them"
)
BEFORE = "50fe1f3"  # the last commit with Gradio's streaming microphone in the Voice chat tab
PAUSE_S = 2.5
EVENTS: list[tuple[float, str]] = []  # (time the first sentence's audio was ready, the question heard)


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def watch_answers() -> None:
    """Note when each answer's first audio is ready (the tab calls pipelines.voice_chat.answer_with)."""
    original = vc.answer_with

    def timed(model, history, user_text, o, language):
        first = True
        for reply in original(model, history, user_text, o, language):
            if first and reply.audio is not None:
                EVENTS.append((time.time(), user_text))
                first = False
            yield reply

    vc.answer_with = timed


def speech_end() -> float:
    from pipelines.transcribe import TranscribeOptions, transcribe

    y, sr = sf.read(str(SPEECH_WAV), dtype="float32")
    return float(transcribe(y, TranscribeOptions(model="whisper-tiny.en", language="en")).words[-1].end)


def tab_module(before: bool):
    if not before:
        from tabs import voice_chat

        return voice_chat
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:tabs/voice_chat.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "voice_chat_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("tabs.voice_chat_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chat_app(module, server):
    import gradio as gr

    import app as app_module
    from pipelines.core.config import Settings
    from tabs.common import TabContext

    settings = Settings(
        offline=True, port=free_port(), output_dir=Path(tempfile.mkdtemp()), llm_url=server.url, llm_models=("echo",)
    )
    with gr.Blocks() as demo:
        with gr.Tab(module.TITLE):
            module.build(TabContext(settings))
    app_module.launch(demo, settings, prevent_thread_lock=True, quiet=True)
    return demo


def run(browser, url: str, before: bool, turns: int, end_s: float) -> dict:
    """``turns`` visits: each presses Record, waits for the first answer's audio, stops."""
    out = dict(delays=[], wers=[], received=0.0, sent=0.0)
    for _ in range(turns):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["microphone"])
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("#vc-chat")
        page.locator("#vc-language input").click()
        page.get_by_role("option", name="English (en)", exact=True).click()
        EVENTS.clear()
        pressed = time.time()
        if before:
            page.locator("#vc-hands-free button.record-button").first.click()
        else:
            page.locator("#vc-relay .relay-record").click()
        deadline = time.time() + 90
        while not EVENTS and time.time() < deadline:
            time.sleep(0.05)
        if before:
            page.locator("#vc-hands-free button.stop-button").first.click()
        else:
            page.locator("#vc-relay .relay-stop").click()
            page.wait_for_function("() => document.querySelector('#vc-relay .mic-relay')?.dataset.sentAll")
            data = page.locator("#vc-relay .mic-relay").evaluate("e => ({...e.dataset})")
            out["received"] += int(data["acked"]) / int(data["rate"])
            out["sent"] += int(data["captured"]) / int(data["rate"])
        context.close()
        if EVENTS:
            t, text = EVENTS[0]
            out["delays"].append(t - (pressed + end_s))
            out["wers"].append(compare(SENTENCE, text).wer)
    if before:
        del out["received"], out["sent"]
    return out


def report(name: str, r: dict, turns: int) -> None:
    d = r["delays"]
    med = float(np.median(d)) if d else float("nan")
    wer = float(np.mean(r["wers"])) if r["wers"] else float("nan")
    audio = (
        f"received/sent {r['received']:.1f}/{r['sent']:.1f} s = {r['received'] / r['sent']:.1%}; "
        if "sent" in r
        else "received/sent not counted; "
    )
    print(
        f"  {name:24s} {audio}{len(d)}/{turns} turns answered; end of speech -> first audio median {med:.2f} s "
        f"({', '.join(f'{x:.2f}' for x in d)}); question WER {wer:.1%}; {load()}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--runs", default="idle,busy")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    y, sr = sf.read(str(SPEECH_WAV), dtype="float32")
    wav = Path(tempfile.mkdtemp()) / "question-then-pause.wav"
    sf.write(wav, np.concatenate([y, np.zeros(int(PAUSE_S * sr), np.float32)]), sr)
    end_s = speech_end()
    watch_answers()
    server = StandIn()
    now, before = chat_app(tab_module(False), server), chat_app(tab_module(True), server)
    print(
        f"Hands-free voice chat in Chromium, {args.turns} turns a run; question ends at {end_s:.2f} s; {os.cpu_count()} CPUs"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=CHROMIUM_FLAGS + [f"--use-file-for-fake-audio-capture={wav}"],
        )
        for mode in [m.strip() for m in args.runs.split(",") if m.strip()]:
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if mode == "busy" else None
            try:
                print(f"{mode}{' (one core kept busy by another process)' if busy else ''}:", flush=True)
                report("relay (now)", run(browser, now.local_url, False, args.turns, end_s), args.turns)
                report("gradio-stream (before)", run(browser, before.local_url, True, args.turns, end_s), args.turns)
            finally:
                if busy is not None:
                    busy.kill()
                    busy.wait()
        browser.close()
    now.close()
    before.close()
    server.close()


if __name__ == "__main__":
    main()
