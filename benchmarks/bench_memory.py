"""Resident memory of the server for a long recording in each tab, against the bars of issue 20.

Starts ``app.py --offline`` in a subprocess on loopback, warms every tab with a 5 s clip (models
loaded: that is the idle state a visitor meets), then for each tab's main endpoint sends a long
44.1 kHz stereo recording (LibriVox speech tiled with noise, written as MP3 in a temp folder) and
samples the server's VmRSS every 50 ms (and its VmHWM, reset through /proc/<pid>/clear_refs before
each request). Then two Visualize requests at once. Prints, for each: peak over idle, RSS after
(3 s after the answer), and the bars: peak <= 700 MB over idle (two at once <= 1.4 GB), back to
within 150 MB of idle after.

    python benchmarks/bench_memory.py                      # 30 minutes, every tab
    python benchmarks/bench_memory.py --minutes 5 --tabs visualize,classify

Bounded in time: each request has --timeout seconds (default 900); a request past it is
reported as such and the server is stopped at the end either way.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, librivox_speech, proc_mb, wait_http_200  # noqa: E402

SR = 44100
PEAK_BAR_MB = 700.0
PAIR_BAR_MB = 1400.0
AFTER_BAR_MB = 150.0
# The tabs that read a whole recording. Live captions' re-transcribe works on its own stream buffer,
# capped by LiveOptions.max_seconds (10 min of 16 kHz mono: 38 MB), not on an upload; Meeting notes
# needs a language-model server (its audio part is Transcribe + Diarize, both measured here).
TABS = ("visualize", "classify", "zero_shot", "transcribe", "diarize", "analyze", "denoise", "separate", "effects")
# A refusal before the work starts, naming the limit, is a right answer for a tab that cannot bound it.
REFUSAL_WORDS = ("limit", "longer than", "at most", "up to")


def make_recording(path: Path, minutes: float, fmt: str = "MP3") -> Path:
    """Speech at 44.1 kHz, tiled to ``minutes``, with noise; the right channel delayed. Written in blocks."""
    import soxr

    rng = np.random.default_rng(20)
    speech = np.concatenate([soxr.resample(y, 16000, SR) for y in librivox_speech()]).astype(np.float32)
    total = int(minutes * 60 * SR)
    kw = dict(format="MP3", subtype="MPEG_LAYER_III") if fmt == "MP3" else dict(format="WAV", subtype="PCM_16")
    with sf.SoundFile(str(path), "w", SR, 2, **kw) as f:
        done = 0
        while done < total:
            n = min(len(speech), total - done)
            left = speech[:n] * 0.5 + 0.01 * rng.standard_normal(n).astype(np.float32)
            right = np.roll(left, 441) + 0.01 * rng.standard_normal(n).astype(np.float32)
            f.write(np.stack([left, right], axis=1))
            done += n
    return path


class Server:
    def __init__(self):
        self.port = free_port()
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
        self.proc = subprocess.Popen(
            [sys.executable, "app.py", "--offline", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{self.port}/"
        wait_http_200(url, self.proc, timeout_s=180)
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False)

    def rss(self) -> float:
        return proc_mb("VmRSS", self.proc.pid)

    def reset_peak(self) -> None:
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def call(client, tab: str, path: Path):
    from gradio_client import handle_file

    f = handle_file(str(path))
    if tab == "visualize":
        return client.predict(f, api_name="/visualize")
    if tab == "classify":
        return client.predict(f, "sound-events", api_name="/classify")
    if tab == "zero_shot":
        return client.predict(f, "speech, music, dog barking", api_name="/zero_shot")
    if tab == "transcribe":
        return client.predict(f, "whisper-tiny.en", "en", api_name="/transcribe")
    if tab == "diarize":
        return client.predict(f, 0, 1, 6, False, api_name="/diarize")
    if tab == "analyze":
        return client.predict(f, api_name="/analyze")
    if tab == "denoise":
        return client.predict(f, api_name="/denoise")
    if tab == "separate":
        return client.predict(f, api_name="/separate")
    if tab == "effects":
        return client.predict(f, "highpass(hz=120)", api_name="/effects")
    raise ValueError(tab)


def measure(server: Server, jobs: list[tuple[str, Path]], timeout_s: float) -> dict:
    """Run ``jobs`` at once; peak RSS over the run, RSS 3 s after, errors."""
    server.reset_peak()
    samples = [server.rss()]
    errors: list[str] = []
    refusals: list[str] = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append(server.rss())
            time.sleep(0.05)

    def work(tab, path):
        try:
            call(server.client, tab, path)
        except Exception as exc:  # report, do not stop the benchmark
            text = str(exc)
            (refusals if any(w in text for w in REFUSAL_WORDS) else errors).append(f"{tab}: {text[:200]}")

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=job, daemon=True) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, timeout_s - (time.perf_counter() - t0)))
    elapsed = time.perf_counter() - t0
    if any(t.is_alive() for t in threads):
        errors.append(f"timed out after {timeout_s:g} s")
    done.set()
    sampler.join()
    peak = max(max(samples), proc_mb("VmHWM", server.proc.pid))
    time.sleep(3.0)
    return dict(peak=peak, after=server.rss(), seconds=elapsed, errors=errors, refusals=refusals)


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--tabs", default=",".join(TABS))
    ap.add_argument("--format", default="MP3", choices=("MP3", "WAV"))
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per request (or pair)")
    args = ap.parse_args()
    tabs = [t.strip() for t in args.tabs.split(",") if t.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        t0 = time.perf_counter()
        long_file = make_recording(Path(tmp) / f"long.{args.format.lower()}", args.minutes, args.format)
        short_file = make_recording(Path(tmp) / "short.wav", 5 / 60, "WAV")
        print(
            f"{args.minutes:g} min 44.1 kHz stereo {args.format} ({long_file.stat().st_size / 1e6:.0f} MB), "
            f"made in {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        server = Server()
        try:
            cold = server.rss()
            for tab in tabs:  # models loaded, caches warm: the idle state
                call(server.client, tab, short_file)
            time.sleep(3.0)
            idle = server.rss()
            print(f"server idle RSS: {cold:.0f} MB at start, {idle:.0f} MB after a 5 s clip in every tab (idle)")
            print(f"{'request':<22}{'seconds':>8}{'peak-idle':>11}{'after-idle':>12}{'load':>6}   bars (peak / after)")
            failed = False
            runs = [(tab, [(tab, long_file)], PEAK_BAR_MB) for tab in tabs]
            if "visualize" in tabs:  # right after the single one: the slow speech tabs come last
                at = [r[0] for r in runs].index("visualize") + 1
                runs.insert(at, ("2 x visualize", [("visualize", long_file)] * 2, PAIR_BAR_MB))
            for label, jobs, bar in runs:
                r = measure(server, jobs, args.timeout)
                over, after = r["peak"] - idle, r["after"] - idle
                ok_peak, ok_after = over <= bar, after <= AFTER_BAR_MB
                failed |= not (ok_peak and ok_after) or bool(r["errors"])
                print(
                    f"{label:<22}{r['seconds']:>8.0f}{over:>9.0f} MB{after:>9.0f} MB{os.getloadavg()[0]:>6.1f}   "
                    f"<= {bar:.0f} MB {verdict(ok_peak)} / <= {AFTER_BAR_MB:.0f} MB {verdict(ok_after)}"
                    + (f"   ERRORS: {'; '.join(r['errors'])}" if r["errors"] else "")
                    + (f"   REFUSED (with its limit): {'; '.join(r['refusals'])}" if r["refusals"] else "")
                )
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
        finally:
            server.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
