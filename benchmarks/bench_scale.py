"""Figures for issue 28 (Ray), printed as ratios measured in one run on this machine.

Run: ``python benchmarks/bench_scale.py [--files 20] [--task transcribe] [--repeats 3] [--skip-frontend]``

1. One 30-s transcription (Whisper tiny.en, models warm) through a Ray Serve replica against the
   same call in-process (bar: at most 1.1x).
2. Batch throughput (hours of audio per hour) for ``--files`` short recordings: in-process, Ray Data
   on one 1-CPU node, on two 1-CPU nodes (all on this machine, 127.0.0.1), each batch timed whole
   (actor start and model load included) and per file.
3. A paper estimate for N nodes of C cores from the measured per-file costs: nodes for 1,000 hours
   of audio a day, and replicas for 100 concurrent visitors each asking a 30-s transcription a minute.
4. The front end's start-up time and memory with ``--ray`` (joining a running cluster whose
   deployments exist) against in-process.

Ray clusters here use 1 CPU per node and are shut down at the end. The load average is printed:
on a shared machine the ratios, not the times, are the figures to compare.
"""

from __future__ import annotations

import os

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a loopback cluster (pipelines/core/ray_cluster.py)

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines import serving  # noqa: E402
from pipelines.batch import BatchOptions, run_batch  # noqa: E402
from pipelines.core import ray_cluster  # noqa: E402
from pipelines.core.audio_stream import open_mono  # noqa: E402
from pipelines.transcribe import TranscribeOptions, transcribe_stream  # noqa: E402

CLIPS = sorted((ROOT / "tests" / "data" / "librivox").glob("*.wav"))
NODE = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 150 * 1024 * 1024}
OPTS = TranscribeOptions(model="whisper-tiny.en", language="en")


def load() -> str:
    return "load average {:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())


def thirty_seconds() -> np.ndarray:
    parts, total = [], 0
    while total < 30 * 16000:
        for c in CLIPS:
            y = np.asarray(open_mono(str(c), 16000).samples)
            parts.append(y)
            total += len(y)
    return np.concatenate(parts)[: 30 * 16000]


def timed(fn, repeats: int) -> float:
    fn()  # warm: models load once
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def serve_vs_local(repeats: int) -> dict:
    audio = thirty_seconds()

    def local():
        for _ in transcribe_stream(audio, OPTS, name="30s"):
            pass

    def served():
        for _ in serving.transcribe_stream(audio, OPTS, name="30s"):
            pass

    t_local = timed(local, repeats)
    t_serve = timed(served, repeats)
    print(
        f"1. 30-s transcription: in-process {t_local:.2f} s, Serve {t_serve:.2f} s = {t_serve / t_local:.2f}x ({load()})"
    )
    return {"local_s": t_local, "serve_s": t_serve}


def files(folder: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        p = folder / f"rec{i:02d}.wav"
        shutil.copy(CLIPS[i % len(CLIPS)], p)
        out.append(p)
    return out


def batch(inputs, folder: Path, task: str, executor=None) -> dict:
    t = time.perf_counter()
    r = run_batch(inputs, folder, BatchOptions(task=task, task_options=_task_options(task)), executor=executor)
    wall = time.perf_counter() - t
    audio = sum(row.duration or 0 for row in r.rows)
    per_file = [row.seconds for row in r.rows]
    done = sum(row.status == "done" for row in r.rows)
    return {
        "wall_s": wall,
        "audio_s": audio,
        "per_file_s": statistics.median(per_file),
        "sum_file_s": sum(per_file),
        "done": done,
        "nodes": len({row.node for row in r.rows if row.node}),
    }


def _task_options(task: str) -> dict:
    return {"model": "whisper-tiny.en", "language": "en"} if task == "transcribe" else {}


def frontend(address: str) -> dict:
    """Start-up time and resident memory (after building the app) of a front end (a fresh interpreter) with and without --ray."""
    code = f"""
import sys, time
t = time.perf_counter()
sys.path.insert(0, {str(ROOT)!r})
import app
from pipelines.core import ray_cluster
from pipelines.core.config import Settings
d = app.build_app(Settings(offline=True, ray=sys.argv[1] or None))
seconds = time.perf_counter() - t
print(ray_cluster.STATE.message or "in-process")
rss = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmRSS")][0]
print(seconds, rss / 1024)
ray_cluster.shutdown()
"""
    out = {}
    for label, arg in (("in-process", ""), ("--ray", address)):
        env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
        run = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, env=env, timeout=600)
        lines = run.stdout.strip().splitlines()
        seconds, mb = map(float, lines[-1].split())
        out[label] = {"start_s": seconds, "rss_mb": mb, "ray": lines[-2]}
    a, b = out["in-process"], out["--ray"]
    print(
        f"4. front end: start-up {a['start_s']:.1f} s in-process, {b['start_s']:.1f} s with --ray "
        f"({b['start_s'] / a['start_s']:.2f}x); memory {a['rss_mb']:.0f} MB vs {b['rss_mb']:.0f} MB "
        f"({b['rss_mb'] / a['rss_mb']:.2f}x) ({load()}); with --ray: {b['ray']}"
    )
    return out


def paper(local_batch: dict, served: dict, cores: int) -> None:
    rtf = local_batch["sum_file_s"] / local_batch["audio_s"]  # CPU-seconds per second of audio, one core
    hours_per_core_hour = 1 / rtf
    per_node = hours_per_core_hour * cores
    nodes_for_1000 = 1000 / 24 / per_node
    rate = 100 / 60  # 100 visitors, one 30-s transcription a minute each
    replicas = rate * served["serve_s"]
    print(
        f"3. paper: one core transcribes {hours_per_core_hour:.1f} h of audio per hour (RTF {rtf:.3f}); a node of "
        f"{cores} cores {per_node:.0f} h/h. 1,000 h a day = {1000 / 24:.1f} h/h -> {nodes_for_1000:.2f} nodes "
        f"({max(1, int(np.ceil(nodes_for_1000)))} node(s)). 100 concurrent visitors, a 30-s clip a minute each = "
        f"{rate:.2f} requests/s x {served['serve_s']:.2f} s = {replicas:.1f} busy replicas -> "
        f"{int(np.ceil(replicas * 1.5))} replicas at 2/3 utilisation ({int(np.ceil(replicas * 1.5 / cores))} "
        f"node(s) of {cores} cores). Measured on a shared 2-core machine: scale by your cores' speed."
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--files", type=int, default=20)
    p.add_argument("--task", default="transcribe")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cores", type=int, default=8, help="cores per node for the paper estimate")
    p.add_argument("--skip-frontend", action="store_true")
    p.add_argument("--only-frontend", action="store_true", help="just figure 4")
    a = p.parse_args()
    from ray.cluster_utils import Cluster

    print(f"start ({load()})")
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    c = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    results = {}
    try:
        if a.only_frontend:
            ray_cluster.connect(c.address)
            serving.start()
            frontend(c.address)
            return
        inputs = files(work, a.files)
        results["in-process"] = batch(inputs, work / "local", a.task)
        ray_cluster.connect(c.address)
        serving.start()
        results["serve"] = serve_vs_local(a.repeats)
        if not a.skip_frontend:
            results["frontend"] = frontend(c.address)
        from ray import serve

        serve.shutdown()  # frees its CPU for the batches
        serving.stop()
        from pipelines.batch.on_ray import ray_executor

        results["ray-1"] = batch(inputs, work / "ray1", a.task, ray_executor())
        c.add_node(**NODE)
        time.sleep(2)
        results["ray-2"] = batch(inputs, work / "ray2", a.task, ray_executor())
        base = results["in-process"]
        print(
            f"2. batch of {a.files} files ({base['audio_s']:.0f} s of audio, task {a.task}), hours of audio per hour:"
        )
        for k in ("in-process", "ray-1", "ray-2"):
            r = results[k]
            print(
                f"   {k:10s}: {r['audio_s'] / r['wall_s']:6.1f} h/h (wall {r['wall_s']:.1f} s, {r['done']} done, "
                f"nodes {r['nodes'] or 1}, median per file {r['per_file_s']:.2f} s) = "
                f"{base['wall_s'] / r['wall_s']:.2f}x in-process"
            )
        paper(base, results["serve"], a.cores)
        print(f"end ({load()})")
        print(json.dumps(results))
    finally:
        serving.stop()
        ray_cluster.shutdown()
        c.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
