"""A newcomer's first command, timed: a fresh clone, ``bash scripts/setup.sh`` into a new venv with no pip
cache, then ``app.py`` until its first HTTP 200. Prints the minutes, the venv's disk and what takes it.

Run: ``python benchmarks/bench_install.py [--keep]``. Heavy (every package downloaded and unpacked,
about 3 GB): run it alone, once. The clone is of the committed tree (``git clone`` of this checkout)
in a temporary folder, removed afterwards unless ``--keep``. pip's cache is off (``PIP_NO_CACHE_DIR``)
so nothing of an earlier install is reused; the machine's own package index settings are kept. The
load average is printed beside each figure: on a shared machine the minutes follow it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, free_port, wait_http_200


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def size_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = Path(root) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total / 1e6


def biggest(site: Path, n: int = 15) -> list[tuple[float, str]]:
    sizes = [(size_mb(p) if p.is_dir() else p.stat().st_size / 1e6, p.name) for p in site.iterdir()]
    return sorted(sizes, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary clone and its venv")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="studio-install-"))
    studio = work / "studio"
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("VIRTUAL_ENV", None)
    try:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(studio)], check=True)
        print(f"{os.cpu_count()} cores, {load()}; fresh clone in {studio}, pip cache off")
        t0 = time.perf_counter()
        done = subprocess.run(["bash", "scripts/setup.sh"], cwd=studio, env=env, text=True, capture_output=True)
        minutes = (time.perf_counter() - t0) / 60
        if done.returncode:
            sys.exit(f"scripts/setup.sh failed after {minutes:.1f} min:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        print(f"scripts/setup.sh: {minutes:.1f} min ({load()})")
        venv = studio / ".venv"
        site = next((venv / "lib").glob("python3*/site-packages"))
        print(f"venv: {size_mb(venv) / 1000:.2f} GB, {sum(1 for _ in site.glob('*.dist-info'))} packages; the largest:")
        for mb, name in biggest(site):
            print(f"  {mb:7.0f} MB  {name}")
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(venv / "bin" / "python"), "app.py", "--port", str(port), "--offline"],
            cwd=studio,
            env={**env, "XDG_CACHE_HOME": str(work / "cache")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_http_200(f"http://127.0.0.1:{port}/", proc, timeout_s=180)
            print(f"app.py: first HTTP 200 after {time.perf_counter() - t0:.1f} s ({load()})")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
