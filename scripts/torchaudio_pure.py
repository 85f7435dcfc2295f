"""Keep torchaudio's pure-Python parts only: remove its compiled libraries (``torchaudio/lib/*.so``).

pyannote.audio 4.x imports torchaudio. The only torchaudio on the package registry for torch 2.11 and
later is a CUDA build whose ``_torchaudio.abi3.so`` needs ``libc10_cuda.so``: next to this app's CPU
torch 2.13 ``import torchaudio`` then fails with OSError. torchaudio loads those libraries only when
their files exist (``torchaudio._extension._load_lib``), so without them it imports its Python parts,
which is all pyannote's diarization needs here (audio is handed over in memory, features are
``pipelines/dsp/fbank.py``). scripts/setup.sh runs this after ``pip install --no-deps torchaudio``.
Run: python scripts/torchaudio_pure.py  (finds torchaudio without importing it; idempotent).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def strip() -> list[Path]:
    spec = importlib.util.find_spec("torchaudio")
    if spec is None or not spec.submodule_search_locations:
        return []
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    removed = sorted(lib.glob("*.so"))
    for path in removed:
        path.unlink()
    return removed


if __name__ == "__main__":
    gone = strip()
    print(f"torchaudio: removed {len(gone)} compiled libraries" if gone else "torchaudio: no compiled libraries")
    sys.exit(0)
