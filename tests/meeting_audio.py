"""A short meeting built from the repository's speech: pyannote's two-speaker sample (Diane and
Sheila, MIT) followed by a third voice, the bundled Piper voice (CC0), saying what meetings say:
a commitment with a day, a decision, a request, and the next meeting."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "pyannote" / "sample.wav"
THIRD_VOICE = (
    "Thanks, both of you. I will send the budget report to everyone by Friday. "
    "We decided to move the launch to March. Can you check the venue before the next meeting? "
    "Let's meet again next Tuesday at ten."
)
SR = 16000


def build_meeting(path: Path) -> Path:
    """Write the meeting (16 kHz mono WAV, about 41 s) to ``path`` and return it."""
    import soundfile as sf

    from pipelines.core.audio import resample_array
    from pipelines.speak import speak

    y, sr = sf.read(str(SAMPLE), dtype="float32")
    assert sr == SR
    voice = speak(THIRD_VOICE, "piper")
    third = resample_array(voice.audio, voice.sr, SR) * 0.5  # about the level of the sample's voices
    meeting = np.concatenate([y[: int(29.9 * SR)], np.zeros(SR // 2, np.float32), third]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), meeting, SR, subtype="PCM_16")
    return path


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    print(build_meeting(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "assets/examples/meeting_three_voices.wav")))
