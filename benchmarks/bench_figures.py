"""What emptying matplotlib's per-thread font caches after each PNG costs (issue 20: the soak's open
descriptors). Draws the same spectrum figure with the caches kept and emptied, three rounds each,
and prints milliseconds per figure and the ratio emptied / kept (median of the rounds).

    python benchmarks/bench_figures.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pipelines.formats.plots as plots  # noqa: E402


def main(rounds: int = 3, figures: int = 15) -> None:
    forget = plots._forget_thread_fonts
    out = Path(tempfile.mkdtemp(prefix="bench-figures-")) / "spectrum.png"
    freqs = np.logspace(1, 4, 500)
    db = -60 * np.random.default_rng(0).random(500)

    def draw() -> None:
        plots.save_png(plots.plot_spectrum(freqs, db), out)

    times: dict[str, list[float]] = {"kept": [], "emptied": []}
    try:
        for _ in range(rounds):
            for name in times:
                plots._forget_thread_fonts = forget if name == "emptied" else (lambda: None)
                draw()  # fonts found once
                t0 = time.perf_counter()
                for _ in range(figures):
                    draw()
                times[name].append((time.perf_counter() - t0) / figures * 1000)
    finally:
        plots._forget_thread_fonts = forget
    for name, ms in times.items():
        print(f"caches {name:<8} " + " ".join(f"{x:.1f}" for x in ms) + " ms per figure")
    median = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    print(f"ratio emptied / kept (median): {median['emptied'] / median['kept']:.2f}")


if __name__ == "__main__":
    main()
