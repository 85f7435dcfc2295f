"""Write the example clips made by the project's own code into assets/examples.

``.venv/bin/python scripts/make_examples.py [OUT_DIR]``. The LibriVox speech example is public
domain and copied from test data (see assets/LICENSES.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.dsp.synth import SR, chord, drum_loop, sine, stereo_sweeps  # noqa: E402


def write_examples(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = {
        "a440_sine.wav": sine(),
        "c_major_chord.wav": chord(),
        "stereo_sweeps.wav": stereo_sweeps().T,
        "drum_loop.wav": drum_loop(),
    }
    paths = []
    for name, data in clips.items():
        path = out_dir / name
        sf.write(path, data, SR, subtype="PCM_16")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_examples(
        Path(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent / "assets" / "examples"))
    ):
        print(p)
