"""Render a composed piece through a General MIDI SoundFont with ``tinysoundfont``.

The bundled SoundFont is FluidR3Mono_GM (MIT; ``assets/soundfonts/``), an SF3 file whose
Vorbis samples are decoded once when it is loaded (~1.5 s), so it lives in the model
registry as ``fluidr3-mono-gm`` and is loaded on first use. A loaded SoundFont holds
the channel state, so renders take turns on a lock (a 30 s piece renders in well under
a second). Notes are scheduled by our own loop between events, sample-exact, from the
same :class:`~pipelines.composer.Piece` that is written to the MIDI file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register
from pipelines.engines.rule_composer import Piece

SOUNDFONT_PATH = Path(__file__).resolve().parents[2] / "assets" / "soundfonts" / "FluidR3Mono_GM.sf3"
SOUNDFONT_KEY = "fluidr3-mono-gm"
SAMPLE_RATE = 44100
TAIL_SECONDS = 0.0  # the piece's length is what the user asked for; the ending fades into it
FADE_SECONDS = 1.5


@dataclass
class SoundFontSynth:
    synth: object  # tinysoundfont.Synth
    sfid: int
    lock: threading.Lock
    sr: int


def _load_soundfont() -> SoundFontSynth:
    import tinysoundfont

    if not SOUNDFONT_PATH.exists():
        raise FileNotFoundError(f"SoundFont missing: {SOUNDFONT_PATH} (reinstall the app's assets)")
    synth = tinysoundfont.Synth(gain=-6.0, samplerate=SAMPLE_RATE)
    sfid = synth.sfload(str(SOUNDFONT_PATH), max_voices=256)
    return SoundFontSynth(synth, sfid, threading.Lock(), SAMPLE_RATE)


register(
    ModelSpec(
        key=SOUNDFONT_KEY,
        task="compose",
        title="FluidR3Mono GM SoundFont (bundled)",
        engine="bundled",
        licence="MIT",
        loader=_load_soundfont,
        size_mb=14.6,
        requires=("tinysoundfont", "mido"),
        note="General MIDI instruments for the rule-based composer",
    )
)


def render_piece(piece: Piece, synth: SoundFontSynth | None = None) -> tuple[np.ndarray, int]:
    """(stereo float32 array of shape (2, N), sample rate) for ``piece``, exactly piece.seconds long."""
    sf = synth or REGISTRY.get(SOUNDFONT_KEY)
    sr = sf.sr
    n_total = int(round(piece.seconds * sr))
    beat_s = piece.beat_seconds
    events = []  # (sample, order, kind, channel, key, velocity): note-offs before note-ons
    for part in piece.parts:
        for n in part.notes:
            on = int(round(n.start * beat_s * sr))
            off = int(round((n.start + n.length) * beat_s * sr))
            if on >= n_total:
                continue
            events.append((on, 1, part.channel, n.pitch, n.velocity))
            events.append((min(off, n_total), 0, part.channel, n.pitch, 0))
    events.sort()
    buf = memoryview(bytearray(n_total * 2 * 4))
    with sf.lock:
        s = sf.synth
        # Reset channels; reset() only fades the last render's voices out quickly, so render
        # that fade into a scratch buffer: every render then starts from silence, bit-identical.
        s.soundfonts[sf.sfid].reset()
        s.generate_simple(int(0.05 * sr))
        for part in piece.parts:
            s.program_select(
                part.channel, sf.sfid, 128 if part.is_drums else 0, 0 if part.is_drums else part.program, part.is_drums
            )
            s.control_change(part.channel, 7, part.volume)
            s.control_change(part.channel, 10, part.pan)
        pos = 0
        for sample, order, ch, key, vel in events:
            if sample > pos:
                s.generate_simple(sample - pos, buffer=buf[pos * 8 : sample * 8])
                pos = sample
            if order:
                s.noteon(ch, key, vel)
            else:
                s.noteoff(ch, key)
        if pos < n_total:
            s.generate_simple(n_total - pos, buffer=buf[pos * 8 :])
        s.notes_off()
    audio = np.frombuffer(buf, dtype=np.float32).reshape(-1, 2).T.copy()
    fade = min(int(FADE_SECONDS * sr), n_total // 4)
    if fade > 0:
        audio[:, -fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32) ** 2
    return audio, sr


def add_reverb(audio: np.ndarray, sr: int, wet: float, seconds: float = 1.6, seed: int = 7) -> np.ndarray:
    """A small room: convolution with decaying noise, different per channel for width.

    The impulse response comes from a fixed seed, so the same piece always sounds the same.
    """
    if wet <= 0:
        return audio
    from scipy.signal import oaconvolve

    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    decay = np.exp(-6.9 * t / seconds)  # -60 dB at the end
    out = np.empty_like(audio)
    for ch in range(audio.shape[0]):
        ir = (rng.standard_normal(n) * decay).astype(np.float32)
        ir[: int(0.012 * sr)] = 0.0  # pre-delay
        ir /= np.sqrt(np.sum(ir**2))
        out[ch] = audio[ch] + wet * oaconvolve(audio[ch], ir)[: audio.shape[1]]
    return out
