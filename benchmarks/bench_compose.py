"""Figures for the Compose tab's bundled composer (issue: Compose), printed as ratios.

Run: ``python benchmarks/bench_compose.py [--seconds 30] [--seeds 3]``

1. Speed: composing + rendering 30 s of music, against the raw engine in the same run
   (tinysoundfont's own Sequencer playing the very MIDI file we wrote). Bar: <= 3 s.
2. Tempo: librosa's estimate against the tempo the composer chose. Bar: within 5 %
   (or exactly double or half).
3. Key and music-likeness: the key librosa's chroma finds, and how tonal / pulsed the
   result is next to real speech (LibriVox clips).
4. MusicGen small: seconds of compute per second of music, only where its weights are
   in the local Hugging Face cache (the hub is not reachable here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from pipelines.compose import ComposeOptions, compose  # noqa: E402
from pipelines.core.audio import load_audio  # noqa: E402
from pipelines.core.registry import REGISTRY  # noqa: E402
from pipelines.dsp import music as music_check  # noqa: E402
from pipelines.engines.rule_composer import compose_piece, write_midi  # noqa: E402
from pipelines.engines.soundfont import SOUNDFONT_KEY, add_reverb, render_piece  # noqa: E402

PROMPTS = [
    "calm lo-fi piano",
    "upbeat synth pop",
    "sad strings",
    "epic orchestral with drums",
    "smooth jazz with saxophone",
    "happy folk guitar in G major",
    "dreamy ambient pad",
    "rock guitar 140 bpm",
]


def raw_engine_seconds(midi_path: Path, seconds: float) -> float:
    """tinysoundfont alone: its Sequencer plays our MIDI file through the same loaded SoundFont."""
    import tinysoundfont

    sf = REGISTRY.get(SOUNDFONT_KEY)
    with sf.lock:
        sf.synth.soundfonts[sf.sfid].reset()
        start = time.perf_counter()
        seq = tinysoundfont.Sequencer(sf.synth)
        seq.midi_load(str(midi_path))
        sf.synth.generate(int(seconds * sf.sr))
        elapsed = time.perf_counter() - start
        sf.synth.callback = None
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-compose-"))

    t = time.perf_counter()
    REGISTRY.get(SOUNDFONT_KEY)
    print(f"SoundFont load (once per server, decodes the SF3's Vorbis samples): {time.perf_counter() - t:.2f} s")

    rows = []
    for prompt in PROMPTS:
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            piece = compose_piece(prompt, args.seconds, seed)
            t1 = time.perf_counter()
            audio, sr = render_piece(piece)
            t2 = time.perf_counter()
            audio = add_reverb(audio, sr, piece.plan.style.reverb)
            t3 = time.perf_counter()
            midi = write_midi(piece, out / f"{seed}.mid")
            raw = raw_engine_seconds(midi, args.seconds)
            t4 = time.perf_counter()
            result = compose(prompt, args.seconds, "composer", ComposeOptions(seed=seed), out)
            full = time.perf_counter() - t4
            heard = music_check.listen(audio, sr)
            rows.append(
                dict(
                    prompt=prompt,
                    seed=seed,
                    compose=t1 - t0,
                    render=t2 - t1,
                    reverb=t3 - t2,
                    raw=raw,
                    full=full,
                    bpm=piece.plan.bpm,
                    heard_bpm=heard.bpm,
                    key=piece.plan.key_name,
                    heard_key=heard.key_name,
                    key_score=heard.key_score,
                    pulse=heard.pulse,
                    lufs=result.loudness_lufs,
                )
            )

    print(
        f"\n{'prompt':30s} seed   BPM  heard  ok  key          heard key    tonal pulse  "
        f"notes+render  raw tsf  whole compose()"
    )
    for r in rows:
        ok = music_check.tempo_matches(r["heard_bpm"], r["bpm"])
        print(
            f"{r['prompt']:30s} {r['seed']:4d} {r['bpm']:5.0f} {r['heard_bpm']:6.1f} {'yes' if ok else 'NO ':3s} "
            f"{r['key']:12s} {r['heard_key']:12s} {r['key_score']:5.2f} {r['pulse']:5.2f}  "
            f"{r['compose'] + r['render'] + r['reverb']:8.2f} s {r['raw']:7.2f} s {r['full']:8.2f} s"
        )

    make = [r["compose"] + r["render"] + r["reverb"] for r in rows]
    raw = [r["raw"] for r in rows]
    full = [r["full"] for r in rows]
    tempo_ok = [music_check.tempo_matches(r["heard_bpm"], r["bpm"]) for r in rows]
    exact = [abs(r["heard_bpm"] - r["bpm"]) <= 0.05 * r["bpm"] for r in rows]
    key_ok = [r["heard_key"] == r["key"] for r in rows]
    print(f"\nSpeed, {args.seconds:g} s of music ({len(rows)} pieces):")
    print(
        f"  compose + render + reverb: median {statistics.median(make):.2f} s, max {max(make):.2f} s "
        f"(bar <= 3 s: {'PASS' if max(make) <= 3 else 'FAIL'}); real-time factor {statistics.median(make) / args.seconds:.4f}"
    )
    render = [r["render"] for r in rows]
    print(
        f"  raw tinysoundfont Sequencer playing the same MIDI file: median {statistics.median(raw):.2f} s; "
        f"our render loop alone: median {statistics.median(render):.2f} s "
        f"(ours / raw = {statistics.median(render) / statistics.median(raw):.2f}x; "
        f"with composing and reverb {statistics.median(make) / statistics.median(raw):.2f}x)"
    )
    print(
        f"  whole compose() (+ loudness, WAV, MIDI, picture, librosa check): median {statistics.median(full):.2f} s, "
        f"max {max(full):.2f} s"
    )
    print(
        f"Tempo: {sum(tempo_ok)}/{len(rows)} within 5% of the chosen tempo or its double/half "
        f"({sum(exact)}/{len(rows)} at the chosen tempo itself)"
    )
    print(f"Key: {sum(key_ok)}/{len(rows)} pieces where librosa's chroma finds exactly the chosen key")
    lufs = [r["lufs"] for r in rows]
    print(f"Loudness: {min(lufs):.1f} to {max(lufs):.1f} LUFS (target -14)")

    speech = []
    for wav in sorted((ROOT / "tests" / "data" / "librivox").glob("*.wav")):
        a = load_audio(wav)
        speech.append(music_check.listen(a.mono, a.sr))
    if speech:
        ks = [h.key_score for h in speech]
        ps = [h.pulse for h in speech]
        print(
            f"Music vs speech: tonality (key-profile correlation) music median "
            f"{statistics.median(r['key_score'] for r in rows):.2f} vs speech {statistics.median(ks):.2f}; "
            f"pulse clarity music {statistics.median(r['pulse'] for r in rows):.2f} vs speech {statistics.median(ps):.2f}"
        )

    musicgen_figure()


def musicgen_figure() -> None:
    """MusicGen small's CPU speed, if its weights are cached; the hub is never contacted here."""
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download("facebook/musicgen-small", local_files_only=True)
    except Exception:
        print("MusicGen small: weights not in the local cache and the hub is not reachable here: not measured.")
        return
    from pipelines.engines import musicgen

    key = musicgen.model_key(folder)  # the cached snapshot, through the same code as the hub model
    seconds = 5.0
    musicgen.generate(key, "warm up", 1.0, musicgen.SamplingOptions())
    start = time.perf_counter()
    musicgen.generate(key, "calm lo-fi piano", seconds, musicgen.SamplingOptions(seed=0))
    rate = (time.perf_counter() - start) / seconds
    print(f"MusicGen small on this CPU: {rate:.2f} s of compute per second of music")


if __name__ == "__main__":
    main()
