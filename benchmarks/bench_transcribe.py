"""Transcription speed and memory, against faster-whisper called directly in the same run.

    python benchmarks/bench_transcribe.py [--repeats 3]

1. Real-time factor on 30 s of speech (the LibriVox clips joined) with Whisper tiny.en, int8,
   2 CPU threads: faster-whisper called directly vs the app end to end (the whole app served
   in this process as in the tests, called over HTTP through gradio_client: upload, decode,
   transcribe with the same options, write the five files, return). Both use the same loaded
   WhisperModel, so the difference is the app's own work. Calls alternate; medians and
   minimums are compared (the minimum is the least disturbed by other load on the machine).
   Bars (issue 3): RTF <= 0.10 and app time <= direct time + 10 %.
2. Peak resident memory (VmHWM) of a fresh app process after transcribing the 30 s with
   Whisper base, and then with the default 'auto' model (base detects, tiny.en transcribes),
   against a bare faster-whisper process holding base. Bar: <= 700 MB with base loaded.
3. With --long-minutes N: the same fresh-app peak for N minutes of speech with Whisper base, as
   a 16 kHz mono WAV and as a 44.1 kHz stereo MP3. The tab converts uploads to 16 kHz mono on
   disk block by block and Whisper reads ~2-minute blocks, so the peak should not grow with the
   length. Bar (issue 3): a 30-minute recording within 700 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from _common import ROOT, free_port, librivox_speech, proc_mb, wait_http_200

THREADS = 2
SECONDS = 30.0
OPTIONS = dict(language="en", beam_size=5, vad_filter=True, word_timestamps=True)  # the app's defaults for English

RAW_BASE = """
import sys, soundfile as sf
sys.path.insert(0, {root!r})
from faster_whisper import WhisperModel
from pipelines.engines.whisper import base_model_path
m = WhisperModel(str(base_model_path()), device="cpu", compute_type="int8", cpu_threads={threads})
x, _ = sf.read({wav!r}, dtype="float32")
list(m.transcribe(x, language="en", beam_size=5, vad_filter=True, word_timestamps=True)[0])
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the (bigger) parent.
print([int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0])
"""


def speech_30s(path: Path) -> np.ndarray:
    clips = librivox_speech()
    gap = np.zeros(int(0.3 * 16000), np.float32)
    out: list[np.ndarray] = []
    while sum(len(c) for c in out) < SECONDS * 16000:
        for c in clips:
            out += [c, gap]
    audio = np.concatenate(out)[: int(SECONDS * 16000)]
    sf.write(path, audio, 16000)
    return audio


def vm(pid: int, field: str) -> float:
    return proc_mb(field, pid)


def call_transcribe(client, wav: Path, **kwargs) -> float:
    from gradio_client import handle_file

    t0 = time.perf_counter()
    result = client.predict(handle_file(str(wav)), api_name="/transcribe", **kwargs)
    elapsed = time.perf_counter() - t0
    assert "dashwood" in result[0].lower(), result[0]
    return elapsed


class InProcessApp:
    """The whole app served from this process (as tests/conftest.py does), offline."""

    def __init__(self):
        from gradio_client import Client

        import app as app_module
        from pipelines.core.config import Settings

        settings = Settings(offline=True, port=free_port(), output_dir=Path(tempfile.mkdtemp(prefix="bench-out-")))
        self.demo = app_module.build_app(settings)
        app_module.launch(self.demo, settings, prevent_thread_lock=True, quiet=True)
        self.client = Client(self.demo.local_url, verbose=False, download_files=False)

    transcribe = lambda self, wav, **kwargs: call_transcribe(self.client, wav, **kwargs)  # noqa: E731

    def close(self):
        self.demo.close()


class AppServer:
    """`python app.py --offline` in a subprocess (for its memory)."""

    def __init__(self):
        self.port = free_port()
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", AUDIO_STUDIO_CPU_THREADS=str(THREADS))
        self.proc = subprocess.Popen(
            [sys.executable, "app.py", "--offline", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{self.port}/"
        wait_http_200(url, self.proc)
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False)  # as a browser: files fetched on click

    transcribe = lambda self, wav, **kwargs: call_transcribe(self.client, wav, **kwargs)  # noqa: E731

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def bench_speed(wav: Path, audio: np.ndarray, repeats: int) -> bool:
    from pipelines.engines.whisper import get_whisper

    app = InProcessApp()
    model = get_whisper("whisper-tiny.en")  # the WhisperModel the app uses (int8, THREADS threads)
    try:
        app_kwargs = dict(model="whisper-tiny.en", **OPTIONS)
        app.transcribe(wav, **app_kwargs)  # warm: model loaded, caches filled
        list(model.transcribe(audio, **OPTIONS)[0])
        direct, end_to_end, cpu_direct, cpu_app = [], [], [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            list(model.transcribe(audio, **OPTIONS)[0])
            direct.append(time.perf_counter() - t0)
            cpu_direct.append(time.process_time() - c0)
            c0 = time.process_time()  # this process holds the server and the client: all of the app's CPU
            end_to_end.append(app.transcribe(wav, **app_kwargs))
            cpu_app.append(time.process_time() - c0)
    finally:
        app.close()
    d, e = statistics.median(direct), statistics.median(end_to_end)
    rtf, overhead = d / SECONDS, e / d - 1
    min_overhead = min(end_to_end) / min(direct) - 1
    print(
        f"30 s of speech, Whisper tiny.en int8, {THREADS} threads, {repeats} alternating runs (medians); "
        f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs:"
    )
    print(f"  faster-whisper direct: {d:.2f} s  RTF {rtf:.3f}   (runs: {', '.join(f'{x:.2f}' for x in direct)})")
    print(
        f"  app end to end (HTTP): {e:.2f} s  RTF {e / SECONDS:.3f}   (runs: {', '.join(f'{x:.2f}' for x in end_to_end)})"
    )
    cd, ca = statistics.median(cpu_direct), statistics.median(cpu_app)
    print(
        f"  CPU seconds (all threads, less disturbed by other load): direct {cd:.2f}, app {ca:.2f}, "
        f"app / direct {ca / cd:.3f} ({ca / cd - 1:+.1%})"
    )
    print(
        f"  app / direct: medians {e / d:.3f} ({overhead:+.1%}), minimums {min_overhead + 1:.3f} ({min_overhead:+.1%})"
    )
    print(
        f"  bars: RTF <= 0.10 "
        f"{'PASS' if e / SECONDS <= 0.10 else 'FAIL'} (app), overhead <= +10% {'PASS' if overhead <= 0.10 else 'FAIL'}"
    )
    return e / SECONDS <= 0.10 and overhead <= 0.10


def bench_memory(wav: Path) -> bool:
    raw = subprocess.run(
        [sys.executable, "-c", RAW_BASE.format(root=str(ROOT), threads=THREADS, wav=str(wav))],
        capture_output=True,
        text=True,
        check=True,
    )
    raw_mb = float(raw.stdout.strip().splitlines()[-1])
    app = AppServer()
    try:
        idle = vm(app.proc.pid, "VmRSS")
        time.sleep(8)  # the app warms its numeric libraries up in the background after launch
        idle_warm = vm(app.proc.pid, "VmRSS")
        app.transcribe(wav, model="whisper-base", language="en")
        base_peak = vm(app.proc.pid, "VmHWM")
        app.transcribe(wav)  # default: auto (base detects, tiny.en transcribes English)
        both_peak = vm(app.proc.pid, "VmHWM")
    finally:
        app.close()
    print("Peak resident memory (VmHWM):")
    print(f"  bare faster-whisper process with base: {raw_mb:.0f} MB")
    print(
        f"  app idle {idle:.0f} MB at its first HTTP 200, {idle_warm:.0f} MB after its warm-up; app after 30 s with Whisper base: {base_peak:.0f} MB "
        f"({base_peak / raw_mb:.2f}x bare); bar <= 700 MB {'PASS' if base_peak <= 700 else 'FAIL'}"
    )
    print(f"  app after also running the default 'auto' (base + tiny.en loaded): {both_peak:.0f} MB")
    return base_peak <= 700


def long_recording(minutes: float, tmp: Path, sr: int, channels: int, ext: str) -> Path:
    """The LibriVox clips repeated for ``minutes``, written as a user might upload them."""
    clips = librivox_speech()
    one = np.concatenate(clips + [np.zeros(8000, np.float32)])
    n = int(minutes * 60 * 16000)
    x = np.tile(one, n // len(one) + 1)[:n]
    if sr != 16000:
        from pipelines.core.audio import resample_array

        x = resample_array(x, 16000, sr)
    path = tmp / f"long-{sr}-{channels}ch.{ext}"
    with sf.SoundFile(path, "w", sr, channels, format=ext.upper()) as f:
        for start in range(0, len(x), sr * 60):  # a minute at a time (MP3 encoding is slow in one go)
            part = x[start : start + sr * 60]
            f.write(np.repeat(part[:, None], channels, 1))
    return path


def bench_long(minutes: float, tmp: Path) -> bool:
    """Fresh app, Whisper base, a long recording: 16 kHz mono WAV, and 44.1 kHz stereo MP3."""
    ok = True
    for sr, channels, ext in [(16000, 1, "wav"), (44100, 2, "mp3")]:
        path = long_recording(minutes, tmp, sr, channels, ext)
        app = AppServer()
        try:
            time.sleep(8)  # its warm-up, as in bench_memory
            t0 = time.perf_counter()
            app.transcribe(path, model="whisper-base", language="en")
            elapsed = time.perf_counter() - t0
            peak = vm(app.proc.pid, "VmHWM")
        finally:
            app.close()
        decoded = minutes * 60 * sr * channels * 4 / 1e6
        print(
            f"{minutes:g} min of speech ({sr / 1000:g} kHz, {channels} ch {ext.upper()}, {path.stat().st_size / 1e6:.0f} MB file, "
            f"{decoded:.0f} MB decoded as float32) with Whisper base through the app: {elapsed:.0f} s "
            f"(RTF {elapsed / minutes / 60:.3f}), peak {peak:.0f} MB; bar <= 700 MB {'PASS' if peak <= 700 else 'FAIL'}"
        )
        ok &= peak <= 700
        path.unlink()
    return ok


def main() -> int:
    os.environ["AUDIO_STUDIO_CPU_THREADS"] = str(THREADS)  # read when pipelines.engines.whisper is imported
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--long-minutes", type=float, default=0, help="also measure a long recording (e.g. 30)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech30.wav"
        audio = speech_30s(wav)
        ok = bench_speed(wav, audio, args.repeats)
        ok &= bench_memory(wav)
        if args.long_minutes:
            ok &= bench_long(args.long_minutes, Path(tmp))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
