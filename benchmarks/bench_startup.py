"""Cold start and idle memory: `python app.py` to the first HTTP 200, and the idle app's RSS,
against a bare Gradio app (one Markdown) started the same way in the same run.

    python benchmarks/bench_startup.py [--repeats 3] [--against OTHER_CHECKOUT]

``--against`` also starts another checkout's app.py (say, the commit before a restructuring,
`git worktree add /tmp/before REV`) in the same interleaved rounds and prints this one's ratio to it.

Bars: cold start at most 1.5x the bare Gradio app and idle memory at most 1.3x, in the same run
(the layers issue); from the foundation issue, at most 6 s and 400 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _common import ROOT, free_port, proc_mb, wait_http_200

BARE_APP = """
import os, sys
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("hello")
demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]))
"""


def start_and_measure(cmd: list[str], port: int, settle_s: float = 3.0, cwd=ROOT) -> tuple[float, float]:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http_200(f"http://127.0.0.1:{port}/", proc, timeout_s=60)
        ready = time.perf_counter() - t0
        time.sleep(settle_s)  # idle: after the warm-up thread has finished
        return ready, proc_mb("VmRSS", proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--against", default=None, help="another checkout whose app.py to compare with")
    args = ap.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(BARE_APP)
        bare = fh.name
    results: dict[str, list[tuple[float, float]]] = {"app": [], "bare": [], "other": []}
    for _ in range(args.repeats):  # interleaved, so machine load hits both alike
        p = free_port()
        results["app"].append(start_and_measure([sys.executable, "app.py", "--offline", "--port", str(p)], p))
        p = free_port()
        results["bare"].append(start_and_measure([sys.executable, bare, str(p)], p))
        if args.against:
            p = free_port()
            cmd = [sys.executable, "app.py", "--offline", "--port", str(p)]
            results["other"].append(start_and_measure(cmd, p, cwd=args.against))
    os.unlink(bare)
    app_t = min(r[0] for r in results["app"])
    bare_t = min(r[0] for r in results["bare"])
    app_m = min(r[1] for r in results["app"])
    bare_m = min(r[1] for r in results["bare"])
    print(f"{'':<28}{'Audio AI Studio':>16}{'bare Gradio':>13}{'ratio':>8}")
    print(f"{'cold start to HTTP 200 (s)':<28}{app_t:>16.2f}{bare_t:>13.2f}{app_t / bare_t:>8.2f}")
    print(f"{'idle resident memory (MB)':<28}{app_m:>16.0f}{bare_m:>13.0f}{app_m / bare_m:>8.2f}")
    if results["other"]:
        other_t = min(r[0] for r in results["other"])
        other_m = min(r[1] for r in results["other"])
        print(f"{args.against}: cold start {other_t:.2f} s, idle {other_m:.0f} MB")
        print(f"this checkout / {args.against}: cold start {app_t / other_t:.2f}x, idle memory {app_m / other_m:.2f}x")
    print(f"bar: cold start at most 1.5x the bare app -> {'PASS' if app_t / bare_t <= 1.5 else 'FAIL'}")
    print(f"bar: idle memory at most 1.3x the bare app -> {'PASS' if app_m / bare_m <= 1.3 else 'FAIL'}")
    print(f"bar: cold start at most 6 s -> {'PASS' if app_t <= 6 else 'FAIL'}")
    print(f"bar: idle memory at most 400 MB -> {'PASS' if app_m <= 400 else 'FAIL'}")


if __name__ == "__main__":
    main()
