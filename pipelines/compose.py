"""The Compose pipeline: a text prompt in, music out (WAV, MIDI, a picture, a description).

Two engines behind one function, :func:`compose`:

- ``composer`` (bundled, offline, the default): the rule-based composer in
  ``pipelines.engines.rule_composer`` rendered through the bundled General MIDI SoundFont
  (``pipelines.engines.soundfont``). Not a neural model: rules and a seed.
- MusicGen (hub): ``musicgen-small`` (default), ``-medium``, ``-large``, ``-melody``, or a
  local folder holding a saved MusicGen model (``pipelines.engines.musicgen``).

Either way the audio is loudness-normalised (ITU-R BS.1770, pyloudnorm) and written as WAV.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipelines.core.errors import UserError
from pipelines.core.files import text_stem
from pipelines.core.hub import hub_reason, hub_status
from pipelines.core.progress import Progress
from pipelines.core.registry import REGISTRY, ModelUnavailable, is_folder_name
from pipelines.dsp import music as music_check
from pipelines.engines import musicgen
from pipelines.engines.rule_composer import DRUM_CHANNEL, SCALES, Piece, compose_piece, write_midi
from pipelines.engines.soundfont import SOUNDFONT_KEY, add_reverb, render_piece
from pipelines.formats import plots

COMPOSER = "composer"
MAX_PROMPT_CHARS = 500
MIN_SECONDS = 1.0
MAX_SECONDS = 120.0  # the composer; MusicGen stops at musicgen.MAX_SECONDS
TARGET_LUFS = -14.0  # what streaming services normalise music to
PEAK_CEILING_DBFS = -1.0
RANDOM_SEED = -1  # ask for a fresh seed (reported, so it can be repeated)


DEFAULT_SECONDS = 15.0


@dataclass
class ComposeOptions(musicgen.SamplingOptions):
    """MusicGen's sampling settings (inherited, written once in the engine; the composer ignores them),
    the seed and a melody."""

    seed: int = RANDOM_SEED
    melody: tuple[np.ndarray, int] | None = None  # (mono samples, sr): MusicGen melody only


@dataclass
class ComposeResult:
    wav_path: Path
    midi_path: Path | None  # the composer only
    figure_path: Path
    description: str  # markdown, for people
    engine: str  # e.g. "offline: bundled rule-based composer"
    seed: int
    seconds: float
    sample_rate: int
    loudness_lufs: float
    compute_seconds: float
    piece: Piece | None = None
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EngineChoice:
    key: str
    label: str
    available: bool
    reason: str


def engine_choices(check_hub: bool = True) -> list[EngineChoice]:
    """Every engine with whether it can run here and why not (hub models need the hub)."""
    out = [EngineChoice(COMPOSER, "Bundled composer (rules, offline)", True, "ready, no download")]
    for key, (_hub_id, title, size) in musicgen.HUB_MODELS.items():
        ok, reason = REGISTRY.spec(key).availability(check_hub=check_hub)  # says when the hub is needed
        out.append(EngineChoice(key, f"{title} (hub, ~{size / 1000:.1f} GB)", ok, reason))
    return out


def check_request(prompt, seconds, engine: str) -> tuple[str, float]:
    """The cleaned prompt and duration, or a ValueError saying what to change."""
    # control and invisible format characters (NUL, a right-to-left override, a zero-width space) go
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in str(prompt or ""))
    prompt = " ".join(text.split())
    if not prompt:
        raise UserError("Describe the music first, e.g. 'calm lo-fi piano' or 'epic orchestral with drums'.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError(f"The prompt is {len(prompt)} characters long; keep it under {MAX_PROMPT_CHARS}.")
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        raise UserError(f"Duration must be a number of seconds, not {seconds!r}.") from None
    limit = MAX_SECONDS if engine == COMPOSER else musicgen.MAX_SECONDS
    if not np.isfinite(seconds) or not MIN_SECONDS <= seconds <= limit:
        who = "The bundled composer" if engine == COMPOSER else "MusicGen"
        raise UserError(
            f"{who} makes between {MIN_SECONDS:g} and {limit:g} seconds of music; {seconds:g} s is out of range."
        )
    return prompt, seconds


def _check_sampling(o: ComposeOptions) -> None:
    """MusicGen's sampling settings, checked before any model loads."""
    for name, value, lo, hi in (
        ("Temperature", o.temperature, 0.01, 5.0),
        ("Top-k", o.top_k, 0, 2048),
        ("Top-p", o.top_p, 0.0, 1.0),
        ("Guidance scale", o.guidance_scale, 1.0, 20.0),
    ):
        if not (np.isfinite(value) and lo <= value <= hi):
            raise UserError(f"{name} must be between {lo:g} and {hi:g} (got {value:g}).")


def _resolve_engine(engine: str | None) -> str:
    engine = (engine or COMPOSER).strip()
    if engine == COMPOSER:
        return engine
    if engine in musicgen.HUB_MODELS:
        status = hub_status()
        if not status.reachable:
            raise ModelUnavailable(
                f"{musicgen.HUB_MODELS[engine][1]} {hub_reason(status)}. Choose the bundled composer, which works offline."
            )
        return engine
    if is_folder_name(engine):
        musicgen.model_key(engine)  # the allowed-folders rule before anything in the folder is read
        return engine
    known = ", ".join([COMPOSER, *musicgen.HUB_MODELS])
    raise UserError(f"Unknown engine '{engine}'. Choose one of: {known} (or a folder with a saved MusicGen model).")


def new_seed() -> int:
    return int(np.random.default_rng().integers(0, 2**31 - 1))


def compose(
    prompt: str,
    seconds: float = DEFAULT_SECONDS,
    engine: str = COMPOSER,
    options: ComposeOptions | None = None,
    out_dir: Path | str = ".",
    progress: Progress | None = None,
) -> ComposeResult:
    """Make music for ``prompt``; write the WAV (+ MIDI) and a picture into ``out_dir``."""
    options = options or ComposeOptions()
    engine = _resolve_engine(engine)
    prompt, seconds = check_request(prompt, seconds, engine)
    if options.melody is not None and engine == COMPOSER:
        raise UserError("The bundled composer does not follow a melody; choose MusicGen melody or remove it.")
    seed = new_seed() if options.seed is None or int(options.seed) < 0 else int(options.seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"compose-{text_stem(prompt, 'music', words=6, max_chars=32)}-seed{seed}"  # any script (Korean too)
    progress = progress or (lambda share, desc: None)
    start = time.perf_counter()
    piece = midi_path = None
    if engine == COMPOSER:
        progress(0.05, "Composing by rules")
        piece = compose_piece(prompt, seconds, seed)
        if not REGISTRY.is_loaded(SOUNDFONT_KEY):
            progress(0.2, "Loading the SoundFont (first time only)")
        progress(0.4, "Rendering through the SoundFont")
        audio, sr = render_piece(piece)
        audio = add_reverb(audio, sr, piece.plan.style.reverb)
        midi_path = write_midi(piece, out_dir / f"{stem}.mid")
        engine_line = "offline: bundled rule-based composer + FluidR3Mono GM SoundFont (not a neural model)"
    else:
        _check_sampling(options)
        key = musicgen.model_key(engine)
        title = REGISTRY.spec(key).title
        progress(0.02, f"Loading {title}" if not REGISTRY.is_loaded(key) else f"Starting {title}")
        params = replace(options, seed=seed, melody=None)
        audio, sr = musicgen.generate(
            key,
            prompt,
            seconds,
            params,
            options.melody,
            progress=lambda share, desc: progress(0.05 + 0.85 * share, desc),
        )
        where = "local folder" if key.startswith("musicgen-local:") else "hub"
        engine_line = f"{where}: {title} through transformers"
    compute_s = time.perf_counter() - start
    progress(0.92, "Normalising loudness and drawing")
    audio, lufs = normalize_loudness(audio, sr)
    wav_path = _write_wav(out_dir / f"{stem}.wav", audio, sr)
    figure_path = _draw(audio, sr, piece, out_dir / f"{stem}-spectrogram.png", prompt)
    heard = music_check.listen(audio, sr)
    facts = {
        "engine": engine_line,
        "seed": seed,
        "seconds": round(audio.shape[1] / sr, 2),
        "sample_rate": sr,
        "loudness_lufs": round(lufs, 1),
        "compute_seconds": round(compute_s, 2),
        "heard_bpm": round(heard.bpm, 1),
        "heard_key": heard.key_name,
        "heard_tonic": heard.tonic,
        "heard_mode": heard.mode,
    }
    description = _describe(prompt, piece, facts, options, engine)
    progress(1.0, "Done")
    return ComposeResult(
        wav_path,
        midi_path,
        figure_path,
        description,
        engine_line,
        seed,
        audio.shape[1] / sr,
        sr,
        lufs,
        compute_s,
        piece,
        facts,
    )


def normalize_loudness(
    audio: np.ndarray, sr: int, target_lufs: float = TARGET_LUFS, ceiling_dbfs: float = PEAK_CEILING_DBFS
) -> tuple[np.ndarray, float]:
    """Bring the integrated loudness (ITU-R BS.1770) to ``target_lufs`` with peaks under the ceiling.

    Drum hits would otherwise stop a plain gain well short of the target, so peaks above the
    ceiling are held down by a limiter. Returns the audio and its final loudness.
    """
    import pyloudnorm

    audio = np.nan_to_num(np.asarray(audio, dtype=np.float32))
    if audio.shape[1] < int(0.4 * sr) or not np.any(audio):
        return audio, float("-inf")
    meter = pyloudnorm.Meter(sr)
    ceiling = 10 ** (ceiling_dbfs / 20)
    out = audio
    for _ in range(3):  # limiting lowers the loudness a little: measure and go again
        loudness = float(meter.integrated_loudness(out.T.astype(np.float64)))
        if not np.isfinite(loudness) or abs(loudness - target_lufs) < 0.3:
            return out, loudness
        out = limit_peaks(out * np.float32(10 ** ((target_lufs - loudness) / 20)), sr, ceiling)
    return out, float(meter.integrated_loudness(out.T.astype(np.float64)))


def limit_peaks(
    audio: np.ndarray, sr: int, ceiling: float, attack_s: float = 0.005, release_s: float = 0.08
) -> np.ndarray:
    """A look-ahead peak limiter: gain dips before a peak and recovers smoothly after it."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d
    from scipy.signal import lfilter

    peak = np.max(np.abs(audio), axis=0)
    if peak.max() <= ceiling:
        return audio
    look = max(1, int(attack_s * sr))
    env = maximum_filter1d(peak, size=2 * look + 1)  # sees a peak ``look`` samples ahead
    gain = np.minimum(1.0, ceiling / np.maximum(env, 1e-9))
    gain = minimum_filter1d(gain, size=2 * look + 1)  # hold the dip wider than the ramp below
    gain = uniform_filter1d(gain, size=look)  # ramp into the dip instead of stepping (no clicks)
    a = np.exp(-1.0 / (release_s * sr))
    smooth = lfilter([1 - a], [1, -a], gain - 1.0) + 1.0  # one pole; starts at unity gain
    gain = np.minimum(gain, smooth).astype(np.float32)
    return np.clip(audio * gain, -ceiling, ceiling)


def _write_wav(path: Path, audio: np.ndarray, sr: int) -> Path:
    import soundfile as sf

    sf.write(path, audio.T, sr, subtype="PCM_16")
    return path


def _draw(audio: np.ndarray, sr: int, piece: Piece | None, path: Path, prompt: str) -> Path:
    """Mel spectrogram of the result, with the composer's sections marked."""
    import librosa

    mono = audio.mean(axis=0)
    mel = librosa.feature.melspectrogram(y=mono, sr=sr, n_fft=2048, hop_length=1024, n_mels=96, fmax=min(16000, sr / 2))
    mel_db = librosa.power_to_db(mel, ref=max(float(mel.max()), 1e-10))
    freqs = librosa.mel_frequencies(n_mels=96, fmax=min(16000, sr / 2))
    duration = audio.shape[1] / sr
    title = f'Mel spectrogram: "{prompt[:70]}"'
    fig = plots.plot_heatmap(
        mel_db, duration, title=title, y_axis="mel", y_values=freqs, vmin=-80, vmax=0, height_in=3.2
    )
    ax = fig.axes[0]
    ticks = [f for f in (0, 250, 500, 1000, 2000, 4000, 8000, 16000) if f <= freqs[-1]]
    rows = np.interp(librosa.hz_to_mel(ticks), librosa.hz_to_mel(freqs), np.arange(len(freqs)) + 0.5)
    ax.set_yticks(rows, [f"{f / 1000:g}k" if f >= 1000 else str(f) for f in ticks])
    if piece is not None:
        bar_s = 4 * piece.beat_seconds
        for sec in piece.sections:
            x = sec.start_bar * bar_s
            if x >= duration:
                break
            ax.axvline(x, color="white", lw=0.8, ls="--")
            ax.text(x + 0.1, ax.get_ylim()[1] * 0.93, sec.name, color="white", fontsize=9, va="top")
    return plots.save_png(fig, path)


def _scale_notes(tonic: int, mode: str) -> set[int]:
    return {(tonic + step) % 12 for step in SCALES[mode]}


def share_outside_key(piece: Piece, tonic: int, mode: str) -> float:
    """The share of the pitched notes written (drums left out) that lie outside the key's scale."""
    scale = _scale_notes(tonic, mode)
    pitches = [n.pitch for p in piece.parts if p.channel != DRUM_CHANNEL for n in p.notes]
    return sum(1 for x in pitches if x % 12 not in scale) / len(pitches) if pitches else 0.0


def check_words(bpm: float, tonic: int, mode: str, facts: dict, outside: float | None = None) -> str:
    """What the measurement of the result says about the plan, with what a disagreement means:
    a beat tracker often counts twice or half the beats, and key-finding by note counts often
    names a neighbouring key (a fifth away, or the relative major/minor), which shares six or
    seven of the seven notes, or the written home note in the other mode (distortion's overtones)."""
    heard_bpm, heard_key = facts["heard_bpm"], facts["heard_key"]
    if music_check.tempo_matches(heard_bpm, bpm) and abs(heard_bpm - bpm) <= 0.05 * bpm:
        tempo = f"about {heard_bpm:g} BPM, as written"
    elif music_check.tempo_matches(heard_bpm, bpm):
        tempo = (
            f"about {heard_bpm:g} BPM, which is {'double' if heard_bpm > bpm else 'half'} the {bpm:g} BPM written: "
            "the measurement counted the beats in twos or in halves, so it agrees"
        )
    else:
        tempo = f"about {heard_bpm:g} BPM, which does not match the {bpm:g} BPM written"
    h_tonic, h_mode = facts["heard_tonic"], facts["heard_mode"]
    relative = (tonic + (9 if mode == "major" else 3)) % 12
    if (h_tonic, h_mode) == (tonic, mode):
        key = f"key {heard_key}, as written"
    elif h_mode != mode and h_tonic == relative:
        key = (
            f"key {heard_key}, the relative key with the same seven notes as the key written; "
            "counting notes cannot always tell the two apart"
        )
    elif h_mode == mode and (h_tonic - tonic) % 12 in (5, 7):
        key = (
            f"key {heard_key}, a neighbouring key a fifth away that shares six of its seven notes with the key "
            "written; counting notes often mixes the two up, so this is a near miss rather than a wrong key"
        )
    elif len(_scale_notes(h_tonic, h_mode) & _scale_notes(tonic, mode)) == 6:
        key = (
            f"key {heard_key}, a closely related key that shares six of its seven notes with the key written; "
            "counting notes often mixes such keys up, so this is a near miss rather than a wrong key"
        )
    elif h_tonic == tonic:
        key = (
            f"key {heard_key}: the home note written, heard in {h_mode} rather than {mode}; overtones of bright "
            "or distorted instruments add notes that can tip a count of notes between major and minor"
        )
    elif outside is not None and outside < 0.05:
        key = (
            f"key {heard_key}, which differs from the key written, although every note written is in that key: "
            "the measurement counts the notes heard, and overtones and drums blur the count (trust your ears)"
        )
    elif outside is not None:
        key = (
            f"key {heard_key}, which differs from the key written: {outside:.0%} of the notes written lie "
            "outside that key (passing and blue notes) and pull the count of notes elsewhere"
        )
    else:
        key = f"key {heard_key}, which differs from the key written"
    return f"**Heard in the result** (measured from the sound, as a listener would): {tempo}; {key}."


def _describe(prompt: str, piece: Piece | None, facts: dict, options: ComposeOptions, engine: str) -> str:
    lines = []
    if piece is not None:
        plan = piece.plan
        heard = ", ".join(f"'{w}'" for w in plan.heard) or "none"
        lines += [
            f"**{plan.style.name.title()}** in **{plan.key_name}** at **{plan.bpm:g} BPM**, 4/4, "
            f"{piece.bars} bars: " + ", ".join(f"{s.name} ({s.bars})" for s in piece.sections) + ".",
            "**Instruments (General MIDI):** " + "; ".join(piece.instruments()) + ".",
            f"**Words that steered it:** {heard}. {plan.style_reason[0].upper() + plan.style_reason[1:]}.",
        ]
    else:
        lines.append(f"**Prompt:** {prompt}")
        if engine != COMPOSER:
            lines.append(
                f"**Sampling:** temperature {options.temperature:g}, top-k {options.top_k}, "
                f"top-p {options.top_p:g}, guidance {options.guidance_scale:g}"
                + (", following the given melody." if options.melody is not None else ".")
            )
    lines.append(
        f"**Seed:** {facts['seed']} (the same prompt, seed and engine give the same audio). "
        f"**Length:** {facts['seconds']:g} s at {facts['sample_rate']} Hz, loudness "
        f"{facts['loudness_lufs']:g} LUFS. Made in {facts['compute_seconds']:.1f} s."
    )
    if piece is not None:
        plan = piece.plan
        lines.append(
            check_words(plan.bpm, plan.tonic, plan.mode, facts, share_outside_key(piece, plan.tonic, plan.mode))
        )
    else:
        lines.append(
            f"**Heard in the result** (measured from the sound): about {facts['heard_bpm']:g} BPM, key "
            f"{facts['heard_key']}."
        )
    lines.append(f"**Engine:** {facts['engine']}.")
    return "\n\n".join(lines)
