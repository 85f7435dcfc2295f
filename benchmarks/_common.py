"""What several benchmarks need: the repository on sys.path, the LibriVox clips, process
memory from /proc, a free port, and waiting for a server's first HTTP 200."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
LIBRIVOX = ROOT / "tests" / "data" / "librivox"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def librivox_wavs() -> list[Path]:
    """The five LibriVox sentences (16 kHz mono WAV, each with its reference text beside it)."""
    return sorted(LIBRIVOX.glob("*.wav"))


def librivox_speech() -> list[np.ndarray]:
    """The LibriVox sentences as float32 arrays at 16 kHz."""
    return [sf.read(str(w), dtype="float32")[0] for w in librivox_wavs()]


def proc_mb(field: str, pid: int | str = "self") -> float:
    """A memory figure of a process from /proc/<pid>/status, in MB (VmRSS, VmHWM, ...)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http_200(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 90.0) -> float:
    """Seconds until ``url`` answers 200; raises if ``proc`` exits first or time runs out."""
    t0 = time.perf_counter()
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.05)
        if time.perf_counter() - t0 > timeout_s:
            raise RuntimeError(f"no HTTP 200 from {url} within {timeout_s:g} s")
