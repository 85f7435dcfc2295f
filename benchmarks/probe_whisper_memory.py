"""Where Whisper base's peak memory goes on one 30-s window (faster-whisper called directly).

    python benchmarks/probe_whisper_memory.py

For each decoding setting, the peak resident memory (VmHWM, reset before each call) above the
resident memory before it: the encoder alone, beam search (T = 0) with 1 and 5 beams, and the
temperature fallback's sampling (T > 0) with best_of 5 and 2. The app's peak on long recordings
is its idle memory + the model + the worst window, and the fallback window is the worst
(see bench_transcribe.py --long-minutes). Linux only (/proc/self/clear_refs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from _common import librivox_speech
from _common import proc_mb as status_mb


def peak_above_now(fn) -> float:
    from pipelines.core.memory import release_free_memory

    release_free_memory()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = status_mb("VmRSS")
    fn()
    return status_mb("VmHWM") - before


def main() -> int:
    from faster_whisper.transcribe import pad_or_trim

    from pipelines.core.memory import tune_malloc
    from pipelines.engines.whisper import BASE, get_whisper

    tune_malloc()  # as the app does
    model = get_whisper(BASE.key)
    x = np.concatenate(librivox_speech())[: 16000 * 30]
    list(model.transcribe(x, language="en")[0])  # warm
    print(f"Whisper base int8 loaded; process RSS {status_mb('VmRSS'):.0f} MB. Peak above that, one 30-s window:")
    features = model.feature_extractor(x)
    print(
        f"  encoder only                               +{peak_above_now(lambda: model.encode(pad_or_trim(features[:, :3000]))):4.0f} MB"
    )
    for label, kwargs in [
        ("beam search, 1 beam (T = 0)", dict(beam_size=1, temperature=0.0)),
        ("beam search, 5 beams (T = 0, the default)", dict(beam_size=5, temperature=0.0)),
        ("fallback sampling, best_of 5 (T = 0.4)", dict(beam_size=5, best_of=5, temperature=0.4)),
        ("fallback sampling, best_of 2 (T = 0.4)", dict(beam_size=5, best_of=2, temperature=0.4)),
    ]:
        grew = peak_above_now(lambda kw=kwargs: list(model.transcribe(x, language="en", word_timestamps=True, **kw)[0]))
        print(f"  {label:42s} +{grew:4.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
