"""Soak: 8 visitors on loopback mixing every kind of request for a fixed number of rounds (issue 20).

Starts ``app.py --offline`` on 127.0.0.1 with its own instance folder and small clean-up limits,
then 8 visitor threads each run ``--rounds`` rounds of a shuffled mix of main actions (Visualize,
Speak, Transcribe, Diarize, Classify, Clean up) and bad inputs (empty text, a text file as audio,
an out-of-range number). Each answer is checked (the right facts, or a clear message for the
bad ones). Prints errors, wrong answers, peak and final resident memory, open file descriptors
and the disk used by the instance folder at the start and the end (after the janitor's
interval and the files' minimum age have passed).

Bars: no errors, no wrong answers, final RSS within 150 MB of the warm idle, final disk under
``--max-files-mb``, descriptors back to within 20 of the start.

    python benchmarks/bench_soak.py                  # 8 visitors x 3 rounds
    python benchmarks/bench_soak.py --rounds 1 --visitors 4

Bounded in count (visitors x rounds x actions) and in time (``--timeout`` for all rounds).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, proc_mb, wait_http_200  # noqa: E402

EXAMPLES = ROOT / "assets" / "examples"
AFTER_BAR_MB = 150.0
FD_SLACK = 20


def folder_mb(folder: Path) -> tuple[float, int]:
    total, count = 0, 0
    for p in folder.rglob("*"):
        try:
            if p.is_file():
                total, count = total + p.stat().st_size, count + 1
        except OSError:  # removed by the janitor meanwhile
            pass
    return total / 1e6, count


def fd_kinds(pid: int) -> Counter:
    """Open descriptors by what they point at: sockets, pipes and anon inodes by kind, files by path."""
    kinds: Counter = Counter()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        kinds[target.split(":[")[0] if target.startswith(("socket:", "pipe:")) else target] += 1
    return kinds


def connect(url: str, tries: int = 5):
    """A client, retried: on a loaded machine fetching the API description can time out."""
    from gradio_client import Client

    for attempt in range(tries):
        try:
            return Client(url, verbose=False, httpx_kwargs={"timeout": 120})
        except Exception:  # a client's set-up, not an answer of the app
            if attempt == tries - 1:
                raise
            time.sleep(2)


def actions(bad_file: Path):
    """(name, call(client) -> None, raising AssertionError for a wrong answer)."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    def visualize(c):
        facts, *_ = c.predict(handle_file(str(EXAMPLES / "a440_sine.wav")), api_name="/visualize")
        assert ["Duration", "2.000 s"] in facts["data"] and ["Sample rate", "44100 Hz"] in facts["data"], facts

    def speak(c):
        audio, _, info, *_ = c.predict("Good morning. The library opens at nine.", api_name="/speak")
        assert "Piper" in info and Path(audio).name.endswith(".wav"), info

    def transcribe(c):
        out = c.predict(
            handle_file(str(EXAMPLES / "speech_librivox.wav")), "whisper-tiny.en", "en", api_name="/transcribe"
        )
        text = " ".join(str(x) for x in out)
        assert sum(ch.isalpha() for ch in text) > 50, text[:200]

    def diarize(c):
        out = c.predict(handle_file(str(EXAMPLES / "two_speakers_pyannote.wav")), 2, 1, 6, False, api_name="/diarize")
        assert "SPEAKER" in str(out) or "Speaker" in str(out), str(out)[:200]

    def classify(c):
        out = c.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), "sound-events", api_name="/classify")
        assert str(out).strip(), "empty"

    def denoise(c):
        out = c.predict(handle_file(str(EXAMPLES / "speech_librivox.wav")), api_name="/denoise")
        assert "DeepFilterNet" in str(out), str(out)[:200]

    def refused(call, words):
        def run(c):
            try:
                call(c)
            except AppError as exc:
                assert any(w in str(exc) for w in words), str(exc)[:200]
                return
            raise AssertionError("a bad input was accepted")

        return run

    empty_text = refused(lambda c: c.predict("", api_name="/speak"), ["no text"])
    text_as_audio = refused(lambda c: c.predict(handle_file(str(bad_file)), api_name="/visualize"), ["audio", "read"])
    bad_number = refused(
        lambda c: c.predict(handle_file(str(EXAMPLES / "a440_sine.wav")), 99, 1, 6, False, api_name="/diarize"),
        ["greater than maximum", "between"],
    )
    return [
        ("visualize", visualize),
        ("speak", speak),
        ("transcribe", transcribe),
        ("diarize", diarize),
        ("classify", classify),
        ("denoise", denoise),
        ("bad: empty text", empty_text),
        ("bad: text file as audio", text_as_audio),
        ("bad: 99 speakers", bad_number),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per visitor (each: every action once, shuffled)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds for all rounds")
    ap.add_argument("--max-files-mb", type=float, default=5.0)
    ap.add_argument("--keep-files-minutes", type=float, default=1.0)
    ap.add_argument("--settle", type=float, default=150.0, help="seconds to wait after the rounds (janitor)")
    ap.add_argument("--log", default="", help="keep the server's log in this file (default: a temp file)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        bad_file = Path(tmp) / "notes.wav"
        bad_file.write_text("this is not audio\n" * 50)
        port = free_port()
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", GRADIO_TEMP_DIR=str(instance))
        cmd = [sys.executable, "app.py", "--offline", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--max-files-mb", str(args.max_files_mb), "--keep-files-minutes", str(args.keep_files_minutes)]
        log_path = Path(args.log) if args.log else Path(tmp) / "server.log"
        log_file = open(log_path, "w")  # noqa: SIM115 (closed with the server)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_http_200(url, proc, timeout_s=180)

            todo = actions(bad_file)
            warm = connect(url)
            warm_wrong = []
            for name, act in todo:  # models loaded: the idle state a visitor meets
                try:
                    act(warm)
                except Exception as exc:  # a wrong check or answer: reported with the rounds' ones
                    warm_wrong.append(f"warm-up {name}: {type(exc).__name__}: {str(exc)[:160]}")
            time.sleep(3)
            fd0 = len(os.listdir(f"/proc/{proc.pid}/fd"))
            kinds0 = fd_kinds(proc.pid)
            idle, (disk0, files0) = proc_mb("VmRSS", proc.pid), folder_mb(instance)
            load0 = os.getloadavg()[0]
            print(
                f"{args.visitors} visitors x {args.rounds} rounds x {len(todo)} actions on loopback; "
                f"load average {load0:.1f} on {os.cpu_count()} CPUs"
            )
            print(f"start (warm): RSS {idle:.0f} MB, {fd0} open fds, instance folder {disk0:.1f} MB in {files0} files")

            errors, wrong, done = [], warm_wrong, [0]
            durations: dict[str, list[float]] = {}
            in_flight: dict[int, tuple[str, float]] = {}
            lock, stop = threading.Lock(), threading.Event()
            samples = [idle]
            Path(f"/proc/{proc.pid}/clear_refs").write_text("5")

            def sample():
                while not stop.is_set():
                    samples.append(proc_mb("VmRSS", proc.pid))
                    time.sleep(0.1)

            # One client per visitor, made one after another: 8 at once each fetching the API
            # description timed out under load (a client's own set-up, not an answer).
            clients = [connect(url) for _ in range(args.visitors)]

            def visitor(i):
                client = clients[i]
                rng = random.Random(i)
                for _ in range(args.rounds):
                    order = todo[:]
                    rng.shuffle(order)
                    for name, act in order:
                        if stop.is_set():
                            return
                        started = time.perf_counter()
                        in_flight[i] = (name, started)
                        try:
                            act(client)
                            with lock:
                                durations.setdefault(name, []).append(time.perf_counter() - started)
                        except AssertionError as exc:
                            with lock:
                                wrong.append(f"visitor {i} {name}: {str(exc)[:160]}")
                        except Exception as exc:  # report every failure, keep going
                            with lock:
                                errors.append(f"visitor {i} {name}: {type(exc).__name__}: {str(exc)[:160]}")
                        with lock:
                            done[0] += 1
                        in_flight.pop(i, None)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t0 = time.perf_counter()
            threads = [threading.Thread(target=visitor, args=(i,), daemon=True) for i in range(args.visitors)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(max(1.0, args.timeout - (time.perf_counter() - t0)))
            elapsed = time.perf_counter() - t0
            timed_out = any(t.is_alive() for t in threads)
            stop.set()
            sampler.join()
            peak = max(max(samples), proc_mb("VmHWM", proc.pid))
            fd_busy = len(os.listdir(f"/proc/{proc.pid}/fd"))
            disk_busy, files_busy = folder_mb(instance)
            for c in [*clients, warm]:  # the visitors leave: their heartbeat streams close
                c.close()
            clients.clear()
            import gc

            gc.collect()
            time.sleep(args.settle)
            final, fd1 = proc_mb("VmRSS", proc.pid), len(os.listdir(f"/proc/{proc.pid}/fd"))
            # What the new descriptors are, so a leak can be told from a model or pool opened once.
            kinds1 = fd_kinds(proc.pid)
            sockets1 = kinds1["socket"]
            new_fds = {k: kinds1[k] - kinds0[k] for k in kinds0 | kinds1 if kinds1[k] != kinds0[k]}
            disk1, files1 = folder_mb(instance)
            expected = args.visitors * args.rounds * len(todo)
            print(
                f"rounds: {done[0]} of {expected} requests in {elapsed:.0f} s"
                + (f" (stopped at the {args.timeout:g} s limit)" if timed_out else "")
            )
            for name, times in sorted(durations.items()):
                print(
                    f"  {name:<26} {len(times):>3} answered, {sum(times) / len(times):6.1f} s mean, {max(times):6.1f} s max"
                )
            now = time.perf_counter()
            for i, (name, started) in sorted(in_flight.items()):
                print(f"  unfinished at the limit: visitor {i} {name}, waiting {now - started:.0f} s")
            print(f"errors: {len(errors)}, wrong answers: {len(wrong)}")
            for line in (errors + wrong)[:20]:
                print("  " + line)
            print(f"right after: {fd_busy} open fds, instance folder {disk_busy:.1f} MB in {files_busy} files")
            print(
                f"peak RSS {peak:.0f} MB ({peak - idle:+.0f} MB over idle); after {args.settle:g} s: RSS {final:.0f} MB "
                f"({final - idle:+.0f} MB), {fd1} open fds ({fd1 - fd0:+d}; {sockets1} sockets), instance folder {disk1:.1f} MB in {files1} files"
            )
            for kind, n in sorted(new_fds.items(), key=lambda kv: -abs(kv[1])):
                print(f"  fds {n:+d}: {kind}")
            ok = {
                "no errors": not errors and not timed_out,
                "no wrong answers": not wrong,
                f"RSS back within {AFTER_BAR_MB:g} MB of idle": final - idle <= AFTER_BAR_MB,
                f"disk under {args.max_files_mb:g} MB": disk1 <= args.max_files_mb,
                f"fds within {FD_SLACK} of the start": fd1 - fd0 <= FD_SLACK,
            }
            print("bars: " + "; ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in ok.items()))
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            log_file.flush()
            log_text = log_path.read_text(errors="replace")
            print(
                f"server log: {log_text.count('Unexpected error')} unexpected errors, "
                f"{log_text.count('FileNotFoundError')} FileNotFoundError, {log_text.count('User error')} user mistakes"
            )
            return 0 if all(ok.values()) else 1
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
