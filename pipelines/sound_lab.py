"""The Sound lab (seeds 002, 003): make sound, change it through a chain of effects, SpecAugment it,
and augment a set of clips for training; before and after seen and heard. No Gradio here.

A chain has one text form, the one users see, save and paste (the API takes it too)::

    highpass(hz=120) | compressor(threshold_db=-20, ratio=4) | reverb(room_size=0.3, wet=0.2)

and a JSON form, ``[{"effect": "highpass", "hz": 120}, ...]``. A synthesized sound is a recipe of
layers in the same call syntax joined by ``+``: ``chord(notes="A4 C#5 E5") + noise(color=pink, amplitude=0.05)``.
Every parameter has a range; a mistake names the effect, the parameter and the range. The length a
chain will produce is worked out before any work starts and refused when over the server's limit.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from pipelines.core.audio import SILENCE_DBFS, AudioInput, refuse_longer_than
from pipelines.core.config import format_seconds
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem, text_stem
from pipelines.dsp import effects as fx
from pipelines.dsp import synth

if TYPE_CHECKING:
    from pipelines.dsp.features import AudioFacts

# --- parameters and effects -------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    default: float | int | str | None  # None: required
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    kind: str = "float"  # float, int, choice, text

    def range_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "text":
            return "text"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.lo:g} to {self.hi:g}{unit}"

    def coerce(self, raw, owner: str):
        where = f"{owner}: {self.name}"
        if self.kind == "text":
            return str(raw).strip()
        if self.choices:
            value = str(raw).strip().strip("'\"").lower()
            if value not in self.choices:
                raise UserError(f"{where} must be {self.range_text()}, got {raw!r}.")
            return value
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise UserError(f"{where} must be a number from {self.range_text()}, got {raw!r}.") from None
        if not np.isfinite(value) or value < self.lo or value > self.hi:
            raise UserError(f"{where} must be from {self.range_text()}, got {value:g}.")
        if self.kind == "int":
            if value != int(value):
                raise UserError(f"{where} must be a whole number from {self.range_text()}, got {value:g}.")
            return int(value)
        return value


def P(name, default=None, lo=None, hi=None, unit="", kind="float", choices=()) -> Param:
    return Param(name, default, lo, hi, unit, tuple(choices), "choice" if choices else kind)


@dataclass(frozen=True)
class Effect:
    name: str
    fn: Callable
    params: tuple[Param, ...]
    help: str
    length: Callable[[dict, int, int], int] | None = None  # (params, n, sr) -> samples after; None: kept
    rate: Callable[[dict, int], int] | None = None  # (params, sr) -> sample rate after; None: kept


def _seconds(p, n, sr):  # trim
    a = int(round(p["start_s"] * sr))
    b = int(round(p["end_s"] * sr)) if p["end_s"] > 0 else n
    return max(0, min(n, b) - a)


HZ = dict(lo=10, hi=96000, unit="Hz")
DB_IN = dict(lo=-100, hi=0, unit="dB")

EFFECT_LIST = [
    Effect("gain", fx.gain, (P("db", None, -60, 60, "dB"),), "louder or quieter by db decibels"),
    Effect("normalize_peak", fx.normalize_peak, (P("dbfs", -1.0, -60, 0, "dBFS"),), "scale so the peak is dbfs"),
    Effect(
        "normalize_loudness",
        fx.normalize_loudness,
        (P("lufs", None, -60, -5, "LUFS"), P("true_peak_db", -1.0, -20, 0, "dBTP")),
        "integrated loudness to lufs (pyloudnorm, BS.1770), true peak kept under true_peak_db by a limiter",
    ),
    Effect(
        "compressor",
        fx.compressor,
        (
            P("threshold_db", -20.0, **DB_IN),
            P("ratio", 4.0, 1, 50),
            P("attack_ms", 5.0, 0.1, 500, "ms"),
            P("release_ms", 100.0, 1, 5000, "ms"),
        ),
        "evens out loud and quiet parts",
    ),
    Effect(
        "limiter",
        fx.limiter,
        (P("threshold_db", -1.0, -60, 0, "dB"), P("release_ms", 100.0, 1, 5000, "ms")),
        "keeps peaks under threshold_db",
    ),
    Effect(
        "noise_gate",
        fx.noise_gate,
        (P("threshold_db", -50.0, **DB_IN), P("ratio", 10.0, 1, 100), P("release_ms", 100.0, 1, 5000, "ms")),
        "mutes what is quieter than threshold_db",
    ),
    Effect("fade", fx.fade, (P("in_s", 0.5, 0, 600, "s"), P("out_s", 0.5, 0, 600, "s")), "fade in and out"),
    Effect(
        "trim",
        fx.trim,
        (P("start_s", 0.0, 0, 86400, "s"), P("end_s", 0.0, 0, 86400, "s")),
        "keep start_s to end_s (end_s=0: to the end)",
        length=_seconds,
    ),
    Effect(
        "trim_silence",
        fx.trim_silence,
        (P("top_db", 40.0, 10, 120, "dB"),),
        "cut quiet lead-in and tail (top_db below the peak)",
    ),
    Effect("reverse", fx.reverse, (), "play backwards"),
    Effect(
        "pitch_shift",
        fx.pitch_shift,
        (P("semitones", None, -24, 24, "semitones"),),
        "higher or lower, same duration (Rubber Band)",
    ),
    Effect(
        "time_stretch",
        fx.time_stretch,
        (P("rate", None, 0.1, 10),),
        "rate times faster, same pitch (Rubber Band)",
        length=lambda p, n, sr: int(np.ceil(n / p["rate"])),
    ),
    Effect(
        "speed",
        fx.speed,
        (P("rate", None, 0.1, 10),),
        "like a tape: faster and higher together",
        length=lambda p, n, sr: int(np.ceil(n / p["rate"])),
    ),
    Effect(
        "resample",
        lambda y, sr, sr_out: fx.resample(y, sr, sr_out),
        (P("sr", None, 4000, 192000, "Hz", kind="int"),),
        "change the sample rate (soxr)",
        length=lambda p, n, sr: int(np.ceil(n * p["sr"] / sr)),
        rate=lambda p, sr: p["sr"],
    ),
    Effect(
        "highpass",
        fx.highpass,
        (P("hz", None, **HZ), P("order", 4, 1, 8, kind="int")),
        "removes what is below hz (Butterworth, order x 6 dB/octave)",
    ),
    Effect("lowpass", fx.lowpass, (P("hz", None, **HZ), P("order", 4, 1, 8, kind="int")), "removes what is above hz"),
    Effect(
        "bandpass",
        fx.bandpass,
        (P("low_hz", None, **HZ), P("high_hz", None, **HZ), P("order", 4, 1, 8, kind="int")),
        "keeps low_hz to high_hz",
    ),
    Effect(
        "eq",
        fx.eq,
        (P("hz", None, **HZ), P("gain_db", None, -30, 30, "dB"), P("q", 1.0, 0.1, 30)),
        "a bell-shaped boost or cut around hz",
    ),
    Effect(
        "reverb",
        fx.reverb,
        (P("room_size", 0.5, 0, 1), P("wet", 0.33, 0, 1), P("damping", 0.5, 0, 1)),
        "a room around the sound",
    ),
    Effect(
        "delay", fx.delay, (P("seconds", 0.25, 0, 10, "s"), P("feedback", 0.3, 0, 0.95), P("mix", 0.3, 0, 1)), "echoes"
    ),
    Effect(
        "chorus",
        fx.chorus,
        (P("rate_hz", 1.0, 0.01, 20, "Hz"), P("depth", 0.25, 0, 1), P("mix", 0.5, 0, 1)),
        "a shimmer of detuned copies",
    ),
    Effect("distortion", fx.distortion, (P("drive_db", 25.0, 0, 60, "dB"),), "overdrive (tanh)"),
    Effect("bitcrush", fx.bitcrush, (P("bits", 8.0, 1, 32, "bits"),), "fewer bits: lo-fi grit"),
    Effect(
        "add_noise",
        fx.add_noise,
        (
            P("snr_db", None, -20, 80, "dB"),
            P("color", "white", choices=synth.NOISE_COLORS),
            P("seed", 0, 0, 2**31 - 1, kind="int"),
        ),
        "noise at snr_db signal-to-noise ratio",
    ),
    Effect(
        "time_mask",
        fx.time_mask,
        (P("start_s", 0.0, 0, 86400, "s"), P("width_s", 0.1, 0, 60, "s")),
        "silence a span (SpecAugment time mask)",
    ),
    Effect(
        "freq_mask",
        fx.freq_mask,
        (P("low_hz", None, 0, 96000, "Hz"), P("high_hz", None, 0, 96000, "Hz")),
        "remove a band of frequencies (SpecAugment frequency mask)",
    ),
    Effect("mono", fx.mono, (), "mix the channels to one"),
]
EFFECTS: dict[str, Effect] = {e.name: e for e in EFFECT_LIST}
_FN_KWARGS = {"resample": {"sr": "sr_out"}}  # parameter names that differ from the function's

PRESETS: dict[str, str] = {
    "Telephone line": "bandpass(low_hz=300, high_hz=3400) | compressor(threshold_db=-24, ratio=6) | distortion(drive_db=6)"
    " | resample(sr=8000) | normalize_peak(dbfs=-3)",
    "Radio": "highpass(hz=100) | lowpass(hz=6000) | compressor(threshold_db=-18, ratio=8) | distortion(drive_db=4)"
    " | normalize_peak(dbfs=-1)",
    "Podcast (-16 LUFS)": "highpass(hz=80) | noise_gate(threshold_db=-55) | compressor(threshold_db=-20, ratio=3)"
    " | normalize_loudness(lufs=-16, true_peak_db=-1)",
    "Broadcast (EBU R128, -23 LUFS)": "highpass(hz=40) | normalize_loudness(lufs=-23, true_peak_db=-1)",
    "Cathedral": "reverb(room_size=0.98, wet=0.5, damping=0.2) | normalize_peak(dbfs=-1)",
    "Chipmunk": "pitch_shift(semitones=7) | time_stretch(rate=1.15)",
    "Slowed + reverb": "speed(rate=0.85) | reverb(room_size=0.7, wet=0.35) | normalize_peak(dbfs=-1)",
}

LIMITER_CEILING_DB = -1.0  # a chain whose result would clip is limited to this


@dataclass
class Step:
    effect: str
    params: dict

    def text(self) -> str:
        return f"{self.effect}({', '.join(f'{k}={_fmt(v)}' for k, v in self.params.items())})"


def _fmt(v) -> str:
    if isinstance(v, str):
        return v if re.fullmatch(r"[A-Za-z0-9_.#-]+", v) else json.dumps(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


# --- parsing ------------------------------------------------------------------------------

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes and brackets."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


def parse_calls(text: str, sep: str, key: str, what: str) -> list[tuple[str, list[tuple[str | None, object]]]]:
    """``name(k=v, ...) <sep> ...`` or a JSON list of ``{key: name, k: v}`` -> [(name, [(k or None, raw)])]."""
    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"The {what} looks like JSON but is not valid JSON ({exc.msg} at character {exc.pos})."
            ) from None
        out = []
        for i, item in enumerate(items if isinstance(items, list) else [items]):
            if not isinstance(item, dict) or not isinstance(item.get(key), str):
                raise UserError(f'Item {i + 1} of the JSON {what} must be an object with a "{key}" name, got {item!r}.')
            out.append((item[key], [(k, v) for k, v in item.items() if k != key]))
        return out
    out = []
    for i, part in enumerate(_split_top(text, sep)):
        m = _CALL.match(part)
        if not part.strip():
            raise UserError(f"Step {i + 1} of the {what} is empty: remove the extra '{sep}'.")
        if not m or part.count("(") != part.count(")"):
            raise UserError(
                f"Step {i + 1} of the {what}, '{part.strip()}', is not of the form name(param=value, ...), "
                f"e.g. highpass(hz=120)."
            )
        args = []
        for arg in _split_top(m.group(2) or "", ","):
            if not arg.strip():
                continue
            k, eq, v = arg.partition("=")
            args.append((k.strip(), _unquote(v)) if eq else (None, _unquote(arg)))
        out.append((m.group(1), args))
    return out


def bind(name: str, params: tuple[Param, ...], args) -> dict:
    """Match positional and named arguments to ``params``; defaults filled in, each value checked."""
    names = [p.name for p in params]
    given: dict = {}
    for i, (k, v) in enumerate(args):
        if k is None:
            if i >= len(params):
                raise UserError(f"{name} takes {len(params)} parameter(s) ({', '.join(names) or 'none'}), got more.")
            k = params[i].name
        if k not in names:
            raise UserError(
                f"{name} has no parameter '{k}'; its parameters are: "
                f"{', '.join(f'{p.name} ({p.range_text()})' for p in params) or 'none'}."
            )
        given[k] = v
    out = {}
    for p in params:
        if p.name in given:
            out[p.name] = p.coerce(given[p.name], name)
        elif p.default is None:
            example = _EXAMPLE_VALUES.get((name, p.name), _example(p))
            raise UserError(f"{name} needs {p.name} ({p.range_text()}), e.g. {name}({p.name}={example}).")
        else:
            out[p.name] = p.default
    return out


def _example(p: Param) -> str:
    if p.choices:
        return p.choices[0]
    mid = (p.lo + p.hi) / 2 if p.lo is not None else 1
    return f"{round(mid)}" if p.kind == "int" or abs(mid) > 10 else f"{mid:g}"


def parse_chain(text: str) -> list[Step]:
    """The chain's text or JSON form -> checked steps (every parameter filled in)."""
    steps = []
    for name, args in parse_calls(text, "|", "effect", "chain"):
        effect = EFFECTS.get(name.lower())
        if effect is None:
            raise UserError(f"Unknown effect '{name}'. Effects: {', '.join(EFFECTS)}.")
        steps.append(Step(effect.name, bind(effect.name, effect.params, args)))
    return steps


def chain_text(steps: list[Step]) -> str:
    return " | ".join(s.text() for s in steps)


def chain_json(steps: list[Step]) -> str:
    return json.dumps([{"effect": s.effect, **s.params} for s in steps])


def effect_template(name: str) -> str:
    """``name(p=default, ...)`` with a sensible value for required parameters: what 'Add' appends."""
    e = EFFECTS[name]
    return f"{name}({', '.join(f'{p.name}={_fmt(p.default) if p.default is not None else _example_value(e, p)}' for p in e.params)})"


_EXAMPLE_VALUES = {
    ("gain", "db"): "-6",
    ("normalize_loudness", "lufs"): "-16",
    ("pitch_shift", "semitones"): "3",
    ("time_stretch", "rate"): "1.25",
    ("speed", "rate"): "1.25",
    ("resample", "sr"): "16000",
    ("highpass", "hz"): "120",
    ("lowpass", "hz"): "6000",
    ("bandpass", "low_hz"): "300",
    ("bandpass", "high_hz"): "3400",
    ("eq", "hz"): "1000",
    ("eq", "gain_db"): "6",
    ("add_noise", "snr_db"): "20",
    ("freq_mask", "low_hz"): "1000",
    ("freq_mask", "high_hz"): "2000",
}


def _example_value(e: Effect, p: Param) -> str:
    return _EXAMPLE_VALUES.get((e.name, p.name), _example(p))


def effects_help() -> list[tuple[str, str, str]]:
    """(effect, parameters with ranges, what it does) for the reference table."""
    rows = []
    for e in EFFECT_LIST:
        ps = ", ".join(f"{p.name}{'' if p.default is not None else '*'} ({p.range_text()})" for p in e.params)
        rows.append((e.name, ps or "none", e.help))
    return rows


# --- applying a chain ---------------------------------------------------------------------


@dataclass
class ChainPlan:
    steps: list[Step]
    seconds_out: float
    sr_out: int


def plan_chain(steps: list[Step], sr: int, n_samples: int, max_seconds: float | None) -> ChainPlan:
    """Check what depends on the audio (frequencies under half the rate, trims inside it) and the length
    the chain will produce, before any work starts."""
    n = n_samples
    for i, s in enumerate(steps):
        e, p = EFFECTS[s.effect], s.params
        nyquist = sr / 2
        for q in e.params:
            if q.unit == "Hz" and q.name != "rate_hz" and s.effect != "resample" and p[q.name] >= nyquist:
                raise UserError(
                    f"Step {i + 1}, {s.effect}: {q.name} must be below half the sample rate at that point "
                    f"({nyquist:g} Hz), got {p[q.name]:g}."
                )
        for lo, hi in (("low_hz", "high_hz"), ("start_s", "end_s")):
            if lo in p and hi in p and p[hi] and p[lo] >= p[hi]:
                raise UserError(f"Step {i + 1}, {s.effect}: {lo} ({p[lo]:g}) must be below {hi} ({p[hi]:g}).")
        if s.effect == "trim" and p["start_s"] * sr >= n:
            raise UserError(
                f"Step {i + 1}, trim: start_s ({p['start_s']:g} s) is past the end of the audio "
                f"({format_seconds(n / sr)} at that point)."
            )
        n = e.length(p, n, sr) if e.length else n
        sr = e.rate(p, sr) if e.rate else sr
    seconds = n / sr
    if max_seconds and seconds > max_seconds + 0.5:
        raise UserError(
            f"The chain would make {format_seconds(seconds)} of audio; the limit is {format_seconds(max_seconds)} "
            "(the server's --max-seconds setting). Use a shorter clip or a gentler stretch/speed rate."
        )
    return ChainPlan(steps, seconds, sr)


@dataclass
class ChainResult:
    channels: np.ndarray  # (channels, samples) float32, within [-1, 1]
    sr: int
    warnings: list[str] = field(default_factory=list)
    limited: bool = False


# Where a result that would clip came from, for the advice its warning gives (issue 30: Augment said
# "lower the gain in the chain" where no chain is set).
CHAIN_ADVICE, AUGMENT_ADVICE, SYNTH_ADVICE = "chain", "augment", "synth"


def apply_chain(
    y: np.ndarray, sr: int, steps: list[Step], max_seconds: float | None = None, *, advice: str = CHAIN_ADVICE
) -> ChainResult:
    """Run the steps in order; a result that would clip goes through a limiter (``advice`` says
    what the user can change to avoid it), a silent one is reported."""
    plan_chain(steps, sr, y.shape[-1], max_seconds)
    y = np.ascontiguousarray(y, dtype=np.float32)
    for s in steps:
        e = EFFECTS[s.effect]
        rename = _FN_KWARGS.get(s.effect, {})
        y = e.fn(y, sr, **{rename.get(k, k): v for k, v in s.params.items()})
        sr = e.rate(s.params, sr) if e.rate else sr
        if y.shape[-1] == 0:
            raise UserError(f"After {s.effect} nothing is left of the audio (zero length); check the chain.")
    return finish(y, sr, advice=advice)


def finish(y: np.ndarray, sr: int, *, advice: str = CHAIN_ADVICE) -> ChainResult:
    warnings = []
    top = fx.peak(y)
    limited = False
    if top > 1.0:
        over = int(np.count_nonzero(np.abs(y) > 1.0))
        y = fx.limiter(y, sr, threshold_db=LIMITER_CEILING_DB)
        y = np.clip(y, -1.0, 1.0)
        limited = True
        peak_db, ceiling, now_db = 20 * np.log10(top), LIMITER_CEILING_DB, 20 * np.log10(max(fx.peak(y), 1e-12))
        if advice == AUGMENT_ADVICE:
            warnings.append(
                f"The result peaked at {peak_db:+.1f} dBFS ({over} samples over full scale) and would clip: a limiter "
                f"at {ceiling:g} dBFS brought the peak to {now_db:.1f} dBFS. Lower Augment's gain range (gain_db) to "
                "avoid it."
            )
        elif advice == SYNTH_ADVICE:
            warnings.append(
                f"The result peaked at {peak_db:+.1f} dBFS ({over} samples over full scale) and would clip: a limiter "
                f"at {ceiling:g} dBFS brought the peak to {now_db:.1f} dBFS. Lower the layers' amplitude to avoid it."
            )
        else:
            warnings.append(
                f"The result peaked at {peak_db:+.1f} dBFS ({over} samples over full scale) and would clip: a limiter "
                f"at {ceiling:g} dBFS brought the peak to {now_db:.1f} dBFS. Lower the gain in the chain to avoid it."
            )
    top = fx.peak(y)
    if top == 0 or 20 * np.log10(top) < SILENCE_DBFS:
        warnings.append(
            f"The result is silent (peak below {SILENCE_DBFS:g} dBFS): check the chain (a gate threshold above "
            "the sound's level, a trim past the sound, a large negative gain?)."
        )
    return ChainResult(np.ascontiguousarray(y, dtype=np.float32), sr, warnings, limited)


# --- what the tab shows -------------------------------------------------------------------


@dataclass
class Look:
    """A sound as the tab shows it: WAV file, facts, waveform and spectrogram PNGs."""

    wav: Path
    facts: AudioFacts
    waveform: Path
    spectrogram: Path


SPECTROGRAM_MAX_FRAMES = 2400  # a figure 6 inches wide shows fewer columns: more frames only cost time


def spectrogram_db(y: np.ndarray, sr: int, n_fft: int = 2048, hop: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(dBFS STFT magnitude, bin frequencies) of a mono signal: absolute, so before/after compare.
    A long signal is drawn with a longer hop (at most SPECTROGRAM_MAX_FRAMES frames)."""
    import librosa

    hop = max(hop, -(-len(y) // SPECTROGRAM_MAX_FRAMES))
    mag = np.abs(librosa.stft(np.ascontiguousarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop))
    db = librosa.amplitude_to_db(mag, ref=n_fft / 4, amin=1e-6, top_db=None)  # a full-scale sine ~ 0 dB
    return db.astype(np.float32), librosa.fft_frequencies(sr=sr, n_fft=n_fft)


def look(channels: np.ndarray, sr: int, out_dir: Path, stem: str, title: str, sample_format: str = "PCM_16") -> Look:
    from pipelines.dsp.features import audio_facts  # librosa, matplotlib: not at start-up
    from pipelines.formats import plots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wav = out_dir / f"{stem}.wav"
    sf.write(wav, np.clip(channels, -1, 1).T, sr, subtype="PCM_16")
    audio = AudioInput(channels, sr, sample_format, wav.name)
    facts = audio_facts(audio)
    fig = _narrow(plots.plot_waveform(channels, sr, title=f"{title}: waveform"), right=0.97)
    wave_png = plots.save_png(fig, out_dir / f"{stem}-waveform.png")
    db, freqs = spectrogram_db(audio.mono, sr)
    fig = plots.plot_heatmap(
        db, audio.duration, title=f"{title}: spectrogram (dBFS)", y_axis="log", y_values=freqs, vmin=-100, vmax=0
    )
    fig = _narrow(fig, right=0.9)
    spec_png = plots.save_png(fig, out_dir / f"{stem}-spectrogram.png")
    return Look(wav, facts, wave_png, spec_png)


FIGURE_WIDTH_IN = 6.0  # before and after stand side by side: half the width of the Visualize figures


def _narrow(fig, right: float):
    """The shared figure at half width: text keeps its size, so it reads at the size it is shown."""
    fig.set_size_inches(FIGURE_WIDTH_IN, fig.get_figheight())
    fig.subplots_adjust(left=0.13, right=right)
    return fig


def facts_rows(f: AudioFacts) -> list[tuple[str, str]]:
    keep = ("Sample rate", "Channels", "Duration", "Peak", "RMS", "Integrated loudness", "Clipped samples")
    return [r for r in f.as_rows() if r[0] in keep]


@dataclass
class EffectsOptions:
    chain: str = (
        "highpass(hz=80) | compressor(threshold_db=-20, ratio=4) | reverb(room_size=0.3, wet=0.2)"
        " | normalize_loudness(lufs=-16)"
    )


@dataclass
class EffectsResult:
    before: Look
    after: Look
    steps: list[Step]
    warnings: list[str]


# The chain runs on the whole recording and keeps the input, the result and the effects' copies:
# on 30 minutes of 44.1 kHz stereo the server peaked 2.4 GB over idle (benchmarks/bench_memory.py,
# bar 700 MB), about 80 MB a minute; the app's Sound lab and Analyze's loudness fix stop at 8 minutes.
EFFECTS_MAX_SECONDS = 480.0
EFFECTS_TOO_LONG = (
    "The audio is {length} long; the effects chain holds the whole recording and its result in memory, "
    "so this server applies effects to up to {limit}. Trim it or split it into parts and try again."
)


def check_effects_length(path: str | Path | None, seconds: float | None = None) -> None:
    """Refuse, before any work, a recording longer than the effects chain holds in bounded memory."""
    refuse_longer_than(path, seconds, EFFECTS_MAX_SECONDS, EFFECTS_TOO_LONG)


def run_effects(audio: AudioInput, chain: str, out_dir: Path, max_seconds: float | None = None) -> EffectsResult:
    steps = parse_chain(chain)
    if not steps:
        raise UserError("The chain is empty: add an effect (or pick a preset), e.g. highpass(hz=120).")
    plan_chain(steps, audio.sr, audio.n_samples, max_seconds)  # before the work and the drawing start
    result = apply_chain(audio.channels, audio.sr, steps, max_seconds)
    stem = safe_stem(audio.name, "audio")
    before = look(audio.channels, audio.sr, out_dir, f"{stem}-before", "Before", audio.sample_format)
    after = look(result.channels, result.sr, out_dir, f"{stem}-sound-lab", "After")
    return EffectsResult(before, after, steps, list(audio.warnings) + result.warnings)


# --- synthesis ----------------------------------------------------------------------------

AMP = P("amplitude", 0.5, 0, 1)
SECS = P("seconds", 0.0, 0, 600, "s")  # 0: the recipe's duration
LAYERS: dict[str, tuple[Param, ...]] = {
    **{w: (P("hz", 440.0, 1, 20000, "Hz"), AMP, SECS) for w in synth.WAVES},
    "chord": (P("notes", "A4 C#5 E5", kind="text"), P("wave", "sine", choices=synth.WAVES), AMP, SECS),
    "tones": (P("hz", "220 330 440", kind="text"), P("wave", "sine", choices=synth.WAVES), AMP, SECS),
    "noise": (P("color", "white", choices=synth.NOISE_COLORS), AMP, SECS, P("seed", 0, 0, 2**31 - 1, kind="int")),
    "sweep": (
        P("start_hz", 100.0, 1, 20000, "Hz"),
        P("end_hz", 8000.0, 1, 20000, "Hz"),
        P("method", "exponential", choices=synth.SWEEP_METHODS),
        AMP,
        SECS,
    ),
    "silence": (SECS,),
}


@dataclass
class SynthOptions:
    recipe: str = 'chord(notes="A4 C#5 E5", amplitude=0.5)'
    seconds: float = 2.0
    sample_rate: int = 44100


def _freqs(text: str, kind: str) -> list[float]:
    try:
        freqs = synth.note_freqs(text) if kind == "chord" else [float(x) for x in text.replace(",", " ").split()]
    except Exception:
        example = "A4 C#5 E5" if kind == "chord" else "220 330 440"
        raise UserError(
            f"{kind}: could not read {text!r}; give space-separated {'note names' if kind == 'chord' else 'frequencies in Hz'}, e.g. {example}."
        ) from None
    if not freqs:
        raise UserError(f"{kind}: give at least one {'note' if kind == 'chord' else 'frequency'}.")
    if any(not 1 <= f <= 20000 for f in freqs):
        raise UserError(
            f"{kind}: every frequency must be from 1 to 20000 Hz, got {', '.join(f'{f:.1f}' for f in freqs)}."
        )
    return freqs


def synthesize(
    recipe: str, seconds: float = 2.0, sample_rate: int = 44100, max_seconds: float | None = None
) -> np.ndarray:
    """A recipe of layers joined by '+' -> a mono float32 mix (layers shorter than the longest are padded)."""
    if not 8000 <= int(sample_rate) <= 192000:
        raise UserError(f"The sample rate must be from 8000 to 192000 Hz, got {sample_rate}.")
    if not 0.05 <= float(seconds) <= 600:
        raise UserError(f"The duration must be from 0.05 to 600 s, got {seconds:g}.")
    sr = int(sample_rate)
    layers = []
    calls = parse_calls(recipe, "+", "layer", "recipe")
    if not calls:
        raise UserError("The recipe is empty: add a layer, e.g. sine(hz=440).")
    for name, args in calls:
        params = LAYERS.get(name.lower())
        if params is None:
            raise UserError(f"Unknown layer '{name}'. Layers: {', '.join(LAYERS)}.")
        p = bind(name.lower(), params, args)
        secs = p.get("seconds") or float(seconds)
        if max_seconds and secs > max_seconds:
            raise UserError(f"{name}: {secs:g} s is over the server's limit of {format_seconds(max_seconds)}.")
        kind = name.lower()
        if kind in synth.WAVES:
            y = synth.tone(kind, p["hz"], secs, sr, p["amplitude"])
        elif kind in ("chord", "tones"):
            y = synth.tones(_freqs(p["notes" if kind == "chord" else "hz"], kind), p["wave"], secs, sr, p["amplitude"])
        elif kind == "noise":
            y = synth.noise_clip(p["color"], secs, sr, p["amplitude"], p["seed"])
        elif kind == "sweep":
            y = synth.sweep(p["start_hz"], p["end_hz"], secs, sr, p["amplitude"], p["method"])
        else:
            y = synth.silence(secs, sr)
        layers.append(y)
    return synth.mix(layers)


def layer_template(kind: str) -> str:
    return f"{kind}({', '.join(f'{p.name}={_fmt(p.default)}' for p in LAYERS[kind] if p.name != 'seconds')})"


def recipe_stem(recipe: str) -> str:
    """Download name of a synthesized sound, after its recipe: each layer (three at most) with its
    first value, e.g. ``chord-A4-Cs5-E5-sine-110-synth`` (issue 13, class 6: never ``audio.wav``)."""
    try:
        calls = parse_calls(recipe, "+", "layer", "recipe")
    except UserError:
        calls = []
    parts = []
    for name, args in calls[:3]:
        first = next((str(v) for k, v in args if k in (None, "hz", "notes", "color", "start_hz")), "")
        parts.append(f"{name} {first}")
    return text_stem(" ".join(parts), "sound", words=8, lower=False) + "-synth"


@dataclass
class SynthResult:
    look: Look
    warnings: list[str]


def run_synthesize(options: SynthOptions, out_dir: Path, max_seconds: float | None = None) -> SynthResult:
    y = synthesize(options.recipe, options.seconds, options.sample_rate, max_seconds)
    result = finish(y[None, :], int(options.sample_rate), advice=SYNTH_ADVICE)
    stem = recipe_stem(options.recipe)
    return SynthResult(look(result.channels, result.sr, out_dir, stem, "Synthesized"), result.warnings)


# --- SpecAugment --------------------------------------------------------------------------

SPEC_MAX_SECONDS = 30.0  # Griffin-Lim rebuild: the first 30 s


@dataclass
class SpecAugmentOptions:
    time_masks: int = 2
    time_width: int = 30  # frames of 256 samples (0.17 s at 44.1 kHz)
    freq_masks: int = 2
    freq_width: int = 12  # mel bands of 80
    time_warp: int = 0  # frames (0: off)
    seed: int = 0
    n_mels: int = 80

    def checked(self) -> SpecAugmentOptions:
        for name, lo, hi in (
            ("time_masks", 0, 20),
            ("time_width", 0, 500),
            ("freq_masks", 0, 20),
            ("freq_width", 0, 80),
            ("time_warp", 0, 200),
            ("seed", 0, 2**31 - 1),
            ("n_mels", 16, 256),
        ):
            setattr(self, name, Param(name, 0, lo, hi, kind="int").coerce(getattr(self, name), "SpecAugment"))
        if self.freq_width > self.n_mels:
            raise UserError(f"SpecAugment: freq_width ({self.freq_width}) must be at most n_mels ({self.n_mels}).")
        return self


@dataclass
class SpecAugmentLook:
    before_png: Path
    after_png: Path
    rebuilt_wav: Path
    description: str


def run_spec_augment(audio: AudioInput, options: SpecAugmentOptions, out_dir: Path) -> SpecAugmentLook:
    import librosa

    from pipelines.dsp.spec_augment import mel_power, mel_to_audio, spec_augment
    from pipelines.formats import plots

    o = options.checked()
    y = audio.mono[: int(SPEC_MAX_SECONDS * audio.sr)]
    mel = mel_power(y, audio.sr, n_mels=o.n_mels)
    r = spec_augment(
        mel,
        time_masks=o.time_masks,
        time_width=o.time_width,
        freq_masks=o.freq_masks,
        freq_width=o.freq_width,
        warp=o.time_warp,
        seed=o.seed,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = safe_stem(audio.name, "audio")
    mel_freqs = librosa.mel_frequencies(n_mels=o.n_mels, fmax=audio.sr / 2)
    dur = len(y) / audio.sr
    pngs = []
    for name, m in (("before", r.mel), ("after", r.augmented)):
        db = librosa.power_to_db(m, ref=float(r.mel.max()) or 1.0, amin=1e-10, top_db=None)
        fig = plots.plot_heatmap(
            np.maximum(db, -100),
            dur,
            title=f"Mel spectrogram, {name} SpecAugment",
            y_axis="mel",
            y_values=mel_freqs,
            vmin=-100,
            vmax=0,
            height_in=3.0,
        )
        pngs.append(plots.save_png(fig, out_dir / f"{stem}-mel-{name}.png"))
    rebuilt = mel_to_audio(r.augmented, audio.sr)
    rebuilt = rebuilt * (min(1.0, 0.99 / fx.peak(rebuilt)) if fx.peak(rebuilt) else 1.0)
    wav = out_dir / f"{stem}-specaugment.wav"
    sf.write(wav, rebuilt, audio.sr, subtype="PCM_16")
    hop_s = 256 / audio.sr
    masks = (
        "; ".join(
            f"{m.axis} {m.start}-{m.start + m.width}"
            + (
                f" ({m.start * hop_s:.2f}-{(m.start + m.width) * hop_s:.2f} s)"
                if m.axis == "time"
                else f" ({mel_freqs[m.start]:.0f} Hz up)"
            )
            for m in r.masks
        )
        or "none"
    )
    warp = f"frame {r.warp_from} moved to {r.warp_to}" if r.warp_from != r.warp_to else "none"
    cut = f" (the first {SPEC_MAX_SECONDS:g} s)" if audio.duration > SPEC_MAX_SECONDS else ""
    description = (
        f"{o.n_mels} mel bands x {mel.shape[1]} frames{cut}. Masks (bins set to zero): {masks}. "
        f"Time warp: {warp}. {100 * r.masked.mean():.1f}% of the bins masked. Seed {o.seed}: the same seed gives "
        "the same masks. The sound is rebuilt from the masked mel spectrogram with Griffin-Lim (so it sounds a "
        "little phasey even without masks)."
    )
    return SpecAugmentLook(pngs[0], pngs[1], wav, description)


# --- augmenting a set ---------------------------------------------------------------------

MAX_FILES = 50
MAX_VARIANTS = 20


@dataclass
class AugmentOptions:
    variants: int = 3
    seed: int = 0
    pitch_semitones: float = 2.0  # drawn from -x..x (0: off)
    speed_min: float = 0.9
    speed_max: float = 1.1  # 1 and 1: off
    gain_db: float = 6.0  # -x..x
    snr_min_db: float = 10.0
    snr_max_db: float = 40.0  # noise: off when max is 0
    reverb_max_wet: float = 0.3  # 0: off
    time_masks: int = 1
    freq_masks: int = 1

    def checked(self) -> AugmentOptions:
        ranges = dict(
            variants=(1, MAX_VARIANTS, "int"),
            seed=(0, 2**31 - 1, "int"),
            pitch_semitones=(0, 12, "float"),
            speed_min=(0.5, 2, "float"),
            speed_max=(0.5, 2, "float"),
            gain_db=(0, 24, "float"),
            snr_min_db=(-10, 80, "float"),
            snr_max_db=(0, 80, "float"),
            reverb_max_wet=(0, 1, "float"),
            time_masks=(0, 5, "int"),
            freq_masks=(0, 5, "int"),
        )
        for name, (lo, hi, kind) in ranges.items():
            setattr(self, name, Param(name, 0, lo, hi, kind=kind).coerce(getattr(self, name), "Augment"))
        if self.speed_min > self.speed_max:
            raise UserError(
                f"Augment: speed_min ({self.speed_min:g}) must not be above speed_max ({self.speed_max:g})."
            )
        if self.snr_max_db and self.snr_min_db > self.snr_max_db:
            raise UserError(
                f"Augment: snr_min_db ({self.snr_min_db:g}) must not be above snr_max_db ({self.snr_max_db:g})."
            )
        return self


def random_chain(rng: np.random.Generator, o: AugmentOptions, seconds: float, sr: int) -> list[Step]:
    """One random chain within the ranges: what a variant gets (and the manifest records)."""
    steps = []

    def add(text):
        steps.extend(parse_chain(text))

    if o.pitch_semitones:
        add(f"pitch_shift(semitones={rng.uniform(-o.pitch_semitones, o.pitch_semitones):.2f})")
    if o.speed_max != o.speed_min or o.speed_min != 1:
        add(f"speed(rate={rng.uniform(o.speed_min, o.speed_max):.3f})")
        seconds /= steps[-1].params["rate"]
    if o.reverb_max_wet:
        add(f"reverb(room_size={rng.uniform(0.1, 0.9):.2f}, wet={rng.uniform(0, o.reverb_max_wet):.2f})")
    if o.snr_max_db:
        color = ["white", "pink", "brown"][int(rng.integers(3))]
        add(
            f"add_noise(snr_db={rng.uniform(o.snr_min_db, o.snr_max_db):.1f}, color={color}, seed={int(rng.integers(2**31))})"
        )
    for _ in range(o.time_masks):
        width = min(rng.uniform(0.02, 0.1) * seconds, 1.0)
        add(f"time_mask(start_s={rng.uniform(0, max(seconds - width, 0)):.3f}, width_s={width:.3f})")
    for _ in range(o.freq_masks):
        top = min(sr / 2 - 1, 8000)
        low = rng.uniform(100, top * 0.8)
        add(f"freq_mask(low_hz={low:.0f}, high_hz={min(low * rng.uniform(1.1, 1.6), top):.0f})")
    if o.gain_db:
        add(f"gain(db={rng.uniform(-o.gain_db, o.gain_db):.1f})")
    return steps


@dataclass
class AugmentResult:
    zip_path: Path
    rows: list[dict]
    warnings: list[str]


MANIFEST_FIELDS = ["file", "source", "variant", "seed", "duration_s", "chain"]


def run_augment(
    audios: list[AudioInput],
    options: AugmentOptions,
    out_dir: Path,
    max_seconds: float | None = None,
    max_total_seconds: float = 3600.0,
    progress=None,
) -> AugmentResult:
    """N variants of each clip, each through a random chain; one zip with the WAVs and manifest.csv.

    The chains come from one generator seeded with ``options.seed``, drawn in file order before any audio is
    processed, so the same files and seed give the same zip; every limit is checked first."""
    o = options.checked()
    if not audios:
        raise UserError("No files were given: upload one or more audio clips.")
    if len(audios) > MAX_FILES:
        raise UserError(f"At most {MAX_FILES} files at a time, got {len(audios)}.")
    rng = np.random.default_rng(o.seed)
    jobs = []
    total = 0.0
    for a in audios:
        for v in range(o.variants):
            steps = random_chain(rng, o, a.duration, a.sr)
            plan = plan_chain(steps, a.sr, a.n_samples, max_seconds)
            total += plan.seconds_out
            jobs.append((a, v + 1, steps))
    if total > max_total_seconds:
        raise UserError(
            f"{len(audios)} file(s) x {o.variants} variants would make {format_seconds(total)} of audio; the limit is "
            f"{format_seconds(max_total_seconds)} a request. Use fewer variants or shorter clips."
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stems: dict[str, int] = {}
    rows, warnings = [], []
    zip_path = out_dir / f"{safe_stem(audios[0].name, 'audio')}-augmented.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (a, v, steps) in enumerate(jobs):
            if progress:
                progress(i / len(jobs), f"{a.name}: variant {v}")
            base = safe_stem(a.name, "audio")
            if v == 1:
                stems[base] = stems.get(base, 0) + 1
            if stems[base] > 1:
                base = f"{base}-{stems[base]}"
            result = apply_chain(a.channels, a.sr, steps, max_seconds, advice=AUGMENT_ADVICE)
            if result.limited:
                warnings.append(f"{a.name} variant {v}: {result.warnings[0]}")
            name = f"{base}_aug{v:02d}.wav"
            buf = io.BytesIO()
            sf.write(buf, result.channels.T, result.sr, format="WAV", subtype="PCM_16")
            zf.writestr(name, buf.getvalue())
            rows.append(
                dict(
                    file=name,
                    source=a.name,
                    variant=v,
                    seed=o.seed,
                    duration_s=round(result.channels.shape[-1] / result.sr, 3),
                    chain=chain_text(steps),
                )
            )
        text = io.StringIO()
        writer = csv.DictWriter(text, MANIFEST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        zf.writestr("manifest.csv", text.getvalue())
    return AugmentResult(zip_path, rows, warnings)
