"""What the Compose check says on a grid of styles x keys x tempi (issue 13, class 5).

Run: ``python benchmarks/bench_compose_check.py [--seconds 20]``

For each of the 9 styles, 3 keys (E major, C minor, Bb major) and 3 tempi (70 BPM, the style's
own, 140 BPM), the composer's piece is rendered and measured as the description measures it
(librosa), then sorted by what the check would say: tempo as written / double or half / off;
key as written / relative / a fifth away or sharing six notes / same home note in the other mode
/ differs. Also prints, per piece, how much of the asked length is quieter than 15 dB under the
median loudness (the old "8 bars and a long fade" showed up here).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.compose import check_words, normalize_loudness  # noqa: E402
from pipelines.dsp import music as music_check  # noqa: E402
from pipelines.engines.rule_composer import compose_piece  # noqa: E402
from pipelines.engines.soundfont import FADE_SECONDS, add_reverb, render_piece  # noqa: E402

STYLES = ["lo-fi", "synth pop", "ballad", "orchestral", "ambient", "rock", "jazz", "folk", "classical"]
KEYS = ["E major", "C minor", "Bb major"]
TEMPI = ["70 bpm", "", "140 bpm"]


def verdicts(line: str) -> tuple[str, str]:
    tempo = "written" if "BPM, as written" in line else ("double/half" if "agrees" in line else "OFF")
    if "as written." in line:
        key = "written"
    elif "relative key" in line:
        key = "relative"
    elif "six of its seven" in line:
        key = "neighbour"
    elif "home note written" in line:
        key = "other mode"
    else:
        key = "DIFFERS"
    return tempo, key


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    tempi, keys, quiet = Counter(), Counter(), []
    for style in STYLES:
        for i, key in enumerate(KEYS):
            for tempo in TEMPI:
                prompt = f"{style} in {key} {tempo}".strip()
                piece = compose_piece(prompt, args.seconds, 5 + i)
                audio, sr = render_piece(piece)
                audio, _ = normalize_loudness(add_reverb(audio, sr, piece.plan.style.reverb), sr)
                heard = music_check.listen(audio, sr)
                facts = dict(
                    heard_bpm=round(heard.bpm, 1),
                    heard_key=heard.key_name,
                    heard_tonic=heard.tonic,
                    heard_mode=heard.mode,
                )
                plan = piece.plan
                t, k = verdicts(check_words(plan.bpm, plan.tonic, plan.mode, facts))
                tempi[t] += 1
                keys[k] += 1
                mono = audio.mean(axis=0)
                n = int(args.seconds - FADE_SECONDS)
                rms = np.array([10 * np.log10(np.mean(mono[s * sr : (s + 1) * sr] ** 2) + 1e-12) for s in range(n)])
                quiet.append(int(np.sum(rms < np.median(rms) - 15)))
                print(
                    f"{prompt:30s} wrote {plan.key_name:9s} {plan.bpm:4.0f} BPM, {piece.bars:2d} bars | heard "
                    f"{heard.key_name:9s} {heard.bpm:6.1f} | tempo {t:11s} key {k}",
                    flush=True,
                )
    total = sum(tempi.values())
    print(f"\n{total} pieces of {args.seconds:g} s")
    print("tempo: " + ", ".join(f"{k} {v}" for k, v in tempi.most_common()))
    print("key:   " + ", ".join(f"{k} {v}" for k, v in keys.most_common()))
    print(f"seconds before the fade quieter than median - 15 dB: {sum(quiet)} in all, worst piece {max(quiet)}")


if __name__ == "__main__":
    main()
